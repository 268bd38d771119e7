"""OpenVINO quantization of an exported ``model.xml`` IR, in place, with NNCF.

Schemes (docs/toolchain.md):

* ``int8``: ``nncf.quantize`` with ``model_type=TRANSFORMER`` (without it the result is unusable:
  cosine 0.88) and SmoothQuant off (8 calibration images: min token cosine 0.988 off vs 0.979 on).
* ``int8-weights``: ``nncf.compress_weights`` INT8_ASYM (per output channel, no data).
* ``int4-weights``: ``nncf.compress_weights`` INT4_SYM in groups of 32 for every layer NNCF allows
  (``ratio=1``); NNCF keeps its backup layers (the first and last) in int8.

Kept layers become an NNCF ``ignored_scope``: OpenVINO names each op after the module that made it
(``__module.model.backbone.blocks.0.attn.wq/aten::linear/MatMul``). The IR is saved with f32
(not fp16-compressed) float weights, like the fp32 export.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from sapiens2.bundle import Manifest
from sapiens2.targets.openvino.runtime import DEVICE

from sapiens2.quantize.calibration import CalibrationSet
from sapiens2.quantize.layers import WEIGHT_LAYERS
from sapiens2.quantize.quiet import quiet_tools

MODEL_FILE = "model.xml"
OP_PREFIX = "__module.model."  # OpenVINO's name for the wrapper's ``.model`` submodule
INT4_GROUP = 32
LAYER_TYPES = dict.fromkeys(("int8", "int8-weights", "int4-weights"), WEIGHT_LAYERS)  # NNCF covers every weight layer
SCHEMES = {
    "int8": ("nncf.quantize TRANSFORMER", "int8 per output channel, symmetric", "int8, calibrated"),
    "int8-weights": ("nncf.compress_weights INT8_ASYM", "int8 per output channel, asymmetric", "float"),
    "int4-weights": ("nncf.compress_weights INT4_SYM", f"int4 symmetric, groups of {INT4_GROUP} (backup layers int8)", "float"),
}


def tool() -> str:
    import nncf

    return f"nncf {nncf.__version__}"


def _module(op_name: str) -> str:
    return op_name.removeprefix(OP_PREFIX).split("/")[0] if op_name.startswith(OP_PREFIX) else ""


def feature_tap(directory: Path) -> str:
    """Friendly name of the backbone op whose output the decode head takes, found in the fp32 IR."""
    import openvino as ov

    for op in ov.Core().read_model(directory / MODEL_FILE).get_ordered_ops():
        if _module(op.get_friendly_name()).startswith("decode_head"):
            for port in op.inputs():
                source = port.get_source_output().get_node()
                if _module(source.get_friendly_name()).startswith("backbone"):
                    return source.get_friendly_name()
    raise ValueError(f"no backbone -> decode_head op found in {directory / MODEL_FILE}")


def ignored_scope(kept: Iterable[str]) -> object:
    """An NNCF ignored scope matching every op made by a kept layer."""
    import nncf

    patterns = [f"{re.escape(OP_PREFIX + layer)}/.*" for layer in sorted(kept)]
    return nncf.IgnoredScope(patterns=patterns, validate=False)


def quantize_artifact(
    directory: Path, precision: str, calibration: CalibrationSet | None, kept: Iterable[str], input_name: str
) -> list[str]:
    """Replace the IR in ``directory`` by its quantized form; ``kept`` layers stay float. Returns the file names."""
    import openvino as ov

    path = directory / MODEL_FILE
    model = ov.Core().read_model(path)
    scope = ignored_scope(kept)
    with quiet_tools():
        quantized = _quantize(model, precision, calibration, scope)
    # The read model maps model.bin: write beside it, then swap the files in (the mapping keeps the old inode).
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        ov.save_model(quantized, Path(scratch) / MODEL_FILE, compress_to_fp16=False)
        for item in Path(scratch).iterdir():
            os.replace(item, directory / item.name)
    return sorted(item.name for item in directory.iterdir())


def _quantize(model: object, precision: str, calibration: CalibrationSet | None, scope: object) -> object:
    import nncf
    from nncf.quantization.advanced_parameters import AdvancedQuantizationParameters, AdvancedSmoothQuantParameters

    if precision == "int8":
        return nncf.quantize(
            model,
            nncf.Dataset(list(calibration.inputs)),
            model_type=nncf.ModelType.TRANSFORMER,
            subset_size=len(calibration.inputs),
            ignored_scope=scope,
            advanced_parameters=AdvancedQuantizationParameters(
                smooth_quant_alphas=AdvancedSmoothQuantParameters(matmul=-1)
            ),
        )
    if precision == "int8-weights":
        return nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM, ignored_scope=scope)
    return nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT4_SYM, group_size=INT4_GROUP, ratio=1.0, ignored_scope=scope)


def feature_runner(directory: Path, manifest: Manifest, tap: str, threads: int) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """Run the IR, in the arithmetic its manifest asks for, with the output of op ``tap`` (the backbone features) as an
    extra output named ``features``."""
    import openvino as ov

    core = ov.Core()
    model = core.read_model(directory / MODEL_FILE)
    op = next(op for op in model.get_ordered_ops() if op.get_friendly_name() == tap)
    model.add_outputs([op.output(0)])
    arithmetic = manifest.runtime.settings.get("INFERENCE_PRECISION_HINT", "f32")  # what the bundle will run with
    config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": arithmetic}
    compiled = core.compile_model(model, DEVICE, config)
    request = compiled.create_infer_request()
    outputs = [compiled.output(name) for name in manifest.output_names]
    features = compiled.outputs[-1]

    def run(batch: np.ndarray) -> dict[str, np.ndarray]:
        results = request.infer({manifest.input_names[0]: batch})
        return {**{name: np.array(results[port]) for name, port in zip(manifest.output_names, outputs)}, "features": np.array(results[features])}

    return run
