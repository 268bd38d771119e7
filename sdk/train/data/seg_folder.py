"""Segmentation samples from ``images/`` + ``labels/`` (one-channel PNGs of class ids, 255 = ignore).

The class list comes from the config or ``classes.txt`` (one name per line); flips swap the classes
whose names differ only by left/right. Training samples take the official augmentation
(``seg_augment``; the background replacement only with ``backgrounds``, and never for the images
whose file names match an ``in_the_wild`` glob pattern: their backgrounds are real), and a draw
left with under 1 % foreground is replaced by a draw of another image (``PairedFolderDataset``),
as the official loader refetches a dropped sample. Images are stretched to the input size (labels
nearest), as the official pipeline ends.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np
import torch

from sapiens2.processing.normalize import normalize

from .background_swap import BackgroundSwap
from .errors import DatasetError
from .folder_pairs import PairedFolderDataset
from .keypoint_set import KeypointSet
from .seg_augment import IGNORE, MIN_FOREGROUND, augment_seg, foreground


class SegFolderDataset(PairedFolderDataset):
    """(image, labels) samples at ``input_size`` (W, H)."""

    def __init__(
        self,
        root: str | Path,
        classes: Sequence[str] | None = None,
        input_size: tuple[int, int] = (768, 1024),
        augment: bool = True,
        seed: int = 0,
        backgrounds: BackgroundSwap | None = None,
        in_the_wild: str | Sequence[str] | None = None,
    ) -> None:
        super().__init__(root, "labels", (".png",), input_size, augment, seed)
        self.classes = tuple(classes) if classes else _read_classes(self.root)
        swaps = KeypointSet.from_category({"keypoints": self.classes}).flip_indices
        self.flip_lut = np.arange(256, dtype=np.uint8)
        self.flip_lut[: len(swaps)] = swaps
        self.backgrounds = backgrounds
        self.in_the_wild = _matching_images(self.pairs, in_the_wild, must_match=augment and backgrounds is not None)

    def draw(self, rng: np.random.Generator, index: int) -> dict[str, Any]:
        image, labels = self._read(index)
        if self.augment:
            backgrounds = None if self.in_the_wild[index] else self.backgrounds
            image, labels = augment_seg(rng, image, labels, self.input_size, self.flip_lut, backgrounds)
        return self._stretched(image, labels)

    def rejection(self, sample: dict[str, Any]) -> str | None:
        if foreground(sample["labels"].numpy()).mean() >= MIN_FOREGROUND:
            return None
        return f"had under {MIN_FOREGROUND:.0%} foreground (class ids other than 0 and 255): check that the labels mark the people"

    def _read(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        image_path, label_path = self.pairs[index]
        image = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
        labels = cv2.imread(str(label_path), cv2.IMREAD_UNCHANGED)
        if image is None or labels is None or labels.ndim != 2:
            raise DatasetError(f"cannot read {image_path} with a one-channel label PNG {label_path}")
        if image.shape[:2] != labels.shape:
            raise DatasetError(f"{image_path} is {image.shape[1]}x{image.shape[0]} but its labels are {labels.shape[1]}x{labels.shape[0]}")
        known = (labels < len(self.classes)) | (labels == IGNORE)
        if not known.all():
            raise DatasetError(f"{label_path} has class id {int(labels[~known].max())} but there are {len(self.classes)} classes")
        return image, labels

    def _stretched(self, image: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
        image = cv2.resize(np.ascontiguousarray(image), self.input_size, interpolation=cv2.INTER_LINEAR)
        labels = cv2.resize(np.ascontiguousarray(labels), self.input_size, interpolation=cv2.INTER_NEAREST)
        return {"image": torch.from_numpy(normalize(image)[0]), "labels": torch.from_numpy(labels.astype(np.int64))}


def _read_classes(root: Path) -> tuple[str, ...]:
    path = root / "classes.txt"
    if not path.is_file():
        raise DatasetError(f"segmentation dataset {root} needs a class list: data.classes in the config or {path}")
    return tuple(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def _matching_images(pairs: Sequence[tuple[Path, Path]], patterns: str | Sequence[str] | None, must_match: bool) -> tuple[bool, ...]:
    """Per sample, whether its image file name matches one of the glob ``patterns`` (case-sensitive);
    with ``must_match``, a pattern list that matches no image is an error, as it is most likely a typo."""
    patterns = [patterns] if isinstance(patterns, str) else list(patterns or ())
    if not all(isinstance(p, str) for p in patterns):
        raise DatasetError(f"data.in_the_wild must be a glob pattern or a list of them (e.g. 'wild_*'), got {patterns!r}")
    matched = tuple(any(fnmatchcase(image.name, p) for p in patterns) for image, _ in pairs)
    if patterns and must_match and not any(matched):
        example = pairs[0][0]
        raise DatasetError(f"data.in_the_wild {patterns} matches no image file name in {example.parent}, e.g. not {example.name}")
    return matched
