"""A pose checkpoint with its own keypoint set (33 MediaPipe landmarks, as ``sapiens2 train`` writes it):
names, flip test, overlays, result JSON, video, inspect and compiled bundles all follow that set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sapiens2
from safetensors.torch import load_file, save_file
from sapiens2.cli.main import main
from sapiens2.compile import CompileOptions, compile_bundle, from_checkpoint
from sapiens2.pipelines import ModelIO
from sapiens2.predictor import Predictor
from sapiens2.processing import keypoint_metadata
from sapiens2.processing.keypoint_sets import SIDE_COLORS_RGB, keypoint_set_from_record
from sapiens2.processing.smoothing import keypoint_groups
from sapiens2.results import PoseResult
from sapiens2.results.wire import decode_result, encode_result
from sapiens2.targets import runtime_class
from sapiens2.train.data.keypoint_set import KeypointSet
from sapiens2.train.labeling.mediapipe_keypoints import LINKS, NAMES, mediapipe_category
from fixture_paths import IMAGES, fixture_layers

SIZE = (64, 48)
BOX = np.array([[40.0, 20.0, 360.0, 500.0]], np.float32)
SET = KeypointSet.from_category(mediapipe_category())


@pytest.fixture(scope="module")
def student(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The official pose fixture cut to 2 blocks with a 33-channel head, and the ``model.json`` train writes beside it."""
    root = tmp_path_factory.mktemp("student")
    tensors = load_file(fixture_layers("task_pose", 2, root / "cut.safetensors"))
    for key in ("decode_head.conv_pose.weight", "decode_head.conv_pose.bias"):
        tensors[key] = tensors[key][: len(NAMES)].clone()
    save_file(tensors, root / "model.safetensors")
    (root / "model.json").write_text(json.dumps({"task": "pose", "keypoints": SET.to_json()}))
    return root / "model.safetensors"


def test_the_set_written_by_train_is_mediapipes() -> None:
    assert SET.names == NAMES and set(SET.skeleton) == set(LINKS)
    assert SET.flip_indices[NAMES.index("left_eye_inner")] == NAMES.index("right_eye_inner")
    assert SET.flip_indices[NAMES.index("mouth_left")] == NAMES.index("mouth_right")  # side as a suffix
    assert SET.flip_indices[0] == 0  # the nose stays


def test_predict_names_the_checkpoints_keypoints(student: Path) -> None:
    result = sapiens2.load(student, input_size=SIZE).predict(IMAGES / "astronaut.png", boxes=BOX)
    assert result.keypoint_names == NAMES and result.keypoints.shape == (1, 33, 2)
    document = result.to_dict()
    assert document["keypoint_names"] == list(NAMES) and document["num_keypoints"] == 33
    assert document["skeleton_links"] == [list(link) for link in SET.skeleton]
    back = decode_result(*encode_result(result))  # what a server client gets
    assert back.keypoint_names == NAMES and back.keypoint_set.skeleton_links.tolist() == document["skeleton_links"]
    official = sapiens2.load(fixture_layers("task_pose", 2, student.with_name("official.safetensors")), input_size=SIZE)
    assert "skeleton_links" not in official.predict(IMAGES / "astronaut.png", boxes=BOX).to_dict()


def _mirrored_model(heatmaps: np.ndarray, flip: tuple[int, ...]):
    """A run function for one crop and its mirror: ``heatmaps`` for the crop, and for the mirror what an
    exactly mirror-equivariant model gives: channel k is the mirrored heatmap of keypoint flip[k]."""

    def run(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        count = len(next(iter(batch.values())))
        outputs = heatmaps if count == 1 else np.concatenate([heatmaps, heatmaps[:, list(flip), :, ::-1]])
        return {"heatmaps": outputs}

    return run


@pytest.mark.parametrize("flip_indices", [SET.flip_indices, tuple(range(33))])
def test_flip_test_swaps_the_sets_left_and_right(flip_indices: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    heatmaps = np.zeros((1, 33, SIZE[0] // 4, SIZE[1] // 4), np.float32)
    for channel in range(33):  # one sharp peak per keypoint, left and right ones apart
        heatmaps[0, channel, rng.integers(2, 14), rng.integers(1, 5) if "left" in NAMES[channel] else rng.integers(7, 11)] = 1.0
    keypoints = keypoint_set_from_record({**SET.to_json(), "flip_indices": list(flip_indices)})
    io = ModelIO("pose", SIZE, ("heatmaps",), keypoints=keypoints)
    image = np.zeros((64, 48, 3), np.uint8)
    truth = Predictor(io, _mirrored_model(heatmaps, SET.flip_indices)).predict(image, boxes=[[0, 0, 48, 64]], color_order="bgr")
    flipped = Predictor(io, _mirrored_model(heatmaps, SET.flip_indices), flip=True).predict(image, boxes=[[0, 0, 48, 64]], color_order="bgr")
    same = np.allclose(flipped.keypoints, truth.keypoints, atol=0.5)
    assert same == (flip_indices == SET.flip_indices)  # the identity (no swaps) averages a left peak with a right one


def test_load_flips_with_the_sets_indices(student: Path) -> None:
    result = sapiens2.load(student, input_size=SIZE, flip=True).predict(IMAGES / "astronaut.png", boxes=BOX)
    assert result.keypoints.shape == (1, 33, 2)  # the 308 official indices would not fit its 33 channels


def test_overlays_draw_the_sets_skeleton_in_a_colour_per_side() -> None:
    keypoint_set = keypoint_set_from_record(SET.to_json())
    points = np.zeros((1, 33, 2), np.float32)
    placed = {"left_shoulder": (20, 20), "left_elbow": (20, 80), "right_shoulder": (80, 20), "right_elbow": (80, 80)}
    for name, xy in placed.items():
        points[0, NAMES.index(name)] = xy
    scores = np.zeros((1, 33), np.float32)
    scores[0, [NAMES.index(name) for name in placed]] = 1.0
    result = PoseResult(BOX[:, :4] * 0, np.ones(1), points, scores, (100, 100), keypoint_set=keypoint_set)
    picture = result.draw(threshold=0.5)
    # Anti-aliased 1-px lines: the pixel on the line is the link's colour (BGR) at a coverage below 1.
    for (y, x), side in (((50, 20), "left"), ((50, 80), "right"), ((20, 50), "centre")):  # the shoulders link across
        pixel = picture[y, x].astype(float)
        np.testing.assert_allclose(pixel / pixel.max() * 255, SIDE_COLORS_RGB[side][::-1], atol=2)
    assert picture[80, 50].tolist() == [0, 0, 0]  # no link between the elbows in MediaPipe's skeleton


def test_video_tracks_and_smooths_the_set(student: Path) -> None:
    assert keypoint_groups(NAMES)[NAMES.index("left_pinky")] == "hands"
    assert keypoint_groups(NAMES)[NAMES.index("left_foot_index")] == "body"
    assert keypoint_groups(NAMES)[NAMES.index("mouth_left")] == "face"
    boxes = np.array([[230.0, 180.0, 310.0, 340.0]], np.float32)
    results = list(sapiens2.load(student, input_size=SIZE, batch_size=2).predict_video(str(IMAGES / "vtest.avi"), max_frames=3, boxes=boxes))
    assert all(len(r.track_ids) == 1 for r in results) and len({int(r.track_ids[0]) for r in results}) == 1
    assert all(r.keypoints.shape == (1, 33, 2) and r.keypoint_names == NAMES for r in results)


def test_inspect_reports_the_set(student: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["inspect", str(student), "--json"]) == 0
    keypoints = json.loads(capsys.readouterr().out)["keypoints"]
    assert (keypoints["count"], keypoints["official"], keypoints["names"][:2]) == (33, False, ["nose", "left_eye_inner"])
    assert main(["inspect", str(student)]) == 0
    assert "33, the checkpoint's own set" in capsys.readouterr().out


@pytest.mark.parametrize("target", ["onnx", pytest.param("openvino", marks=pytest.mark.slow)])
def test_bundles_carry_the_set_and_predict_like_the_checkpoint(student: Path, target: str, tmp_path: Path) -> None:
    ok, why = runtime_class(target).available()
    if not ok:
        pytest.skip(why)
    bundle = compile_bundle(from_checkpoint(student), CompileOptions(target=target, input_size=SIZE, threads=1), tmp_path / target).path
    labels = json.loads((bundle / "manifest.json").read_text())["labels"]
    assert (labels["source"], labels["names"], labels["flip_indices"]) == ("model.json", list(NAMES), list(SET.flip_indices))
    assert labels["skeleton_links"] == [list(link) for link in SET.skeleton]
    eager = sapiens2.load(student, input_size=SIZE, flip=True).predict(IMAGES / "astronaut.png", boxes=BOX)
    compiled = sapiens2.load(bundle, flip=True).predict(IMAGES / "astronaut.png", boxes=BOX)
    assert compiled.keypoint_names == NAMES
    # The bundle's fp32 RoPE against the eager bf16 one: the random fixture's flat heatmaps can tip a few near-ties.
    distance = np.linalg.norm(compiled.keypoints - eager.keypoints, axis=-1)
    assert np.median(distance) < 0.5 and distance.max() < 0.02 * (BOX[0, 3] - BOX[0, 1])
    np.testing.assert_array_equal(compiled.keypoint_set.link_colors_rgb, eager.keypoint_set.link_colors_rgb)


def test_official_bundles_keep_the_packaged_record() -> None:
    assert keypoint_set_from_record(None) is keypoint_metadata()
    assert keypoint_set_from_record({"names": list(keypoint_metadata().names)}) is keypoint_metadata()
