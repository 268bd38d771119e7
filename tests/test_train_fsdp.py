"""FSDP2 on two CPU processes (gloo, torchrun): the same weights as one process, gathered into one loadable file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from sapiens2.checkpoints import load_model
from sapiens2.cli.main import main
from train_datasets import tiny_pose_config, write_coco_dataset

TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1"]


def torchrun(port: int, *arguments: str) -> str:
    done = subprocess.run(
        [*TORCHRUN, "--master_port", str(port), *arguments],
        capture_output=True, text=True, timeout=1200, env=os.environ | {"OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


@pytest.mark.slow
def test_fsdp2_on_two_gloo_processes_matches_one_process_and_gathers_one_file(tmp_path) -> None:
    dataset = write_coco_dataset(tmp_path / "coco", count=6)
    single = tiny_pose_config(
        dataset, tmp_path / "single", data={"batch_size": 2}, schedule={"iters": 3, "warmup_iters": 1}
    )
    (tmp_path / "single.yaml").write_text(yaml.safe_dump(single))
    assert main(["train", "finetune", "--config", str(tmp_path / "single.yaml")]) == 0

    sharded = tiny_pose_config(
        dataset, tmp_path / "fsdp", data={"batch_size": 1}, schedule={"iters": 3, "warmup_iters": 1}, run={"fsdp": True}
    )
    (tmp_path / "fsdp.yaml").write_text(yaml.safe_dump(sharded))
    output = torchrun(29733, "-m", "sapiens2.cli.main", "train", "finetune", "--config", str(tmp_path / "fsdp.yaml"))
    assert "reducer" not in output  # DDP's reducer would mean the run was not sharded

    model_file = tmp_path / "fsdp" / "model.safetensors"
    one, two = load_file(tmp_path / "single" / "model.safetensors"), load_file(model_file)
    assert one.keys() == two.keys()
    # As in the DDP test: conv biases before InstanceNorm get only float noise as gradient, which Adam amplifies.
    normalised_away = {k for k in one if k.startswith("decode_head.conv_layers.") and k.endswith(".bias")}
    for key in sorted(set(one) - normalised_away):
        torch.testing.assert_close(two[key], one[key], rtol=1e-5, atol=1e-6, msg=key)
    assert load_model(model_file, expect="task", strict=True).task == "pose"
    # The training state is sharded (torch distributed checkpoint), not one pickled model.
    assert any(path.name.startswith("pytorch_model_fsdp") for path in (tmp_path / "fsdp" / "state").iterdir())


def test_fsdp_with_ema_is_refused_in_one_line(tmp_path) -> None:
    dataset = write_coco_dataset(tmp_path / "coco", count=1)
    config = tiny_pose_config(dataset, tmp_path / "run", run={"fsdp": True, "ema_decay": 0.9})
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    assert main(["train", "finetune", "--config", str(tmp_path / "c.yaml")]) == 2


@pytest.mark.slow
def test_a_stopped_fsdp2_run_resumes_from_its_sharded_state_to_the_same_weights(tmp_path) -> None:
    dataset = write_coco_dataset(tmp_path / "coco", count=6)
    schedule = {"iters": 4, "warmup_iters": 1}
    single = tiny_pose_config(dataset, tmp_path / "single", data={"batch_size": 2}, schedule=schedule)
    (tmp_path / "single.yaml").write_text(yaml.safe_dump(single))
    assert main(["train", "finetune", "--config", str(tmp_path / "single.yaml")]) == 0

    sharded = tiny_pose_config(dataset, tmp_path / "fsdp", data={"batch_size": 1}, schedule=schedule, run={"fsdp": True, "save_every": 2})
    (tmp_path / "fsdp.yaml").write_text(yaml.safe_dump(sharded))
    torchrun(29734, str(Path(__file__).with_name("fsdp_stop_early.py")), str(tmp_path / "fsdp.yaml"), "2")
    resumed = torchrun(29735, "-m", "sapiens2.cli.main", "train", "finetune", "--config", str(tmp_path / "fsdp.yaml"))
    assert "at step 2" in resumed

    one, two = load_file(tmp_path / "single" / "model.safetensors"), load_file(tmp_path / "fsdp" / "model.safetensors")
    normalised_away = {k for k in one if k.startswith("decode_head.conv_layers.") and k.endswith(".bias")}
    for key in sorted(set(one) - normalised_away):
        torch.testing.assert_close(two[key], one[key], rtol=1e-5, atol=1e-6, msg=key)
