"""ONNX Runtime quantization of an exported ``model.onnx``, in place (``onnxruntime.quantization``).

Schemes (choices measured in docs/toolchain.md):

* ``int8``: static QDQ, int8 weights per output channel and uint8 activations calibrated with the
  Percentile method (it beat MinMax; ranges from ``calibration.py``), on ``Gemm`` and ``Conv`` only, after ``quant_pre_process``,
  which fuses every linear into a ``Gemm``. uint8 x int8 is the pair x86 CPUs without VNNI run
  fast (``vpmaddubsw``): on this AVX2 machine int8 x int8 QDQ ran the 0.1b pose at 256x192 in 686 ms
  against 523 ms, at the same fidelity (output cosine 0.99407 vs 0.99409). Quantizing all op types (Add/Mul/Softmax/Concat) ruins
  fidelity (min token cosine 0.69), and listing ``MatMul`` instead of ``Gemm`` after the
  pre-processing leaves the linears in fp32. Adding ``MatMul`` as well (the attention products)
  made the 0.1B pose at 512x384 slower, 466 ms against 406 ms on 2 Zen 4 threads, at the same
  backbone-feature cosine: the Q/DQ pairs around activation x activation products get no int8 kernel.
* ``int8-weights``: dynamic quantization of the linears: int8 per-channel weights, activations
  quantized at run time (``MatMulInteger``); no calibration data. Convolutions stay fp32: ONNX
  Runtime's ``ConvInteger`` is slow on the CPU (0.1b pose at 512x384: 2.5 s in its two convolutions,
  the whole model 0.70x eager against 1.20x for fp32).
* ``int4-weights``: ``MatMulNBits``, 4-bit symmetric weights in blocks of 32 on the linears'
  ``MatMul``; convolutions stay fp32.

The static scheme quantizes the heads' transposed convs as the plain convs of the default phase
export (``--deconv phase``): ONNX Runtime has no int8 ``ConvTranspose`` kernel and dequantizes
them (``--deconv native``).

Layers the sensitivity scan keeps are excluded by node name (``nodes_to_exclude``), found through
the module path the dynamo exporter records on every node (``pkg.torch.onnx.name_scopes``).
"""

from __future__ import annotations

import ast
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from sapiens2.bundle import Manifest
from torch import nn

from sapiens2.quantize.calibration import CalibrationSet
from sapiens2.quantize.quiet import quiet_tools, root_logger_kept

from .artifact import MODEL_FILE
from .calibration import write_percentile_ranges

WRAPPER_PREFIX = "model."  # ExportWrapper holds the task model as ``.model``
SCOPES_KEY = "pkg.torch.onnx.name_scopes"
STATIC_OP_TYPES = ["Gemm", "Conv", "ConvTranspose"]
DYNAMIC_OP_TYPES = ["MatMul"]
INT4_BLOCK = 32
# The torch layers each scheme's op types cover (Gemm/MatMul: linears; Conv: convolutions, transposed ones as phase convs).
LAYER_TYPES = {
    "int8": (nn.Linear, nn.Conv2d, nn.ConvTranspose2d),
    "int8-weights": (nn.Linear,),
    "int4-weights": (nn.Linear,),
}
SCHEMES = {
    "int8": ("static QDQ", "int8 per output channel, symmetric", "uint8 per tensor, calibrated (percentile)"),
    "int8-weights": ("dynamic", "int8 per output channel, symmetric (linears; convolutions fp32)", "uint8 per tensor, computed at run time"),
    "int4-weights": ("MatMulNBits", f"int4 symmetric, blocks of {INT4_BLOCK} (linears; convolutions fp32)", "float"),
}


def tool() -> str:
    import onnxruntime

    return f"onnxruntime.quantization {onnxruntime.__version__}"


def node_modules(model: object) -> dict[str, str]:
    """Node name -> task-model module path (``backbone.blocks.0.attn.wq``) from the exporter's metadata."""
    modules = {}
    for node in model.graph.node:
        scopes = next((ast.literal_eval(p.value) for p in node.metadata_props if p.key == SCOPES_KEY), [])
        if len(scopes) >= 2 and scopes[-2].startswith(WRAPPER_PREFIX):
            modules[node.name] = scopes[-2].removeprefix(WRAPPER_PREFIX)
    return modules


def feature_tap(directory: Path) -> str:
    """Name of the tensor the decode head takes from the backbone, found in the fp32 export."""
    import onnx

    model = onnx.load(directory / MODEL_FILE, load_external_data=False)
    modules = node_modules(model)
    producer = {output: node.name for node in model.graph.node for output in node.output}
    for node in model.graph.node:
        if modules.get(node.name, "").startswith("decode_head"):
            for name in node.input:
                if modules.get(producer.get(name, ""), "").startswith("backbone"):
                    return name
    raise ValueError(f"no backbone -> decode_head tensor found in {directory / MODEL_FILE}")


def _excluded(model: object, modules: dict[str, str], kept: set[str]) -> list[str]:
    """Nodes of kept layers (fused nodes are named ``<original>/<fusion>``)."""
    return [node.name for node in model.graph.node if modules.get(node.name.split("/")[0]) in kept]


def _activation_matmuls(model: object) -> list[str]:
    """MatMuls without a constant weight (attention scores and values): never quantized."""
    constants = {init.name for init in model.graph.initializer}
    constants |= {out for node in model.graph.node if node.op_type == "Constant" for out in node.output}
    return [node.name for node in model.graph.node if node.op_type == "MatMul" and node.input[1] not in constants]


def quantize_artifact(
    directory: Path, precision: str, calibration: CalibrationSet | None, kept: Iterable[str], input_name: str
) -> list[str]:
    """Replace ``directory/model.onnx`` by its quantized form; ``kept`` layers stay fp32. Returns the file names."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_dynamic, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with root_logger_kept():  # its import configures the root logger at INFO for the whole process
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    path = directory / MODEL_FILE
    original = onnx.load(path)
    modules = node_modules(original)
    kept = set(kept)
    if precision == "int8":
        del original  # ORT reads its own copies from disk: hold no extra model beside them (0.1B: 560 MB each)
    with tempfile.TemporaryDirectory(dir=directory) as scratch, quiet_tools():
        quantized = Path(scratch) / MODEL_FILE
        if precision == "int8":
            pre = Path(scratch) / "pre.onnx"
            # Symbolic shape inference trips over the exporter's scalar Constants; ONNX's own inference suffices.
            quant_pre_process(str(path), str(pre), skip_symbolic_shape=True)
            excluded = _excluded(onnx.load(pre), modules, kept)
            ranges = Path(scratch) / "ranges.json"
            write_percentile_ranges(pre, STATIC_OP_TYPES, calibration.inputs, input_name, ranges, Path(scratch))
            quantize_static(
                str(pre), str(quantized), None, calibration_cache_path=str(ranges),
                quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                op_types_to_quantize=STATIC_OP_TYPES, nodes_to_exclude=excluded,
                calibrate_method=CalibrationMethod.Percentile,
            )  # fmt: skip
        elif precision == "int8-weights":
            quantize_dynamic(
                str(path), str(quantized), per_channel=True, weight_type=QuantType.QInt8, op_types_to_quantize=DYNAMIC_OP_TYPES,
                nodes_to_exclude=_excluded(original, modules, kept) + _activation_matmuls(original),
            )  # fmt: skip
        else:
            quantizer = MatMulNBitsQuantizer(
                original, block_size=INT4_BLOCK, is_symmetric=True, nodes_to_exclude=_excluded(original, modules, kept)
            )
            quantizer.process()
            quantizer.model.save_model_to_file(str(quantized), use_external_data_format=False)
        os.replace(quantized, path)
    return sorted(item.name for item in directory.iterdir())


def feature_runner(directory: Path, manifest: Manifest, tap: str, threads: int) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """Run the artifact with the backbone features (``tap``) as an extra output named ``features``."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(directory / MODEL_FILE)
    model.graph.output.append(onnx.ValueInfoProto(name=tap))
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    names = [*manifest.output_names, tap]

    def run(batch: np.ndarray) -> dict[str, np.ndarray]:
        values = session.run(names, {manifest.input_names[0]: batch})
        return {**dict(zip(manifest.output_names, values)), "features": values[-1]}

    return run
