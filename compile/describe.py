"""The manifest of a compiled model: its input contract, outputs, decoding parameters and labels.

Everything here describes the official pre/post-processing (see ``sapiens2.processing``) so that a
consumer without the SDK (a phone app, the server) can reproduce it from the manifest alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sapiens2 import __version__
from sapiens2.bundle import (
    ArtifactFile,
    ExportSettings,
    InputSpec,
    Manifest,
    ModelSource,
    Normalization,
    OutputSpec,
    RuntimeInfo,
)
from sapiens2.bundle.manifest import Quantization
from sapiens2.models import Sapiens2TaskModel
from sapiens2.models.outputs import OUTPUT_MEANINGS
from sapiens2.processing import (
    BLUR_KERNEL_SIZE,
    BOX_PADDING,
    CANONICAL_FOCAL_LENGTH,
    MEAN_RGB,
    STD_RGB,
    keypoint_metadata,
    segmentation_metadata,
)
from sapiens2.processing.keypoint_sets import OFFICIAL_SOURCE, checkpoint_keypoint_set, keypoint_set_record

from .options import CompileOptions
from .samples import RESIZE_POLICIES
from .source import arch_record
from .wrappers import ExportWrapper

ROPE_RECORD = "fp32 rotation with precomputed tables (official bf16-computed sin/cos values)"
HEATMAP_SIGMA = 6.0  # the official pose codec's Gaussian sigma (UDPHeatmap, sigma=6)
BATCH = "batch"


def resize_policy(task: str, input_size: tuple[int, int]) -> dict[str, Any]:
    """How an image is fitted to the model input (the official test pipelines)."""
    policy = RESIZE_POLICIES[task]
    if policy == "topdown_udp_crop":
        return {
            "policy": policy,
            "box_padding": BOX_PADDING,
            "aspect_ratio_w_over_h": input_size[1] / input_size[0],
            "interpolation": "INTER_AREA when shrinking, else INTER_CUBIC (UDP affine warp)",
            "border_value": 0,
            "no_box": "whole image [0, 0, W-1, H-1]",
        }
    if policy == "stretch":
        return {"policy": policy, "interpolation": "INTER_AREA when the width shrinks, else INTER_CUBIC"}
    return {
        "policy": policy,
        "interpolation": "INTER_LINEAR, new size truncated with int()",
        "pad_value": 0,
        "padding_split": "left = pad_w // 2, top = pad_h // 2",
    }


def input_spec(wrapper: ExportWrapper, options: CompileOptions) -> InputSpec:
    layout = options.in_graph_preprocess or "NCHW"
    shape = (BATCH if options.dynamic_batch else 1, *wrapper.input_shape()[1:])
    return InputSpec(
        name=wrapper.input_names[0],
        shape=shape,
        dtype="uint8" if options.in_graph_preprocess else "float32",
        layout=layout,
        color_order="RGB",
        normalization=Normalization(MEAN_RGB, STD_RGB, in_graph=options.in_graph_preprocess is not None),
        resize=resize_policy(wrapper.task, options.input_size),
    )


def output_specs(wrapper: ExportWrapper, example_outputs: Mapping[str, np.ndarray], dynamic_batch: bool) -> tuple[OutputSpec, ...]:
    specs = []
    for name in wrapper.output_names:
        array = example_outputs[name]
        shape = (BATCH if dynamic_batch else array.shape[0], *array.shape[1:])
        specs.append(OutputSpec(name, shape, str(array.dtype), OUTPUT_MEANINGS[name]))
    return tuple(specs)


def decoding_params(task: str, options: CompileOptions) -> dict[str, Any]:
    """Parameters of the shared Python post-processing for ``task``."""
    if task == "pose":
        height, width = options.input_size
        return {
            "codec": "UDP heatmap, argmax + DARK refinement",
            "input_size": [height, width],
            "heatmap_size": [height // 4, width // 4],
            "sigma": HEATMAP_SIGMA,
            "blur_kernel_size": BLUR_KERNEL_SIZE,
            "flip_indices_source": "keypoints308.json",
            "dark_refinement": "outside the graph (sapiens2.processing.refine_dark_udp)",
        }
    if task == "seg":
        return {"num_classes": 29, "labels": "resize logits to the image (bilinear, align_corners=False), then argmax"}
    if task == "pointmap":
        return {"canonical_focal_length": CANONICAL_FOCAL_LENGTH, "metric_points": "pointmap / scale"}
    if task == "normal":
        return {"normalize": "n / max(|n|, 1e-8)"}
    return {"clamp": [0.0, 1.0]}


def label_record(task: str, checkpoint: str | None = None) -> dict[str, Any] | None:
    """Label names (and colours, flips, skeleton), or None for dense maps. Pose: the keypoint set named
    beside ``checkpoint`` (a model trained on another dataset), else the packaged 308."""
    if task == "pose":
        keypoints = checkpoint_keypoint_set(checkpoint) if checkpoint else keypoint_metadata()
        return keypoint_set_record(keypoints, source=Path(checkpoint).with_suffix(".json").name if checkpoint else OFFICIAL_SOURCE)
    if task == "seg":
        meta = segmentation_metadata()
        return {
            "source": "seg29.json",
            "names": list(meta.names),
            "colors_rgb": meta.palette_rgb.tolist(),
            "flip_pairs": [list(pair) for pair in meta.flip_pairs],
        }
    return None


def build_manifest(
    model: Sapiens2TaskModel,
    source: ModelSource,
    options: CompileOptions,
    wrapper: ExportWrapper,
    example_outputs: Mapping[str, np.ndarray],
    artifacts: tuple[ArtifactFile, ...],
    runtime: RuntimeInfo,
    opset: int | None,
    quantization: Quantization | None = None,
    unverified: Mapping[str, str] | None = None,
) -> Manifest:
    return Manifest(
        task=model.task,
        arch=arch_record(model),
        source=source,
        target=options.target,
        precision=options.precision,
        runtime=runtime,
        export=ExportSettings(
            input_size=options.input_size,
            attention=options.attention,
            tile_size=options.tile_size if options.attention == "tiled" else None,
            window=options.window if options.attention == "windowed" else None,
            rope=ROPE_RECORD,
            in_graph_preprocess=options.in_graph_preprocess is not None,
            decode=options.decode,
            dynamic_batch=options.dynamic_batch,
            opset=opset,
            graph_optimizer=options.optimize_graph,
            deconv=options.deconv,
        ),
        inputs=(input_spec(wrapper, options),),
        outputs=output_specs(wrapper, example_outputs, options.dynamic_batch),
        decoding=decoding_params(model.task, options),
        labels=label_record(model.task, None if source.random_weights else source.path),
        artifacts=artifacts,
        sdk_version=__version__,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        quantization=quantization,
        unverified=dict(unverified or {}),
        compile_options=options.to_record(),
    )
