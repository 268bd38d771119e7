"""The distribution installs one namespace whose folders map as the architecture doc says."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]
FOLDER_OF = {"sapiens2": "sdk", "sapiens2.compile": "compile", "sapiens2.quantize": "quantize", "sapiens2.targets": "targets"}


def test_top_level_folders_are_the_namespace_parts() -> None:
    for name, folder in FOLDER_OF.items():
        module = importlib.import_module(name)
        assert Path(module.__file__).resolve().parent == REPO / folder


def test_every_module_imports_first() -> None:
    """Each module imports in an interpreter where no other part of the SDK was imported before it
    (a cycle between compile and quantize once broke ``import sapiens2.targets.onnx.quantizer``)."""
    script = f"""
import importlib, pkgutil, sys
names = []
for package in {list(FOLDER_OF)!r}:
    names += [info.name for info in pkgutil.walk_packages(importlib.import_module(package).__path__, package + ".")]
for name in names:
    for loaded in [module for module in sys.modules if module.split(".")[0] == "sapiens2"]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as error:
        print("FAILED", name, type(error).__name__, error)
print(len(names), "modules")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=True)
    assert "FAILED" not in result.stdout, result.stdout
    assert int(result.stdout.split()[-2]) > 100  # every folder's modules were walked, not only sdk/


def test_cli_silences_library_noise() -> None:
    """Unsilenced, importing torchao on the CPU wheel logs 'Failed to load ... _C_mxfp8', coremltools off macOS
    'Failed to load _MLModelProxy', and unpickling a pytree leaf (as ExecuTorch's lowering does) warns that
    ``LeafSpec`` is deprecated."""
    noisy = "import pickle, coremltools, torchao.quantization, torch.utils._pytree as p; pickle.loads(pickle.dumps(p.treespec_leaf()))"
    silenced = f"from sapiens2.noise import silence_import_noise; silence_import_noise(); {noisy}"
    loud, quiet = (subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, check=True) for code in (noisy, silenced))
    for noise in ("Failed to load /", "LeafSpec", "Failed to load _MLModelProxy"):
        assert noise in loud.stderr and noise not in quiet.stderr, noise
