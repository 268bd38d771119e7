"""A manifest that passes the schema but disagrees with its artifact is refused when the bundle is opened."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sapiens2.bundle import BundleError, read_bundle
from sapiens2.cli.main import main
from sapiens2.targets import open_bundle
from test_targets_runtime import write_bundle

from fixture_paths import IMAGES


def edit_manifest(bundle: Path, edit) -> Path:
    """Rewrite manifest.json through ``edit(data)``; the artifact checksums stay valid."""
    path = bundle / "manifest.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    read_bundle(bundle)  # still schema-valid with intact checksums: only the artifact can tell
    return bundle


def _input_size(data: dict) -> None:
    data["inputs"][0]["shape"] = [1, 3, 256, 192]
    data["export"]["input_size"] = [256, 192]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_input_size, "input 'image' with shape [1, 3, 256, 192] but the artifact (or its input spec) declares shape [1, 3, 128, 96]"),
        (lambda d: d["export"].update(input_size=[256, 192]), "input size 256x192 but the artifact (or its input spec) declares an input 'image' of 128x96"),
        (lambda d: d["outputs"][0].update(name="labels"), "outputs ['labels'] but the artifact (or its input spec) declares outputs ['logits']"),
        (lambda d: d["inputs"][0].update(dtype="uint8"), "input 'image' as uint8 but the artifact (or its input spec) declares float32"),
        (lambda d: d.update(target="openvino"), "target 'openvino' but lists no .xml artifact"),
    ],
)
def test_manifests_that_disagree_with_their_artifact_are_refused(tmp_path: Path, edit, message: str) -> None:
    bundle = edit_manifest(write_bundle(tmp_path / "bundle", "onnx"), edit)
    with pytest.raises(BundleError) as error:
        open_bundle(bundle)
    assert message in str(error.value)


def test_predict_on_a_tampered_bundle_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bundle = edit_manifest(write_bundle(tmp_path / "bundle", "onnx"), _input_size)
    assert main(["predict", str(IMAGES / "messi5.jpg"), "-c", str(bundle), "--out", str(tmp_path / "out")]) == 2
    assert "declares shape [1, 3, 128, 96]" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_honest_bundle_opens(tmp_path: Path) -> None:
    for target in ("onnx", "openvino"):
        runtime = open_bundle(write_bundle(tmp_path / target, target))
        assert runtime.output_names == ("logits",)
