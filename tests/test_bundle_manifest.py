"""Manifest schema: a valid manifest round-trips; each kind of violation names its field."""

from __future__ import annotations

import copy
import hashlib
import json
import re

import pytest
from sapiens2.bundle import (
    ArtifactFile,
    BundleError,
    ExportSettings,
    InputSpec,
    Manifest,
    ModelSource,
    Normalization,
    OutputSpec,
    RuntimeInfo,
    manifest_schema,
    read_manifest,
    validate_manifest,
)

ARTIFACT = b"not really a model"


def seg_manifest(source: ModelSource | None = None) -> Manifest:
    """A hand-written manifest of a 128x96 seg ONNX bundle whose artifact is ``ARTIFACT``."""
    return Manifest(
        task="seg",
        arch="sapiens2_0.1b",
        source=source or ModelSource("checkpoint", path="seg.safetensors", sha256="ab" * 32),
        target="onnx",
        precision="fp32",
        runtime=RuntimeInfo("onnxruntime", "1.31.1", {"graph_optimization_level": "ORT_ENABLE_ALL"}),
        export=ExportSettings((128, 96), "sdpa", None, None, "fp32 tables", False, "none", False, 20),
        inputs=(
            InputSpec(
                "image",
                (1, 3, 128, 96),
                "float32",
                "NCHW",
                "RGB",
                Normalization((123.675, 116.28, 103.53), (58.395, 57.12, 57.375), False),
                {"policy": "stretch"},
            ),
        ),
        outputs=(OutputSpec("logits", (1, 29, 128, 96), "float32", "class logits"),),
        decoding={"num_classes": 29},
        labels={"source": "seg29.json", "names": ["Background"]},
        artifacts=(ArtifactFile("model.onnx", hashlib.sha256(ARTIFACT).hexdigest(), len(ARTIFACT)),),
        sdk_version="0.1.0",
        created="2026-11-21T10:00:00+00:00",
    )


def test_manifest_round_trips_through_json() -> None:
    manifest = seg_manifest()
    data = json.loads(json.dumps(manifest.to_dict()))
    validate_manifest(data)
    assert Manifest.from_dict(data) == manifest
    assert data["random_weights"] is False


def test_random_weights_are_flagged_at_top_level() -> None:
    data = seg_manifest(ModelSource("random-weights", seed=3)).to_dict()
    validate_manifest(data)
    assert data["random_weights"] is True
    data["random_weights"] = False  # a reader must not be able to miss random weights
    with pytest.raises(BundleError, match="random_weights"):
        validate_manifest(data)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("inputs", 0, "dtype"), "float64", "inputs[0].dtype"),
        (("target",), "Tensor RT", "target"),  # any registered name passes; not this one's form
        (("artifacts", 0, "sha256"), "xyz", "artifacts[0].sha256"),
        (("artifacts", 0, "file"), "../escape.onnx", "artifacts[0].file"),
        (("export", "attention"), "flash", "export.attention"),
        (("outputs", 0, "shape"), [1, 0, 4], "outputs[0].shape[1]"),
        (("source", "sha256"), None, "source.sha256"),
    ],
)
def test_schema_violations_name_the_field(path: tuple, value: object, field: str) -> None:
    data = copy.deepcopy(seg_manifest().to_dict())
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(BundleError, match=f"schema at {re.escape(field)}:"):
        validate_manifest(data)


def test_missing_field_is_reported() -> None:
    data = seg_manifest().to_dict()
    del data["precision"]
    with pytest.raises(BundleError, match="'precision' is a required property"):
        validate_manifest(data)


def test_read_manifest_rejects_invalid_files(tmp_path) -> None:
    with pytest.raises(BundleError, match="does not exist"):
        read_manifest(tmp_path / "nowhere")
    with pytest.raises(BundleError, match="has no manifest.json"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(BundleError, match="not readable JSON"):
        read_manifest(tmp_path)
    data = seg_manifest().to_dict()
    data["schema_version"] = 2
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(BundleError, match="schema_version"):
        read_manifest(tmp_path)


def test_schema_is_packaged() -> None:
    assert manifest_schema()["properties"]["schema_version"] == {"const": 1}
