"""``sapiens2 inspect``: the table, the JSON, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from sapiens2.cli.main import main

from fixture_paths import case_checkpoint, case_json, official_stand_in

POSE = case_checkpoint("task_pose")
CLI = Path(sys.executable).with_name("sapiens2")


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """Rich wraps table cells at the terminal width; a wide one keeps each value on one line."""
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture(scope="module")
def official_01b(tmp_path_factory) -> Path:
    """sapiens2_0.1b's exact keys and shapes (stride-0 zeros, a few kB) in a torch file."""
    path = tmp_path_factory.mktemp("official") / "sapiens2_0.1b_pretrain.pth"
    torch.save(official_stand_in("pretrain/sapiens2_0.1b"), path)
    return path


def run_inspect(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["inspect", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_official_backbone_table(capsys, official_01b):
    code, out, err = run_inspect(capsys, str(official_01b))
    assert (code, err) == (0, "")
    for text in (
        "sapiens2_0.1b (embed 768, 12 layers)",
        "113.99 M",  # documented 113,993,472 parameters
        "backbone",
        "bf16",
        "float32 x209, bfloat16 x1",  # 6 + 17 * 12 = 210 keys, the periods buffer in bf16
        "210",
        "torch (1 file)",
    ):
        assert text in out, text


def test_task_table(capsys):
    code, out, _ = run_inspect(capsys, str(POSE))
    assert code == 0
    for text in (
        "a custom arch (embed 64, 18 layers, 4 heads, ffn 256)",
        "task",
        "pose",
        "out_channels=308",
        "deconv_out_channels=48,32",
        "safetensors (1 file)",
        f"{POSE.stat().st_size / 1e6:.2f} MB",
    ):
        assert text in out, text


def test_custom_4k_arch_shows_its_numbers(capsys):
    _, out, _ = run_inspect(capsys, str(case_checkpoint("backbone_4k_rope_fp32")))
    assert "a custom arch (embed 64, 18 layers, 4 heads, ffn 256, 2 tokenizer layers)" in out
    assert "yes (window 4)" in out
    assert "fp32" in out


def test_json(capsys):
    code, out, _ = run_inspect(capsys, str(POSE), "--json")
    assert code == 0
    data = json.loads(out)
    case = case_json("task_pose")
    assert data["source"] == str(POSE)
    assert data["format"] == "safetensors"
    assert data["file_size"] == POSE.stat().st_size
    assert (data["kind"], data["task"], data["arch_name"]) == ("task", "pose", None)
    assert data["arch"] == case["arch"]
    assert data["head"] == case["head_config"]
    assert data["rope_dtype"] == "bf16"
    assert data["use_tokenizer"] is False
    assert data["img_size"] == [1024, 768]
    assert data["num_keys"] == sum(data["dtypes"].values())


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (None, None, "checkpoint not found: "),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "is not a checkpoint (it looks like a PNG image)"),
        ("model.safetensors", POSE.read_bytes()[:1000], "is truncated or corrupt"),
    ],
)
def test_errors_exit_2_with_one_line(capsys, tmp_path, name, content, message):
    path = tmp_path / (name or "missing.safetensors")
    if content is not None:
        path.write_bytes(content)
    code, out, err = run_inspect(capsys, str(path))
    assert code == 2
    assert out == ""
    assert err.startswith("sapiens2 inspect: error: ")
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.skipif(not CLI.exists(), reason="the sapiens2 console script is not installed next to this Python")
def test_console_script(tmp_path):
    good = subprocess.run([str(CLI), "inspect", str(POSE), "--json"], capture_output=True, text=True, timeout=120, check=False)
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["task"] == "pose"
    bad_file = tmp_path / "notes.txt"
    bad_file.write_text("not weights\n")
    bad = subprocess.run([str(CLI), "inspect", str(bad_file)], capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "Traceback" not in bad.stderr
    assert bad.stderr.strip() == (
        f"sapiens2 inspect: error: {bad_file} is not a checkpoint (it looks like a text file); give a .safetensors file, "
        "a .safetensors.index.json, a .pth/.pt/.bin torch file, a folder holding one, or hf://org/repo/file"
    )
