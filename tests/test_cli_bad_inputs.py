"""Every bad input gets a clear answer: exit 2, one line on stderr naming the problem, no traceback, nothing
new in --out. Most cases run ``main`` in-process (one torch import); a few run the installed command."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

import sapiens2.limits as limits
from sapiens2.cli.main import main

from fixture_paths import IMAGES, case_checkpoint

POSE = ["-c", str(case_checkpoint("task_pose")), "--input-size", "256x192"]
SEG = ["-c", str(case_checkpoint("task_seg")), "--input-size", "256x192"]
MESSI = str(IMAGES / "messi5.jpg")
UNWRITABLE = Path("/proc/sapiens2-out")  # nothing can be created in /proc, not even by root


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def refused(capsys: pytest.CaptureFixture, argv: list[str], message: str, out: Path | None = None) -> str:
    """Run ``argv``; assert exit 2, one stderr line holding ``message``, and ``out`` unchanged."""
    before = files_in(out) if out is not None else None
    try:
        code = main(argv)
    except SystemExit as exit:  # argparse's own checks (types, choices)
        code = exit.code
    assert code == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], err
    if out is not None:
        assert files_in(out) == before
    return lines[0]


def tiny_video(path: Path, frames: int = 10) -> bytes:
    rng = np.random.default_rng(0)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    writer.release()
    return path.read_bytes()


def test_unusable_out_folders_are_refused_before_any_model_loads(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    a_file = tmp_path / "results.txt"
    a_file.write_text("keep me")
    refused(capsys, ["predict", MESSI, *POSE, "--out", str(a_file)], "is an existing file, not a folder")
    refused(capsys, ["predict", MESSI, *POSE, "--out", str(a_file / "sub")], "is a file, not a folder")
    assert a_file.read_text() == "keep me"
    if Path("/proc").is_dir():
        refused(capsys, ["predict", MESSI, *POSE, "--out", str(UNWRITABLE)], "is not writable")
        compile_args = ["compile", str(case_checkpoint("task_seg")), "--target", "onnx", "--input-size", "64x48"]
        refused(capsys, [*compile_args, "--out", str(UNWRITABLE / "bundle"), "--overwrite"], "is not writable")
    refused(capsys, ["compile", str(case_checkpoint("task_seg")), "--target", "onnx", "--out", str(a_file)], "existing file")


def test_inputs_sharing_a_name_keep_their_own_results_and_reruns_do_not_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(IMAGES / "messi5.jpg", tmp_path / "a" / "x.jpg")
    shutil.copy(IMAGES / "astronaut.png", tmp_path / "b" / "x.jpg")
    shutil.copy(IMAGES / "basketball1.png", tmp_path / "x.png")
    inputs = [str(tmp_path / "a" / "x.jpg"), str(tmp_path / "b" / "x.jpg"), str(tmp_path / "x.png")]
    out = tmp_path / "out"
    assert main(["predict", *inputs, *POSE, "--out", str(out)]) == 0
    stems = {"a_x_jpg": inputs[0], "b_x_jpg": inputs[1], "x_png": inputs[2]}
    assert files_in(out) == sorted(f"{stem}_pose.{ext}" for stem in stems for ext in ("json", "png"))
    for stem, source in stems.items():
        result = json.loads((out / f"{stem}_pose.json").read_text())
        height, width = cv2.imread(source).shape[:2]
        assert result["meta"]["input"] == source and result["image_size"] == [height, width]
    assert "wrote 3 pose result(s) (6 files)" in capsys.readouterr().err  # exactly what is on disk

    before = {name: (out / name).read_bytes() for name in files_in(out)}
    refused(capsys, ["predict", *inputs, *POSE, "--out", str(out)], "already exists: pass --overwrite", out)
    assert {name: (out / name).read_bytes() for name in files_in(out)} == before
    assert main(["predict", *inputs, *POSE, "--out", str(out), "--overwrite"]) == 0
    assert files_in(out) == sorted(before)


def test_options_that_do_not_fit_the_model_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    refused(capsys, ["predict", MESSI, *SEG, "--flip", "--out", str(out)], "flip do not apply to a seg model", out)
    refused(capsys, ["predict", MESSI, *SEG, "--detector", "hog", "--out", str(out)], "detector do not apply to a seg model")
    refused(capsys, ["predict", MESSI, *POSE, "--batch-size", "0", "--out", str(out)], "--batch-size must be positive")
    refused(capsys, ["predict", MESSI, *POSE[:2], "--input-size", "0x48", "--out", str(out)], "must be positive multiples of 16")
    refused(capsys, ["predict", MESSI, *POSE, "--device", "gpu", "--out", str(out)], "unknown device 'gpu'")
    refused(capsys, ["predict", MESSI, *POSE, "--boxes", str(tmp_path), "--out", str(out)], "cannot be read: Is a directory")
    tiny = tmp_path / "tiny.png"
    cv2.imwrite(str(tiny), np.zeros((8, 40, 3), np.uint8))
    refused(capsys, ["predict", str(tiny), *POSE, "--out", str(out)], "smallest usable image is 16x16", out)
    assert not out.exists()


def test_sizes_whose_memory_cannot_fit_are_refused_with_the_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "available_bytes", lambda: 10**9)
    argv = ["predict", MESSI, "-c", str(case_checkpoint("task_pose")), "--input-size", "4096x4096", "--out", str(tmp_path)]
    line = refused(capsys, argv, "not enough memory: a forward pass at 4096x4096 with batch size 8 needs at least")
    assert "1.0 GB is left" in line


@pytest.mark.parametrize(
    ("boxes", "message"),
    [
        ([[5000, 5000, 6000, 6000]], "lies entirely outside the 548x342 image"),
        ([[10, 10, 100, 100, -1]], "has a negative score"),
        ([[0, 0, 1e30, 1e30]], "times larger than the 548x342 image"),
        ([[10, 10, 5, 5]], "x2 <= x1"),
    ],
)
def test_nonsense_boxes_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture, boxes: list, message: str) -> None:
    path = tmp_path / "boxes.json"
    path.write_text(json.dumps(boxes))
    refused(capsys, ["predict", MESSI, *POSE, "--boxes", str(path), "--out", str(tmp_path / "out")], message)
    assert not (tmp_path / "out").exists()


def test_an_empty_box_list_means_no_people(tmp_path: Path) -> None:
    path = tmp_path / "boxes.json"
    path.write_text("[]")
    assert main(["predict", MESSI, *POSE, "--boxes", str(path), "--out", str(tmp_path / "out")]) == 0
    assert json.loads((tmp_path / "out" / "messi5_pose.json").read_text())["instances"] == []


def test_videos_ending_early_warn_and_undecodable_ones_fail(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = tiny_video(tmp_path / "full.avi")
    (tmp_path / "cut.avi").write_bytes(data[: len(data) // 2])  # the header still announces 10 frames
    out = tmp_path / "out"
    assert main(["predict", str(tmp_path / "cut.avi"), *POSE, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    decoded = len((out / "cut_pose.jsonl").read_text().splitlines())  # one line per frame; the video beside it
    assert 0 < decoded < 10 and f"ended after {decoded} of 10 expected frames" in err
    assert sorted(path.name for path in out.iterdir()) == ["cut_pose.jsonl", "cut_pose.mp4"]
    noise = np.random.default_rng(1).integers(0, 255, len(data) - 4000, dtype=np.uint8).tobytes()
    (tmp_path / "garbage.avi").write_bytes(data[:4000] + noise)
    refused(capsys, ["predict", str(tmp_path / "garbage.avi"), *POSE, "--out", str(out)], "no frame could be decoded", out)


def _edited_checkpoint(path: Path, edit) -> Path:
    state = load_file(case_checkpoint("task_pose"))
    edit(state)
    save_file(state, path)
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.update({"decode_head.deconv_layers.0.weight": torch.zeros(64, 48, 5, 5)}), "deconv of kernel 5"),
        (lambda s: s.update({k: s[k][:17].clone() for k in ("decode_head.conv_pose.weight", "decode_head.conv_pose.bias")}),
         "with 17 keypoints"),
        (lambda s: s["backbone.blocks.2.ffn.w3.weight"].fill_(float("nan")), "NaN or inf weights in 1 tensor(s) (backbone.blocks.2"),
        (lambda s: s.pop("decode_head.conv_layers.3.weight"), "missing keys: decode_head.conv_layers.3.weight"),
    ],
)  # fmt: skip
def test_inconsistent_checkpoints_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture, edit, message: str) -> None:
    checkpoint = _edited_checkpoint(tmp_path / "edited.safetensors", edit)
    argv = ["predict", MESSI, "-c", str(checkpoint), "--input-size", "256x192", "--out", str(tmp_path / "out")]
    refused(capsys, argv, message)
    assert not (tmp_path / "out").exists()


def test_checkpoint_files_and_sources_that_are_not_what_they_claim(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    torch.save({"weight": torch.zeros(2)}, tmp_path / "model.safetensors")
    refused(capsys, ["inspect", str(tmp_path / "model.safetensors")], "named .safetensors but holds a PyTorch")
    refused(capsys, ["inspect", "hf://org/repo/../../etc/passwd"], "is not a file inside one Hugging Face repo")
    (tmp_path / "not-a-bundle").mkdir()
    for command in (["inspect"], ["predict", MESSI, "-c"]):
        refused(capsys, [*command, str(tmp_path / "not-a-bundle")], "no manifest.json")


def test_non_finite_model_outputs_fail_that_input_and_write_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # Finite weights whose logits overflow float32: the weight check passes, the output check catches it.
    checkpoint = tmp_path / "overflow.safetensors"
    state = load_file(case_checkpoint("task_seg"))
    state["decode_head.conv_seg.weight"].fill_(3e38)
    save_file(state, checkpoint)
    out = tmp_path / "out"
    argv = ["predict", MESSI, "-c", str(checkpoint), "--input-size", "256x192", "--out", str(out)]
    line = refused(capsys, argv, "non-finite value(s) (NaN/inf)")
    assert MESSI in line and not out.exists()


def test_the_installed_command_never_shows_a_traceback(tmp_path: Path) -> None:
    """Real processes for a few classes: the one-line promise holds outside pytest's capture too."""
    script = Path(sys.executable).parent / "sapiens2"
    a_file = tmp_path / "file"
    a_file.write_text("")
    boxes = tmp_path / "boxes.json"
    boxes.write_text("[[5000, 5000, 6000, 6000]]")
    data = tiny_video(tmp_path / "full.avi")
    noise = np.random.default_rng(1).integers(0, 255, len(data) - 4000, dtype=np.uint8).tobytes()
    (tmp_path / "garbage.avi").write_bytes(data[:4000] + noise)  # FFmpeg's own complaints must stay silent too
    cases = [
        (["predict", MESSI, *POSE, "--out", str(a_file)], "is an existing file"),
        (["predict", MESSI, *POSE, "--boxes", str(boxes), "--out", str(tmp_path / "o2")], "lies entirely outside"),
        (["predict", str(tmp_path / "garbage.avi"), *POSE, "--out", str(tmp_path / "o2")], "no frame could be decoded"),
    ]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    for argv, message in cases:
        done = subprocess.run([str(script), *argv], capture_output=True, text=True, env=env, timeout=300)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert len(lines) == 1 and message in lines[0], done.stderr
    assert a_file.read_text() == "" and not (tmp_path / "o2").exists()


def test_a_boxes_key_shared_by_two_inputs_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(IMAGES / "messi5.jpg", tmp_path / folder / "x.jpg")
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps({"x.jpg": [[180, 20, 330, 330]]}))
    argv = ["predict", str(tmp_path / "a" / "x.jpg"), str(tmp_path / "b" / "x.jpg"), *POSE, "--boxes", str(boxes)]
    refused(capsys, [*argv, "--out", str(tmp_path / "out")], "key 'x.jpg' matches 2 inputs")


def test_an_image_larger_than_opencv_decodes_is_refused_with_its_size(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0)  # 40000x40000 RGB: 1.6e9 pixels, 4.8 GB
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b"")
    (tmp_path / "huge.png").write_bytes(png)
    argv = ["predict", str(tmp_path / "huge.png"), *POSE, "--out", str(tmp_path / "out")]
    refused(capsys, argv, "has 1600000000 pixels, more than the 1073741824 pixels OpenCV decodes")


def test_a_head_of_another_label_set_loads_when_its_metadata_names_the_labels(tmp_path: Path) -> None:
    """17 keypoints are refused alone (above) but load with a .json beside them naming 17 keypoints."""
    from sapiens2.checkpoints import load_model
    from sapiens2.errors import CheckpointError

    def seventeen(state: dict) -> None:
        state.update({k: state[k][:17].clone() for k in ("decode_head.conv_pose.weight", "decode_head.conv_pose.bias")})

    path = _edited_checkpoint(tmp_path / "coco17.safetensors", seventeen)
    with pytest.raises(CheckpointError, match="17 keypoints"):
        load_model(path)
    path.with_suffix(".json").write_text(json.dumps({"keypoints": {"names": [f"k{index}" for index in range(17)]}}))
    assert load_model(path).decode_head.conv_pose.out_channels == 17
