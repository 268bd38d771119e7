"""Fine-tuning overfits a few labelled images: targets, augmentation geometry and decoding agree end to end."""

from __future__ import annotations

import pytest
import yaml

from sapiens2.train.config import load_config
from sapiens2.train.trainer import Trainer
from train_datasets import tiny_pose_config, write_coco_dataset


@pytest.mark.slow
def test_finetuning_reaches_train_pck_095_on_four_images(tmp_path) -> None:
    dataset = write_coco_dataset(tmp_path / "coco", count=4)
    config = tiny_pose_config(
        dataset,
        tmp_path / "run",
        model={"img_size": [128, 96], "arch": {"embed_dims": 64, "num_layers": 4, "num_heads": 4, "feedforward_channels": 128, "num_tokenizer_layers": 0},
               "head": {"deconv_out_channels": [32, 32], "conv_out_channels": [32], "conv_kernel_sizes": [1]}},
        data={"val": str(dataset), "batch_size": 4, "augment": False},
        optim={"lr": 2e-3, "layer_decay": 1.0, "weight_decay": 0.0},
        schedule={"iters": 400, "warmup_iters": 20},
        loss={"coord_weight": 0.1},
        run={"val_every": 100},
    )  # fmt: skip
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    trainer = Trainer(load_config(tmp_path / "config.yaml"))
    mean_pose = trainer.recipe.baseline(trainer.train_set, trainer.val_set)
    result = trainer.fit()
    assert mean_pose < 0.5 and result.metric >= 0.95, (mean_pose, result.metric)
