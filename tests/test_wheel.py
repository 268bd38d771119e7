"""What an installed wheel holds and does, checked on a wheel built from this tree (not the editable source).

The default run inspects the wheel's files; the slow test installs it into a fresh virtual
environment outside the repository (dependencies borrowed from this environment, no ``../shared``,
no ``SAPIENS2_DATA``) and compiles and quantizes with the packaged samples.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "sdk", "compile", "quantize", "targets")
FRAMES = 20


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of a copy of this tree (building in place would leave build/ behind)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(root / "dist"), str(source)]
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    return next((root / "dist").glob("sapiens2_sdk-*.whl"))


def test_the_wheel_ships_the_label_metadata_samples_and_every_target(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"sapiens2/data/keypoints308.json", "sapiens2/data/seg29.json", "sapiens2/bundle/manifest.schema.json"} <= names
    assert {"sapiens2/data/images/astronaut.png", "sapiens2/data/images/basketball1.png", "sapiens2/data/README.md"} <= names
    assert len([n for n in names if n.startswith("sapiens2/data/images/vtest_frame") and n.endswith(".jpg")]) == FRAMES
    assert not [n for n in names if "messi" in n or "sample_person" in n]  # a press photo: not ours to ship
    for target in ("onnx", "openvino", "executorch", "coreml", "torch"):
        assert f"sapiens2/targets/{target}/target.py" in names
    demo_model = "sapiens2/data/models/tiny_pose_mediapipe/"
    assert {demo_model + "model.safetensors", demo_model + "model.json", "sapiens2/data/models/README.md"} <= names
    sizes = {info.filename: info.file_size for info in zipfile.ZipFile(wheel).infolist() if info.filename.startswith("sapiens2/data/")}
    assert sizes[demo_model + "model.safetensors"] < 10_000_000  # 4.2 M parameters as fp16
    assert sum(size for name, size in sizes.items() if not name.startswith(demo_model)) < 5_000_000


SCRIPT = """
import sys
from pathlib import Path
import sapiens2
from sapiens2.compile import CompileOptions, compile_bundle, from_random_weights
assert Path(sapiens2.__file__).is_relative_to(Path(sys.argv[1])), sapiens2.__file__
arch = {"embed_dims": 64, "num_layers": 2, "num_heads": 4, "feedforward_channels": 256, "num_tokenizer_layers": 2}
load = from_random_weights("seg", arch)
fp32 = compile_bundle(load, CompileOptions(target="onnx", input_size=(64, 48), threads=1), "fp32")
assert fp32.report["real_images"] == ["astronaut.png", "basketball1.png"], fp32.report["real_images"]
int8 = compile_bundle(load, CompileOptions(target="onnx", input_size=(64, 48), threads=1, precision="int8",
                                           calibration_size=4, float_budget=0.0,  # loose gates: random weights
                                           min_feature_cosine=0.5, min_pixel_agreement=0.5, min_miou=0.3), "int8")
calibration, packaged = int8.manifest.quantization.calibration, Path(sapiens2.__file__).parent / "data" / "images"
assert calibration["source"] == f"default: {packaged}", calibration
held_out = [image["name"] for image in int8.report["accuracy"]["images"]]
assert len(held_out) == 5 and all((packaged / name).is_file() for name in held_out + calibration["images"]), held_out
print("ok")
"""


@pytest.mark.slow
def test_an_installed_wheel_compiles_and_quantizes_on_its_packaged_samples(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    site = next(venv.glob("lib/python*/site-packages"))
    # Dependencies from this environment, by path only: its .pth files (the editable finder) are not run.
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)], check=True, timeout=600)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("SAPIENS2_DATA", "PYTHONPATH")}
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", SCRIPT, str(site)], cwd=work, env=env, capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-3000:]
