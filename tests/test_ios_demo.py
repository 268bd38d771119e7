"""The iOS demo (ios_demo/), checked without a Swift compiler or a Mac.

* every ``.swift`` file and ``Package.swift`` parses (tree-sitter-swift);
* the XcodeGen ``project.yml`` and the Swift package are consistent: paths exist, iOS 17, the app
  links SapiensCore, SapiensCore imports Foundation only;
* ``ModelIO.swift`` (the model's input/output names) is what the SDK generates today, and no other
  Swift file spells those names;
* every manifest key the Swift ``Decodable`` structs read exists, with the JSON type Swift expects,
  in the manifests ``sapiens2 compile --target coreml`` writes for pose (``--decode beside``) and seg
  (``--decode only``), the two bundles the app runs;
* (slow) the Core ML bundles themselves: an RGB image input of the manifest's size, the outputs the app
  reads in element types it reads, and the MIL runner's fidelity against PyTorch.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from sapiens2.bundle import ArtifactFile, RuntimeInfo, read_bundle, validate_manifest
from sapiens2.compile import CompileOptions, compile_bundle, from_random_weights
from sapiens2.compile.describe import build_manifest
from sapiens2.compile.source import random_weights_model
from sapiens2.threads import torch_threads
from sapiens2.compile.wrappers import ExportWrapper
from sapiens2.targets.coreml.artifact import PACKAGE
from sapiens2.targets.coreml.runtime import CoreMLRuntime
from sapiens2.targets.registry import get_target
from swift_source import decodable_structs, imports, multiline_string, string_literals, syntax_errors

IOS = Path(__file__).resolve().parents[1] / "ios_demo"
CORE = IOS / "SapiensCore"
APP = IOS / "SapiensDemo"
MODEL_IO = CORE / "Sources" / "SapiensCore" / "ModelIO.swift"
MANIFEST_SWIFT = CORE / "Sources" / "SapiensCore" / "BundleManifest.swift"
MANIFEST_TESTS = CORE / "Tests" / "SapiensCoreTests" / "ManifestTests.swift"
TINY_ARCH = {"embed_dims": 64, "num_layers": 2, "num_heads": 4, "feedforward_channels": 256, "num_tokenizer_layers": 2}
INPUT_SIZE = (64, 48)
# The bundles the app runs (ios_demo/README.md): pose with the heatmaps beside the in-graph peaks, seg labels.
APP_BUNDLES = {"pose": "beside", "seg": "only"}
APPLE_FRAMEWORKS = {
    "SwiftUI",
    "UIKit",
    "AVFoundation",
    "CoreML",
    "CoreImage",
    "CoreVideo",
    "CoreGraphics",
    "CryptoKit",
    "Foundation",
}
JSON_TYPES = {"String": (str,), "Bool": (bool,), "Int": (int,), "Double": (int, float), "Float": (int, float)}


def swift_files() -> list[Path]:
    return sorted(IOS.rglob("*.swift"))


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate_model_io", IOS / "tools" / "generate_model_io.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_swift_file_parses() -> None:
    files = swift_files()
    assert CORE / "Package.swift" in files and len(files) > 20
    problems = {str(path.relative_to(IOS)): syntax_errors(path.read_bytes()) for path in files}
    assert {path: errors for path, errors in problems.items() if errors} == {}


def test_the_syntax_check_catches_an_error() -> None:
    assert syntax_errors(b"import Foundation\nstruct A { let x: Int }\n") == []
    assert syntax_errors(b"func f( { let x = }\n")


def test_sapiens_core_is_foundation_only_and_the_app_uses_apple_frameworks() -> None:
    for path in (CORE / "Sources").rglob("*.swift"):
        assert imports(path.read_bytes()) <= {"Foundation"}, path.name
    for path in APP.rglob("*.swift"):
        assert imports(path.read_bytes()) <= APPLE_FRAMEWORKS | {"SapiensCore"}, path.name


def test_package_declares_its_targets_where_they_are() -> None:
    package = (CORE / "Package.swift").read_text()
    assert ".iOS(.v17)" in package
    targets = {name: kind for kind, name in re.findall(r"\.(target|testTarget)\(name: \"(\w+)\"", package)}
    assert targets == {"SapiensCore": "target", "SapiensCoreTests": "testTarget"}
    assert list((CORE / "Sources" / "SapiensCore").glob("*.swift"))
    assert list((CORE / "Tests" / "SapiensCoreTests").glob("*Tests.swift"))
    assert '.library(name: "SapiensCore", targets: ["SapiensCore"])' in package


def test_xcodegen_project_is_sane() -> None:
    project = yaml.safe_load((IOS / "project.yml").read_text())
    assert project["options"]["deploymentTarget"]["iOS"] == "17.0"
    packages = project["packages"]
    assert all((IOS / spec["path"] / "Package.swift").is_file() for spec in packages.values())
    app = project["targets"]["SapiensDemo"]
    assert (app["type"], app["platform"], app["deploymentTarget"]) == ("application", "iOS", "17.0")
    assert [dep["package"] for dep in app["dependencies"]] == ["SapiensCore"] and "SapiensCore" in packages
    sources = {source["path"]: source for source in app["sources"]}
    assert all((IOS / path).is_dir() for path in sources)
    assert (
        sources["SapiensDemo/Bundles"]["type"] == "folder"
        and sources["SapiensDemo/Bundles"]["buildPhase"] == "resources"
    )
    # Every app source file is compiled: it lies under the sources folder and outside its excludes.
    excluded = sources["SapiensDemo"]["excludes"]
    assert all(not path.relative_to(APP).parts[0].startswith(tuple(excluded)) for path in APP.rglob("*.swift"))
    info = app["info"]["properties"]
    assert info["NSCameraUsageDescription"] and info["UISupportedInterfaceOrientations"] == [
        "UIInterfaceOrientationPortrait"
    ]
    assert app["info"]["path"].startswith("SapiensDemo/")


def test_model_io_names_are_current() -> None:
    assert MODEL_IO.read_text() == _generator().model_io_swift(), "run python ios_demo/tools/generate_model_io.py"


def test_only_model_io_spells_the_model_names() -> None:
    names = string_literals(MODEL_IO.read_bytes())
    assert {"image", "heatmaps", "keypoints", "scores", "labels", "manifest.json", "model.mlpackage"} <= names
    for path in swift_files():
        if path != MODEL_IO and "Tests" not in path.parts:
            assert not string_literals(path.read_bytes()) & names, path.name


def coreml_manifest(task: str, decode: str) -> dict[str, Any]:
    """The manifest ``sapiens2 compile --target coreml`` writes for a tiny model, without the slow export."""
    options = CompileOptions(target="coreml", input_size=INPUT_SIZE, decode=decode, threads=1)
    model, source = random_weights_model(task, TINY_ARCH, options.input_size, 0)
    wrapper = ExportWrapper(model, options.input_size, options.in_graph_preprocess, options.decode).eval()
    with torch_threads(1), torch.no_grad():
        example = dict(zip(wrapper.output_names, (t.numpy() for t in wrapper(wrapper.example_input()))))
    runtime = RuntimeInfo(CoreMLRuntime.name, CoreMLRuntime.version(), get_target("coreml").runtime_settings(options))
    stand_in = (ArtifactFile(f"{PACKAGE}/Manifest.json", "0" * 64, 1),)  # no package is written
    data = build_manifest(model, source, options, wrapper, example, stand_in, runtime, None).to_dict()  # ML programs have no opset
    validate_manifest(data)
    return data


def _leaves(value: Any, depth: int) -> Iterator[Any]:
    if depth == 0:
        yield value
        return
    assert isinstance(value, list), f"expected a {depth}-deep array, got {value!r}"
    for item in value:
        yield from _leaves(item, depth - 1)


def unread_keys(structs: dict[str, list], struct: str, documents: list[Any], path: str = "manifest") -> list[str]:
    """What in ``documents`` (the JSON of every app bundle at ``path``) the Swift struct would fail to decode."""
    problems = []
    for field in structs[struct]:
        where = f"{path}.{field.key}"
        present = [doc[field.key] for doc in documents if field.key in doc]
        if not present:
            problems.append(f"{where}: in no manifest")
        elif len(present) < len(documents) and not field.optional:
            problems.append(f"{where}: missing from some manifests, but not optional in Swift")
        values = [leaf for value in present if value is not None for leaf in _leaves(value, field.array_depth)]
        if field.type_name in structs:
            problems += unread_keys(structs, field.type_name, values, where)
        else:
            expected = JSON_TYPES[field.type_name]
            wrong = [v for v in values if not isinstance(v, expected) or (bool not in expected and isinstance(v, bool))]
            problems += [f"{where}: {v!r} is not a Swift {field.type_name}" for v in wrong[:1]]
    return problems


@pytest.fixture(scope="module")
def app_manifests() -> list[dict[str, Any]]:
    return [coreml_manifest(task, decode) for task, decode in APP_BUNDLES.items()]


def test_swift_reads_what_the_compile_writes(app_manifests: list[dict[str, Any]]) -> None:
    structs = decodable_structs(MANIFEST_SWIFT.read_bytes())
    assert unread_keys(structs, "BundleManifest", app_manifests) == []
    names = string_literals(MODEL_IO.read_bytes())
    for manifest in app_manifests:
        assert manifest["inputs"][0]["name"] in names
        assert {output["name"] for output in manifest["outputs"]} <= names
        assert manifest["task"] in names


def test_the_xctest_manifest_is_a_current_pose_manifest(app_manifests: list[dict[str, Any]]) -> None:
    """ManifestTests.swift decodes a pose manifest kept inline: it must still be what the compile writes."""
    fixture = json.loads(multiline_string(MANIFEST_TESTS.read_bytes(), "poseManifestJSON"))
    pose, seg = app_manifests
    structs = decodable_structs(MANIFEST_SWIFT.read_bytes())
    assert unread_keys(structs, "BundleManifest", [fixture, seg]) == []
    # The app never reads the compile's own options (how to rebuild the bundle): the fixture leaves them out.
    assert set(fixture) == set(pose) - {"artifacts", "created", "compile_options"}
    for key in ("inputs", "outputs", "decoding", "runtime", "export"):
        assert fixture[key] == pose[key], key
    labels, full = fixture["labels"], pose["labels"]  # the fixture keeps the first three keypoints
    assert set(labels) == set(full)
    assert labels["names"] == full["names"][:3] and labels["colors_rgb"] == full["colors_rgb"][:3]
    links = [link for link in full["skeleton_links"] if max(link) < 3]
    assert labels["skeleton_links"] == links and len(labels["skeleton_link_colors_rgb"]) == len(links)


def test_the_key_check_catches_a_renamed_or_retyped_field(app_manifests: list[dict[str, Any]]) -> None:
    structs = decodable_structs(MANIFEST_SWIFT.read_bytes())
    pose, seg = app_manifests
    renamed = {**pose, "inputs": [{**pose["inputs"][0], "colour_order": "RGB"}]}
    del renamed["inputs"][0]["color_order"]
    assert unread_keys(structs, "BundleManifest", [renamed, seg]) == [
        "manifest.inputs.color_order: missing from some manifests, but not optional in Swift"
    ]
    dynamic = {**seg, "outputs": [{**seg["outputs"][0], "shape": ["batch", 64, 48]}]}
    assert unread_keys(structs, "BundleManifest", [pose, dynamic]) == [
        "manifest.outputs.shape: 'batch' is not a Swift Int"
    ]


@pytest.fixture(scope="module")
def app_bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The two bundles the app runs, compiled for real (tiny random models, fp16, checked with the MIL runner)."""
    root = tmp_path_factory.mktemp("ios")
    with torch_threads(1):
        return {
            task: compile_bundle(
                from_random_weights(task, TINY_ARCH),
                CompileOptions(target="coreml", input_size=INPUT_SIZE, decode=decode, threads=1),
                root / task,
            ).path
            for task, decode in APP_BUNDLES.items()
        }


@pytest.mark.slow
def test_compiled_bundles_are_what_the_app_feeds_and_reads(
    app_bundles: dict[str, Path], app_manifests: list[dict[str, Any]]
) -> None:
    import coremltools as ct

    structs = decodable_structs(MANIFEST_SWIFT.read_bytes())
    manifests = [read_bundle(path).manifest.to_dict() for path in app_bundles.values()]
    assert unread_keys(structs, "BundleManifest", manifests) == []
    for manifest, fast in zip(manifests, app_manifests):  # the fast check above saw the same contract
        assert (manifest["inputs"], manifest["outputs"], manifest["labels"]) == (
            fast["inputs"],
            fast["outputs"],
            fast["labels"],
        )
    readable = {ct.proto.FeatureTypes_pb2.ArrayFeatureType.FLOAT32, ct.proto.FeatureTypes_pb2.ArrayFeatureType.FLOAT16,
                ct.proto.FeatureTypes_pb2.ArrayFeatureType.INT32, ct.proto.FeatureTypes_pb2.ArrayFeatureType.DOUBLE}  # fmt: skip
    for path, manifest in zip(app_bundles.values(), manifests):
        spec = ct.models.MLModel(str(path / "model.mlpackage"), skip_model_load=True).get_spec()
        (image,) = spec.description.input
        _, height, width, channels = manifest["inputs"][0]["shape"]
        assert image.name == manifest["inputs"][0]["name"] and image.type.WhichOneof("Type") == "imageType"
        assert (image.type.imageType.width, image.type.imageType.height, channels) == (width, height, 3)
        assert image.type.imageType.colorSpace == ct.proto.FeatureTypes_pb2.ImageFeatureType.RGB
        outputs = {output.name: output.type.multiArrayType for output in spec.description.output}
        assert list(outputs) == [output["name"] for output in manifest["outputs"]]
        for output in manifest["outputs"]:
            assert list(outputs[output["name"]].shape) == output["shape"]
            assert outputs[output["name"]].dataType in readable


@pytest.mark.slow
def test_compiled_bundles_pass_the_mil_runner_fidelity_check(app_bundles: dict[str, Path]) -> None:
    for task, path in app_bundles.items():
        report = read_bundle(path).report()
        assert report["fidelity_path"] in ("mil-runner", "coreml") and report["gate"]["passed"], task
        assert report["real_images"], "the fidelity check ran on real images (tests/data)"
        assert report["summary"]["vs_reference"].get("cosine", 1.0) > 0.999
        if task == "pose":
            assert report["summary"]["vs_reference"]["keypoints_identical"] >= 0.9
        else:
            assert report["summary"]["vs_reference"]["pixel_agreement"] > 0.99
