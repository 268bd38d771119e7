"""The distribution installs one namespace whose folders map as the architecture doc says."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import sapiens2

REPO = Path(__file__).resolve().parents[1]
FOLDER_OF = {"sapiens2": "sdk", "sapiens2.compile": "compile", "sapiens2.quantize": "quantize", "sapiens2.targets": "targets"}


def test_top_level_folders_are_the_namespace_parts() -> None:
    for name, folder in FOLDER_OF.items():
        module = importlib.import_module(name)
        assert Path(module.__file__).resolve().parent == REPO / folder


def test_every_subpackage_imports() -> None:
    names = []
    for name in FOLDER_OF:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            if info.ispkg:
                importlib.import_module(info.name)
                names.append(info.name)
    assert "sapiens2.models" in names and "sapiens2.cli" in names


def test_label_metadata_ships_with_the_package() -> None:
    data = Path(sapiens2.__file__).parent / "data"
    assert (data / "keypoints308.json").is_file() and (data / "seg29.json").is_file()


def test_cli_silences_library_noise() -> None:
    """Unsilenced, importing torchao on the CPU wheel logs 'Failed to load ... _C_mxfp8', coremltools off macOS
    'Failed to load _MLModelProxy', and unpickling a pytree leaf (as ExecuTorch's lowering does) warns that
    ``LeafSpec`` is deprecated."""
    noisy = "import pickle, coremltools, torchao.quantization, torch.utils._pytree as p; pickle.loads(pickle.dumps(p.treespec_leaf()))"
    silenced = f"from sapiens2.noise import silence_import_noise; silence_import_noise(); {noisy}"
    loud, quiet = (subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, check=True) for code in (noisy, silenced))
    for noise in ("Failed to load /", "LeafSpec", "Failed to load _MLModelProxy"):
        assert noise in loud.stderr and noise not in quiet.stderr, noise
