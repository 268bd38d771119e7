"""Run by torchrun in test_train_fsdp: train a config but stop after ``STOP`` steps, as a killed run would."""

from __future__ import annotations

import sys

from sapiens2.train.config import load_config
from sapiens2.train.trainer import Trainer

if __name__ == "__main__":
    config_path, stop = sys.argv[1], int(sys.argv[2])
    trainer = Trainer(load_config(config_path))
    trainer.config.schedule.iters = stop  # the scheduler was built for the full schedule; only the loop ends early
    trainer.fit()
