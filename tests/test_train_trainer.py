"""The trainer end to end on a tiny model: exact resume, official-layout checkpoints, the CLI, distillation."""

from __future__ import annotations

import json

import pytest
import torch
import yaml
from safetensors.torch import load_file

from sapiens2.checkpoints import load_model
from sapiens2.cli.main import main
from sapiens2.models import build_task_model
from sapiens2.train.checkpointing import save_model_file
from sapiens2.train.config import load_config
from sapiens2.train.trainer import Trainer
from train_datasets import TINY_POSE_HEAD, tiny_pose_config, write_coco_dataset


def write_config(tmp_path, config: dict, name: str = "config.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_coco_dataset(tmp_path_factory.mktemp("coco"), count=6)


def test_stop_and_resume_gives_the_same_weights_as_one_run(tmp_path, dataset) -> None:
    config = tiny_pose_config(dataset, tmp_path / "straight", schedule={"iters": 4, "warmup_iters": 1}, run={"ema_decay": 0.5})
    straight = Trainer(load_config(write_config(tmp_path, config))).fit()

    config["run"]["out_dir"] = str(tmp_path / "resumed")
    first_half = load_config(write_config(tmp_path, config), ["schedule.iters=4", "run.save_every=2"])
    trainer = Trainer(first_half)
    trainer.config.schedule.iters = 2  # stop after step 2, as a killed run would; the schedule still spans 4
    trainer.fit()
    resumed = Trainer(load_config(write_config(tmp_path, config)))
    assert resumed.progress.step == 2
    resumed.fit()

    expected, got = load_file(straight.model_file), load_file(tmp_path / "resumed" / "model.safetensors")
    assert expected.keys() == got.keys()
    for key in expected:
        torch.testing.assert_close(got[key], expected[key], rtol=0, atol=0, msg=key)


def test_the_checkpoint_is_official_layout_and_loads_strictly(tmp_path, dataset, capsys) -> None:
    config = tiny_pose_config(dataset, tmp_path / "run", schedule={"iters": 2, "warmup_iters": 1})
    result = Trainer(load_config(write_config(tmp_path, config))).fit()
    tensors = load_file(result.model_file)
    assert all(k.startswith(("backbone.", "decode_head.")) for k in tensors)
    model = load_model(result.model_file, expect="task", strict=True)
    assert model.task == "pose" and model.decode_head.conv_pose.out_channels == 5
    metadata = json.loads(result.model_file.with_suffix(".json").read_text())
    assert metadata["keypoints"]["names"][:2] == ["nose", "left_eye"] and metadata["keypoints"]["flip_indices"] == [0, 2, 1, 4, 3]
    assert main(["inspect", str(result.model_file)]) == 0
    assert "pose" in capsys.readouterr().out
    assert (tmp_path / "run" / "tb").is_dir()


def test_cli_trains_and_reports_user_mistakes_in_one_line(tmp_path, dataset, capsys) -> None:
    config = write_config(tmp_path, tiny_pose_config(dataset, tmp_path / "cli", schedule={"iters": 2, "warmup_iters": 1}))
    assert main(["train", "finetune", "--config", str(config), "--set", "data.val=" + str(dataset)]) == 0
    assert "val PCK@0.1" in capsys.readouterr().out
    assert main(["train", "finetune", "--config", str(config), "--set", "optim.lrr=1"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "sapiens2 train: error: unknown key optim.lrr in section optim; known keys: betas, clip_grad, layer_decay, lr, weight_decay"
    ]
    assert main(["train", "finetune", "--config", str(config), "--set", "data.format=seg_folder"]) == 2
    assert "does not fit task pose" in capsys.readouterr().err


def test_distillation_pulls_the_student_features_toward_the_teacher(tmp_path, dataset) -> None:
    """Windowed-attention retrofit in miniature: the student starts as the teacher with one-token windows.

    Eight blocks, so that four of them (0, 2, 4, 6) are windowed and four keep global attention.
    """
    arch = {"embed_dims": 32, "num_layers": 8, "num_heads": 2, "feedforward_channels": 64, "num_tokenizer_layers": 0}
    head = {"in_channels": 32, "out_channels": 5} | TINY_POSE_HEAD
    torch.manual_seed(0)
    # LayerScale 1 instead of the near-identity 1e-4, so that attention shapes the features as in a trained model.
    teacher_model = build_task_model("pose", arch, head=head, img_size=(64, 64), layer_scale_init_value=1.0, pos_embed_rope_dtype="fp32")
    names = {"names": [f"point{index}" for index in range(5)]}  # a label set of its own, named as training names it
    teacher = save_model_file(teacher_model.state_dict(), tmp_path / "teacher", {"task": "pose", "keypoints": names})
    student = tiny_pose_config(dataset, tmp_path / "student", schedule={"iters": 12, "warmup_iters": 0})
    student["model"] |= {"arch": arch, "img_size": [64, 64], "init_from": str(teacher), "attention": "windowed", "attention_window": 1}
    student["distill"] = {"teacher": str(teacher), "output_weight": 0.0, "feature_weight": 1.0, "feature_layers": [-2]}
    student["optim"] = {"lr": 1e-5, "layer_decay": 1.0, "weight_decay": 0.0}
    trainer = Trainer(load_config(write_config(tmp_path, student), mode="distill"))
    held_out = trainer.recipe.dataset(str(dataset), None, False)
    images = torch.stack([held_out[i]["image"] for i in range(len(held_out))])

    def feature_gap() -> float:
        with torch.no_grad():
            _, features = trainer.model(images)
            _, targets = trainer.teacher(images)
        return float(1 - torch.nn.functional.cosine_similarity(features[0], targets[0], dim=-1).mean())

    before = feature_gap()
    trainer.fit()
    after = feature_gap()
    assert before > 1e-5 and after < 0.5 * before, (before, after)
    trainer.val_set = held_out  # the validation figure is the same token cosine, batch-weighted
    assert trainer.feature_cosine() == pytest.approx(1 - after, abs=1e-6)
    assert load_model(tmp_path / "student" / "model.safetensors", expect="task").task == "pose"


def _seg_folder(root):
    import cv2
    import numpy as np

    for folder in ("images", "labels"):
        (root / folder).mkdir(parents=True)
    for i in range(2):
        labels = np.zeros((32, 32), np.uint8)
        labels[8:24, 4 + i : 14 + i] = 1
        image = np.where(labels[..., None] == 1, 200, 30).astype(np.uint8).repeat(3, axis=2)
        cv2.imwrite(str(root / "images" / f"{i}.png"), image)
        cv2.imwrite(str(root / "labels" / f"{i}.png"), labels)
    (root / "classes.txt").write_text("background\nperson\n")
    return root


def _normal_folder(root):
    import cv2
    import numpy as np

    for folder in ("images", "targets"):
        (root / folder).mkdir(parents=True)
    normals = np.zeros((32, 32, 3), np.float32)
    normals[4:28, 4:28] = (0.0, 0.6, 0.8)
    for i in range(2):
        cv2.imwrite(str(root / "images" / f"{i}.png"), np.full((32, 32, 3), 90 + i, np.uint8))
        np.save(root / "targets" / f"{i}.npy", normals)
    return root


@pytest.mark.parametrize(("task", "data_format", "make", "head"), [
    ("seg", "seg_folder", _seg_folder, {"deconv_out_channels": [8, 8, 8, 8], "deconv_kernel_sizes": [4, 4, 4, 4], "conv_out_channels": [8], "conv_kernel_sizes": [1]}),
    ("normal", "arrays", _normal_folder, {"upsample_channels": [16, 8, 8, 8], "conv_out_channels": [8, 8, 8]}),
])  # fmt: skip
def test_dense_tasks_train_validate_and_save(tmp_path, task, data_format, make, head) -> None:
    root = make(tmp_path / "data")
    config = tiny_pose_config(root, tmp_path / "run", schedule={"iters": 2, "warmup_iters": 1})
    config["model"] |= {"task": task, "img_size": [32, 32], "head": head}
    config["data"] |= {"format": data_format, "train": str(root), "val": str(root)}
    result = Trainer(load_config(write_config(tmp_path, config))).fit()
    assert result.metric_name == ("mIoU" if task == "seg" else "angular error (deg)")
    assert 0 <= result.metric <= (1 if task == "seg" else 180)
    assert load_model(result.model_file, expect="task").task == task
