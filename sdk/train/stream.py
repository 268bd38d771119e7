"""An endless, resumable stream of samples: position p is epoch p // n of a seeded permutation.

Iteration-based training needs "the next sample" rather than epochs, and exact resume needs the
stream to restart at a position: the sampler yields global positions (one rank's share), and the
wrapper turns a position into (epoch, index), seeding the dataset's augmentation by epoch.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
from torch.utils.data import Dataset, Sampler


class PositionSampler(Sampler[int]):
    """Global positions start + rank, start + rank + world, ... (no end)."""

    def __init__(self, start: int = 0, rank: int = 0, world: int = 1) -> None:
        self.start, self.rank, self.world = start, rank, world

    def __iter__(self) -> Iterator[int]:
        return itertools.count(self.start + self.rank, self.world)


class EpochStream(Dataset):
    """Position -> a sample of ``dataset``: a fresh permutation per epoch, augmentations seeded by epoch."""

    def __init__(self, dataset: Any, seed: int) -> None:
        self.dataset, self.seed = dataset, seed
        self._order: tuple[int, np.ndarray] | None = None

    def __getitem__(self, position: int) -> Any:
        epoch, offset = divmod(position, len(self.dataset))
        if self._order is None or self._order[0] != epoch:
            self._order = (epoch, np.random.default_rng([self.seed, epoch]).permutation(len(self.dataset)))
        self.dataset.set_epoch(epoch)
        return self.dataset[int(self._order[1][offset])]
