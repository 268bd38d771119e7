"""Core ML weight compression of an ML program with ``coremltools.optimize.coreml``, in place.

The Neural Engine decompresses weights at load time and computes in fp16, so on Core ML the
gain is the size (download, memory bandwidth), not int8 arithmetic:

* ``int8-weights``: ``linear_quantize_weights``, int8 symmetric per output channel.
* ``int4-weights``: ``palettize_weights``, a 16-entry k-means lookup table per weight tensor: the
  4-bit form the iOS 17 deployment target of the Core ML backend takes (block-wise int4 and
  per-channel tables need iOS 18).
* ``int8`` (activations too) is refused: ``linear_quantize_activations`` calibrates by running the
  model, which Core ML does only on macOS.

Kept layers get no compression through ``op_name_configs``, keyed by the weight constants, which
the converter names after the parameters (``p_model_backbone_blocks_0_attn_wq_weight``), with
``_to_fp16`` appended in fp16 programs (the default) by the pass that casts them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from sapiens2.bundle import Manifest
from sapiens2.quantize.calibration import CalibrationSet
from sapiens2.quantize.layers import WEIGHT_LAYERS
from sapiens2.quantize.quiet import quiet_tools

from .artifact import PACKAGE

WEIGHT_PREFIX = "p_model_"  # the converter's name for the wrapper's ``.model`` parameters
FP16_SUFFIX = "_to_fp16"  # what the converter's fp16 pass appends to the constants it casts
LAYER_TYPES = dict.fromkeys(("int8-weights", "int4-weights"), WEIGHT_LAYERS)  # every weight constant
SCHEMES = {
    "int8-weights": ("coremltools linear_quantize_weights", "int8 per output channel, symmetric", "float (fp16 compute)"),
    "int4-weights": ("coremltools palettize_weights kmeans", "4-bit lookup table per tensor", "float (fp16 compute)"),
}


def tool() -> str:
    import coremltools

    return f"coremltools {coremltools.__version__} optimize.coreml"


def weight_names(kept: Iterable[str]) -> list[str]:
    """The weight constants of the kept layers (module paths) in a converted ML program, fp32 or fp16."""
    names = [WEIGHT_PREFIX + layer.replace(".", "_") + "_weight" for layer in sorted(kept)]
    return [name + suffix for name in names for suffix in ("", FP16_SUFFIX)]


def compress(model: object, precision: str, kept: Iterable[str] = ()) -> object:
    """The ML program ``model`` (an ``MLModel``) with compressed weights; ``kept`` layers stay float."""
    import coremltools.optimize.coreml as cto

    skip = dict.fromkeys(weight_names(kept))
    if precision == "int8-weights":
        config = cto.OptimizationConfig(
            global_config=cto.OpLinearQuantizerConfig(mode="linear_symmetric", dtype="int8", granularity="per_channel"),
            op_name_configs=skip,
        )
        return cto.linear_quantize_weights(model, config)
    config = cto.OptimizationConfig(global_config=cto.OpPalettizerConfig(mode="kmeans", nbits=4), op_name_configs=skip)
    return cto.palettize_weights(model, config)


def quantize_artifact(
    directory: Path, precision: str, calibration: CalibrationSet | None, kept: Iterable[str], input_name: str
) -> list[str]:
    """Compress ``directory/model.mlpackage`` in place; returns the bundle's file names."""
    import shutil

    import coremltools as ct

    package = directory / PACKAGE
    with quiet_tools():
        compressed = compress(ct.models.MLModel(str(package), skip_model_load=True), precision, kept)
    shutil.rmtree(package)
    compressed.save(str(package))
    return sorted(str(path.relative_to(directory)) for path in package.rglob("*") if path.is_file())


def feature_tap(directory: Path) -> str:
    """Name of the ML program value the decode head reads: the input of the op holding its first weight."""
    from .mil_runner import MilProgramRunner

    for op in MilProgramRunner(directory / PACKAGE).operations:
        weight = op.inputs.get("weight")
        if weight is not None and weight.name.startswith(WEIGHT_PREFIX + "decode_head_"):
            return op.inputs["x"].name
    raise ValueError(f"no decode head found in {directory / PACKAGE}")


def feature_runner(directory: Path, manifest: Manifest, tap: str, threads: int) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """The ML program on the MIL runner (Core ML cannot predict on Linux), the value ``tap`` as output ``features``."""
    from .mil_runner import MilProgramRunner

    runner = MilProgramRunner(directory / PACKAGE)
    value = next(out for op in runner.operations for out in op.outputs if out.name == tap)
    runner.function.set_outputs([*runner.function.outputs, value])
    runner._last_use = runner._last_uses()  # the runner frees values after their last use; keep the tap

    def run(batch: np.ndarray) -> dict[str, np.ndarray]:
        # One RGB image (1, H, W, 3) uint8 -> the program's (1, 3, H, W) float image input.
        image = np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32)
        outputs = runner.run({runner.input_names[0]: image})
        return {**{spec.name: outputs[spec.name].astype(spec.dtype) for spec in manifest.outputs}, "features": outputs[tap]}

    return run
