"""Atomic bundle writes and checksum verification on read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sapiens2.bundle import (
    BundleError,
    BundleStage,
    failed_report_path,
    read_bundle,
    write_failed_report,
)
from sapiens2.targets import open_bundle
from test_bundle_manifest import ARTIFACT, seg_manifest


def publish_fake_bundle(out: Path, overwrite: bool = False) -> Path:
    with BundleStage(out, overwrite) as stage:
        (stage.path / "model.onnx").write_bytes(ARTIFACT)
        assert stage.describe(["model.onnx"]) == seg_manifest().artifacts
        return stage.publish(seg_manifest(), {"gate": {"passed": True}})


def test_publish_moves_a_complete_bundle_into_place(tmp_path: Path) -> None:
    out = publish_fake_bundle(tmp_path / "bundle")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "model.onnx", "report.json"]
    assert read_bundle(out).manifest == seg_manifest()
    assert read_bundle(out).report() == {"gate": {"passed": True}}
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]  # no staging directory left behind


def test_failure_inside_the_stage_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    with pytest.raises(RuntimeError, match="export crashed"), BundleStage(out) as stage:
        (stage.path / "model.onnx").write_bytes(b"half")
        raise RuntimeError("export crashed")
    assert list(tmp_path.iterdir()) == []


def test_existing_output_needs_overwrite(tmp_path: Path) -> None:
    out = publish_fake_bundle(tmp_path / "bundle")
    with pytest.raises(BundleError, match="already exists.*--overwrite"):
        BundleStage(out)
    publish_fake_bundle(out, overwrite=True)
    assert read_bundle(out).manifest == seg_manifest()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("mine")
    with pytest.raises(BundleError, match="not a bundle"):
        BundleStage(tmp_path / "notes", overwrite=True)


def test_failed_report_is_kept_beside_the_missing_bundle(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    path = write_failed_report(out, {"gate": {"passed": False}})
    assert path == failed_report_path(out) == tmp_path / "bundle.failed" / "report.json"
    assert json.loads(path.read_text()) == {"gate": {"passed": False}}
    assert not out.exists()
    publish_fake_bundle(out)  # a later successful compile clears the stale failure
    assert not path.parent.exists()


def test_tampered_artifact_is_refused(tmp_path: Path) -> None:
    out = publish_fake_bundle(tmp_path / "bundle")
    (out / "model.onnx").write_bytes(ARTIFACT[:-1] + b"!")
    with pytest.raises(BundleError, match="checksum mismatch.*modified or corrupted"):
        read_bundle(out)
    with pytest.raises(BundleError, match="checksum mismatch"):
        open_bundle(out)
    assert read_bundle(out, verify=False).manifest.task == "seg"


def test_missing_artifact_is_refused(tmp_path: Path) -> None:
    out = publish_fake_bundle(tmp_path / "bundle")
    (out / "model.onnx").unlink()
    with pytest.raises(BundleError, match="missing its artifact model.onnx"):
        open_bundle(out)


def test_publish_refuses_a_manifest_that_breaks_the_schema(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    manifest = seg_manifest()
    broken = type(manifest)(**{**manifest.__dict__, "precision": "int3"})
    with pytest.raises(BundleError, match="precision"), BundleStage(out) as stage:
        (stage.path / "model.onnx").write_bytes(ARTIFACT)
        stage.publish(broken, {})
    assert not out.exists()
