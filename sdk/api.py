"""``sapiens2.load``: one call from a checkpoint or a compiled bundle to a ready ``Predictor``."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Mapping

import torch

from .errors import UserError
from .limits import check_inference_memory
from .models.multitask_model import MULTITASK
from .models.outputs import RAW_OUTPUTS
from .pipelines import ModelIO
from .processing.keypoint_sets import checkpoint_keypoint_set, keypoint_set_from_record
from .predictor import Predictor

RANDOM_WEIGHTS_WARNING = "RANDOM WEIGHTS: this model was not trained; its outputs are meaningless"
DEFAULT_INPUT_SIZE = (1024, 768)


def load(
    source: str | Path | None = None,
    *,
    arch: str | Mapping[str, int] | None = None,
    task: str | None = None,
    random_weights: bool = False,
    seed: int = 0,
    device: str = "auto",
    precision: str | None = None,
    input_size: tuple[int, int] | None = None,
    batch_size: int = 8,
    **pipeline_options: Any,
) -> Predictor:
    """A Predictor for a checkpoint (path or ``hf://org/repo/file``), a bundle directory, or a served
    model's URL (``http://HOST:PORT/v1/models/NAME``: the server runs the whole pipeline; pass
    ``api_key=`` or set ``$SAPIENS2_API_KEY``).

    A pose checkpoint with its own keypoint set (``model.json`` beside it, as ``sapiens2 train``
    writes) predicts, flips and draws with that set; so does a bundle compiled from it.
    ``arch`` + ``task`` + ``random_weights=True`` builds an untrained model (tests, benchmarks);
    its results carry a loud warning. ``pipeline_options`` go to the task pipeline (pose:
    ``flip=True``, ``detector=...``). ``input_size`` is (height, width); default: the size the
    checkpoint was made for (1024x768 for official checkpoints). ``precision``: fp32 (CPU default),
    bf16 (CUDA default), fp16, or on the CPU ``int8`` / ``int8-weights`` (torchao, linears only);
    a bundle has the precision and input size it was compiled with: asking for others is refused.
    """
    if source is not None and Path(source).is_dir() and (Path(source) / "manifest.json").is_file():
        return _load_bundle(
            Path(source), batch_size=batch_size, precision=precision, input_size=input_size, **pipeline_options
        )
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        from sapiens2.targets.remote import open_remote

        return open_remote(
            source, batch_size=batch_size, arch=arch, task=task, precision=precision, input_size=input_size, **pipeline_options
        )
    _check_device(device)
    model, meta = _task_model(source, arch, task, random_weights, seed)
    from sapiens2.targets.torch.model_runner import TorchModelRunner

    runner = TorchModelRunner(model, device, precision)
    size = tuple(input_size or model.backbone.img_size)
    problem = model.input_size_problem(size)
    if problem:
        raise UserError(f"{problem} (input_size / --input-size)")
    check_inference_memory(model, size, batch_size)
    keypoints = checkpoint_keypoint_set(source) if model.task in ("pose", MULTITASK) and source is not None else None
    io = ModelIO(task=model.task, input_size=size, output_names=RAW_OUTPUTS[model.task], keypoints=keypoints)
    meta |= {"runtime": "torch", "device": str(runner.device), "precision": runner.precision}
    if runner.quantization:
        meta["quantization"] = runner.quantization
    options = _own_class_names(source, model.task) | pipeline_options
    return Predictor(io, runner, batch_size=batch_size, meta=meta, **options)


def _own_class_names(source: Any, task: str) -> dict[str, tuple[str, ...]]:
    """A multitask checkpoint's seg classes, when the .json beside it names its own (its keypoints reach
    the pipeline as ``ModelIO.keypoint_set``)."""
    if source is None or task != MULTITASK:
        return {}
    from .checkpoints.checks import sidecar_label_names

    names = tuple(sidecar_label_names(source, "classes"))
    return {"class_names": names} if names else {}


def _check_device(device: str) -> None:
    """Refuse a device name torch cannot parse (``"gpu"``, ``"cuda1"``) before the model loads."""
    if device == "auto":
        return
    try:
        torch.device(device)
    except RuntimeError:
        raise UserError(f"unknown device {device!r}: use auto, cpu, cuda or cuda:N (e.g. cuda:1)") from None


def _task_model(source: Any, arch: Any, task: str | None, random_weights: bool, seed: int) -> tuple[Any, dict]:
    if source is not None:
        from .checkpoints import load_model

        return load_model(source, expect="task", arch=arch, task=task), {"source": str(source)}
    if not (arch and task):
        raise UserError("give a checkpoint, or --arch and --task (with --random-weights for an untrained model)")
    if not random_weights:
        raise UserError(
            f"no checkpoint given for {task} {arch}: pass a checkpoint, or random_weights=True (--random-weights) "
            "to run an untrained model for testing"
        )
    from .models import build_task_model

    warnings.warn(RANDOM_WEIGHTS_WARNING, stacklevel=3)
    torch.manual_seed(seed)
    model = build_task_model(task, arch).eval()
    return model, {"source": "random-weights", "warning": RANDOM_WEIGHTS_WARNING, "random_weights": True}


def _load_bundle(
    path: Path, batch_size: int, precision: str | None, input_size: tuple[int, int] | None, **pipeline_options: Any
) -> Predictor:
    from sapiens2.bundle import read_bundle
    from sapiens2.targets import open_verified

    bundle = read_bundle(path, verify=True)
    manifest = bundle.manifest
    if precision is not None and precision != manifest.precision:
        raise UserError(
            f"{path} is a {manifest.precision} bundle, not {precision}: a bundle runs at the precision it was compiled with "
            f"(make a {precision} one with `sapiens2 compile --precision {precision}` or `sapiens2 quantize`)"
        )
    if input_size is not None and tuple(input_size) != tuple(manifest.export.input_size):
        height, width = manifest.export.input_size
        raise UserError(
            f"{path} was compiled for {height}x{width} inputs, not {input_size[0]}x{input_size[1]}: compile it again at that size"
        )
    runtime = open_verified(bundle)
    spec = manifest.inputs[0]
    io = bundle_io(manifest)
    meta: dict[str, Any] = {"source": str(path), "runtime": runtime.name, "precision": manifest.precision}
    if manifest.random_weights:
        meta |= {"warning": RANDOM_WEIGHTS_WARNING, "random_weights": True}
    # A bundle fixes its batch size unless it was exported with a dynamic batch dimension.
    if not manifest.export.dynamic_batch:
        batch_size = int(spec.shape[0])
    return Predictor(io, runtime.run, batch_size=batch_size, meta=meta, **pipeline_options)


def bundle_io(manifest: Any) -> ModelIO:
    """The I/O contract a bundle's ``Manifest`` records: what the shared pipelines feed its runtime."""
    spec = manifest.inputs[0]
    return ModelIO(
        task=manifest.task,
        input_size=tuple(manifest.export.input_size),
        output_names=manifest.output_names,
        input_name=spec.name,
        pixel_layout=spec.layout if spec.normalization.in_graph else None,
        canonical_focal_length=float(manifest.decoding.get("canonical_focal_length", 768.0)),
        keypoints=keypoint_set_from_record(manifest.labels) if manifest.task == "pose" else None,
    )
