"""``sapiens2 serve`` refuses mistakes in one line with exit code 2; the GPU memory check names its figures."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import torch

from sapiens2.checkpoints import load_model
from sapiens2.cli.main import main
from sapiens2.errors import UserError
from sapiens2.serve.gpu_memory import check_fits, estimate_bytes

from fixture_paths import IMAGES, case_checkpoint
from serve_helpers import free_port

POSE = str(case_checkpoint("task_pose"))
pytestmark = pytest.mark.timeout(120)  # a mistake that is not refused would start a server


def test_serve_is_a_listed_command(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "serve" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([], "nothing to serve"),
        (["--arch", "sapiens2_0.1b", "--task", "pose"], "--arch, --task and --random-weights together"),
        (["-c", POSE, "--autoscale", "3,1"], "need 0 <= MIN <= MAX"),
        (["-c", POSE, "--autoscale", "many"], "MIN,MAX"),
        (["-c", POSE, "--api-key-file", "/nonexistent/keys"], "does not exist"),
        (["-c", POSE, "--max-batch", "0"], "max batch (--max-batch) must be positive"),
        (["-c", "/nonexistent/model.safetensors", "--port", "0"], "/nonexistent/model.safetensors"),
    ],
)
def test_serve_mistakes_end_in_one_line_and_exit_2(args, words, capsys: pytest.CaptureFixture) -> None:
    assert main(["serve", *args]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("sapiens2 serve: error:") and words in error


def test_a_model_that_cannot_load_stops_the_started_server_with_one_line() -> None:
    """Found while the models load behind a started server: run as the command it is (its own process)."""
    args = ["-c", POSE, "-c", POSE, "--input-size", "128x96", "--port", str(free_port())]
    done = subprocess.run([sys.executable, "-m", "sapiens2.cli.main", "serve", *args], capture_output=True, text=True, timeout=120)
    error = done.stderr.strip().splitlines()[-1]
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert error.startswith("sapiens2 serve: error:") and "two models are named 'pose'" in error


def test_short_api_keys_are_refused(tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    keys = tmp_path / "keys"
    keys.write_text("# one a line\nshort\n")
    assert main(["serve", "-c", POSE, "--api-key-file", str(keys)]) == 2
    assert "at least 16 characters" in capsys.readouterr().err


def test_predict_server_needs_a_model_name(capsys: pytest.CaptureFixture) -> None:
    assert main(["predict", str(IMAGES / "messi5.jpg"), "--server", f"http://127.0.0.1:{free_port()}"]) == 2
    assert "--server and --model go together" in capsys.readouterr().err


def test_an_unreachable_server_is_a_user_error() -> None:
    import sapiens2

    with pytest.raises(UserError, match="cannot reach the server"):
        sapiens2.load(f"http://127.0.0.1:{free_port()}/v1/models/pose")
    with pytest.raises(UserError, match="not a model URL"):
        sapiens2.load("http://127.0.0.1:8000/v1/pose")


def test_the_memory_estimate_is_weights_plus_block_activations() -> None:
    model = load_model(case_checkpoint("task_pose"), expect="task")
    weights, activations = estimate_bytes(model, (128, 96), "bf16", batch=8)
    assert weights == 2 * sum(p.numel() for p in model.parameters())
    # 8x6 tokens of width 64 with a 256-wide feed-forward (the fixture), bf16, batch 8, x2 safety.
    assert activations == 8 * 6 * (5 * 64 + 2 * 256) * 2 * 8 * 2


def test_a_model_too_big_for_the_free_gpu_memory_is_refused_with_the_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    model = load_model(case_checkpoint("task_pose"), expect="task")
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (2**20, 80 * 2**30))
    # 64x48 tokens x (5*64 + 2*256) x 2 bytes x batch 8 x 2 = 0.076 GiB of activations.
    expected = "needs about 0.1 GiB on cuda (0.0 GiB of bf16 weights + 0.1 GiB of activations at batch 8, 1024x768) but only 0.0 of 80.0"
    with pytest.raises(UserError, match=re.escape(expected)):
        check_fits("pose", model, (1024, 768), "bf16", 8, torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (80 * 2**30, 80 * 2**30))
    check_fits("pose", model, (1024, 768), "bf16", 8, torch.device("cuda"))


def test_keys_come_from_the_file_or_the_environment(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sapiens2.serve.auth import read_api_keys

    keys = tmp_path / "keys"
    keys.write_text("# team keys\n" + "a" * 16 + "\n\n" + "b" * 20 + "\n")
    assert read_api_keys(keys) == ("a" * 16, "b" * 20)
    monkeypatch.setenv("SAPIENS2_API_KEYS", " " + "c" * 16 + " ," + "d" * 16)
    assert read_api_keys() == ("c" * 16, "d" * 16)
    monkeypatch.delenv("SAPIENS2_API_KEYS")
    assert read_api_keys() == ()


def test_the_client_sends_its_key_as_a_bearer_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from sapiens2.targets.remote import RemoteModel

    assert RemoteModel("http://127.0.0.1:1/v1/models/pose", api_key="k" * 16)._http.headers["authorization"] == "Bearer " + "k" * 16
    monkeypatch.setenv("SAPIENS2_API_KEY", "e" * 16)
    model = RemoteModel("http://127.0.0.1:1/v1/models/pose")
    assert model._http.headers["authorization"] == "Bearer " + "e" * 16
    assert (model.api_base, model.model_name) == ("http://127.0.0.1:1/v1", "pose")
