"""The Android demo's Kotlin, built and run here: the core's JUnit tests on the golden vectors and on
manifests the SDK writes, and the app's sources compiled against the Android/CameraX/ExecuTorch stubs.

Needs a JDK, the npm ``kotlin-compiler`` and Debian's ``junit4`` and ``libgoogle-gson-java`` (``.ci/run``
installs them); without them the test skips and says what is missing. Compiled classes are cached
(``~/.cache/sapiens2-android``), so only the first run pays for the compiler (~1-2 min).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
from sapiens2.bundle import InputSpec, Normalization, OutputSpec, RuntimeInfo
from sapiens2.compile.describe import label_record, resize_policy
from test_bundle_manifest import seg_manifest

REPO = Path(__file__).resolve().parents[1]
CORE_TESTS = REPO / "android_demo" / "core" / "src" / "test"


def _kotlin_check():
    spec = importlib.util.spec_from_file_location("kotlin_check", REPO / "android_demo" / "tools" / "kotlin_check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def write_manifests(folder: Path) -> None:
    """Pose and seg ExecuTorch manifests as ``sapiens2 compile`` writes them (labels, resize policy, outputs)."""
    base = dataclasses.replace(
        seg_manifest(), target="executorch", runtime=RuntimeInfo("executorch", "1.5.1", {"program": "model.pte"})
    )
    pixels = InputSpec(
        "image",
        (1, 64, 48, 3),
        "uint8",
        "NHWC",
        "RGB",
        Normalization((123.675, 116.28, 103.53), (58.395, 57.12, 57.375), True),
        {},
    )
    pose = dataclasses.replace(
        base,
        task="pose",
        export=dataclasses.replace(base.export, input_size=(64, 48), in_graph_preprocess=True, decode="only"),
        inputs=(dataclasses.replace(pixels, resize=resize_policy("pose", (64, 48))),),
        outputs=(
            OutputSpec("keypoints", (1, 308, 2), "float32", "peaks"),
            OutputSpec("scores", (1, 308), "float32", "maxima"),
        ),
        decoding={"heatmap_size": [16, 12]},
        labels=label_record("pose"),
    )
    seg = dataclasses.replace(
        base,
        export=dataclasses.replace(base.export, input_size=(64, 48), in_graph_preprocess=True, decode="only"),
        inputs=(dataclasses.replace(pixels, resize=resize_policy("seg", (64, 48))),),
        outputs=(OutputSpec("labels", (1, 64, 48), "uint8", "class ids"),),
        labels=label_record("seg"),
    )
    for name, manifest in (("pose", pose), ("seg", seg)):
        (folder / f"{name}.json").write_text(json.dumps(manifest.to_dict()))


def test_kotlin_core_passes_and_app_compiles_against_the_stubs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check = _kotlin_check()
    tools, missing = check.find_tools()
    if tools is None:
        pytest.skip("Kotlin toolchain missing: " + "; ".join(missing))
    write_manifests(tmp_path)
    code = check.main(["--manifests", str(tmp_path)])
    output = capsys.readouterr().out
    assert code == 0, output
    declared = sum(len(re.findall(r"^\s*@Test fun", p.read_text(), re.MULTILINE)) for p in CORE_TESTS.rglob("*.kt"))
    assert check.SUMMARY.findall(output)[-1] == (str(declared), "0"), output  # every @Test ran, none failed
    app_files = len(list((REPO / "android_demo" / "app" / "src" / "main").rglob("*.kt")))
    assert f"app: {app_files} Kotlin files compiled against" in output
