"""Pair each image of ``images/`` with the file of the same stem in a target folder (a clear error otherwise), and the
dataset base both folder formats (seg labels, dense arrays) share: per-sample generators, and the replacement of
the training samples a task's filter drops."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from torch.utils.data import Dataset

from .errors import DatasetError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
MAX_DRAWS = 50  # dropped draws in a row before the dataset is called unusable


def paired_files(root: Path, target_folder: str, target_suffixes: tuple[str, ...]) -> list[tuple[Path, Path]]:
    """(image, target) pairs under ``root/images`` and ``root/<target_folder>``, sorted by stem."""
    images_dir, targets_dir = root / "images", root / target_folder
    for folder in (images_dir, targets_dir):
        if not folder.is_dir():
            raise DatasetError(f"dataset {root} needs an '{folder.name}/' folder (layout: images/ and {target_folder}/ with matching file stems)")
    targets = {p.stem: p for p in targets_dir.iterdir() if p.suffix.lower() in target_suffixes}
    images = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    missing = [p.name for p in images if p.stem not in targets]
    if missing:
        raise DatasetError(f"{len(missing)} image(s) in {images_dir} have no {'/'.join(target_suffixes)} file in {targets_dir}, e.g. {missing[0]}")
    if not images:
        raise DatasetError(f"{images_dir} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return [(p, targets[p.stem]) for p in images]


def read_image_and_array(image_path: Path, target_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The BGR image and its H x W x 3 float32 target array, or a ``DatasetError`` naming the file."""
    image = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
    target = np.load(target_path).astype(np.float32)
    if image is None or target.shape != image.shape:
        got = "unreadable" if image is None else f"{image.shape}"
        raise DatasetError(f"{target_path} must be an H x W x 3 array the size of its image ({got}), got {target.shape}")
    return image, target


class PairedFolderDataset(Dataset):
    """A dataset of ``images/`` + ``<target_folder>/`` file pairs under ``root``, augmented per epoch.

    Subclasses make a sample in ``draw`` and may drop training samples in ``rejection``. A dropped draw is
    replaced by a draw of another image, chosen by the same per-sample generator, as the official loader
    refetches a sample its Pack step drops; validation samples are never dropped.
    """

    def __init__(
        self, root: str | Path, target_folder: str, target_suffixes: tuple[str, ...], input_size: tuple[int, int], augment: bool, seed: int
    ) -> None:
        self.root = Path(root)
        self.pairs = paired_files(self.root, target_folder, target_suffixes)
        self.input_size, self.augment, self.seed, self.epoch = tuple(input_size), augment, seed, 0

    def __len__(self) -> int:
        return len(self.pairs)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __getitem__(self, index: int) -> dict[str, Any]:
        rng = np.random.default_rng([self.seed, self.epoch, index])
        if not self.augment:
            return self.draw(rng, index)
        dropped: Counter[str] = Counter()
        for _ in range(MAX_DRAWS):
            sample = self.draw(rng, index)
            reason = self.rejection(sample)
            if reason is None:
                return sample
            dropped[reason] += 1
            index = int(rng.integers(len(self)))
        reasons = "; ".join(f"{count} {reason}" for reason, count in dropped.most_common())
        raise DatasetError(f"{MAX_DRAWS} augmented samples in a row of {self.root} were dropped: {reasons}")

    def draw(self, rng: np.random.Generator, index: int) -> dict[str, Any]:
        """Sample ``index``, augmented with ``rng`` when ``augment``."""
        raise NotImplementedError

    def rejection(self, sample: dict[str, Any]) -> str | None:
        """Why a training sample is dropped, or None to keep it."""
        return None
