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


def test_cli_silences_torchao_import_warnings() -> None:
    """Without silencing, importing torchao on the CPU wheel prints 'Failed to load ... _C_mxfp8' to stderr."""
    code = "from sapiens2.noise import silence_import_noise; silence_import_noise(); import torchao.quantization"
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loud = subprocess.run([sys.executable, "-c", "import torchao.quantization"], capture_output=True, text=True, check=True)
    assert "Failed to load" in loud.stderr and "Failed to load" not in quiet.stderr
