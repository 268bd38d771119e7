"""``sapiens2.load(checkpoint).predict(image)`` imports nothing of compile/, quantize/ or an exporter toolchain."""

from __future__ import annotations

import json
import subprocess
import sys

from fixture_paths import IMAGES, case_checkpoint

HEAVY = ("sapiens2.compile", "sapiens2.quantize", "onnx", "onnxscript", "onnxruntime", "openvino", "executorch", "coremltools", "nncf", "torchao")
SCRIPT = """
import json, sys
import sapiens2
result = sapiens2.load(sys.argv[1], input_size=(128, 96)).predict(sys.argv[2])
assert len(result.keypoints) == 1
print(json.dumps(sorted(sys.modules)))
"""


def test_predicting_from_a_checkpoint_imports_no_compile_code_or_toolchain() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(case_checkpoint("task_pose")), str(IMAGES / "astronaut.png")],
        capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    modules = json.loads(done.stdout.splitlines()[-1])
    assert "sapiens2.targets.torch.model_runner" in modules  # the runner that did predict was imported
    heavy = [name for name in modules if name in HEAVY or name.startswith(tuple(f"{prefix}." for prefix in HEAVY))]
    assert not heavy, heavy
