"""Top-down pose samples from a COCO-style keypoint JSON, with the official training augmentations.

Each annotation with at least two visible keypoints is one sample: its person box (the tight box of
the visible keypoints, or the annotated ``bbox``) padded by 1.25, randomly flipped, cut to its upper
or lower half, shifted, scaled and rotated, cut out with the UDP warp, photometrically distorted, and turned into UDP Gaussian
heatmap targets. Validation samples skip every random step. Optionally (not official steps) the
person is first pasted onto another picture (``backgrounds``, ``background_swap``), and some crops
are close-ups of head and shoulders (``BoxJitter.closeup_prob``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from sapiens2.processing.normalize import normalize
from sapiens2.processing.topdown import BOX_PADDING, box_to_center_scale, fix_aspect_ratio

from .background_swap import BackgroundSwap
from .errors import DatasetError
from .heatmap_target import crop_to_heatmap, udp_gaussian_targets
from .keypoint_set import KeypointSet
from .photometric import blur_and_dropout, photometric_distortion
from .pose_geometry import HALF_BODY_PADDING, BoxJitter, closeup_box, flip_horizontally, half_body_box, keypoint_box, random_box_transform, rotated_udp_matrix

MIN_VISIBLE = 2
FLIP_PROB = 0.5
PHOTOMETRIC_PROB = 0.8


class CocoPoseDataset(Dataset):
    """(image, heatmaps, weights, keypoints) samples; ``input_size`` and ``heatmap_size`` are (W, H).

    ``annotations`` may name several files of one keypoint set (e.g. footage labelled with different
    options); each file's images are found under ``images`` or, by default, the file's own folder.
    Each sample keeps the file it came from (``sample["annotations"]``).
    """

    def __init__(
        self,
        annotations: str | Path | Sequence[str | Path],
        images: str | Path | None = None,
        input_size: tuple[int, int] = (768, 1024),
        heatmap_size: tuple[int, int] = (192, 256),
        sigma: float = 6.0,
        augment: bool = True,
        seed: int = 0,
        jitter: BoxJitter | None = None,
        backgrounds: BackgroundSwap | None = None,
    ) -> None:
        paths = [Path(annotations)] if isinstance(annotations, (str, Path)) else [Path(a) for a in annotations]
        if not paths:
            raise DatasetError("no annotation file given")
        self.input_size, self.heatmap_size = tuple(input_size), tuple(heatmap_size)
        self.sigma, self.augment, self.seed, self.jitter = sigma, augment, seed, jitter or BoxJitter()
        self.backgrounds = backgrounds if augment else None
        self.epoch = 0
        self.samples: list[dict[str, Any]] = []
        for path in paths:
            data = _read_json(path)
            keypoint_set = KeypointSet.from_category(_keypoint_category(data, path))
            if path is paths[0]:
                self.keypoint_set = keypoint_set
            elif keypoint_set.names != self.keypoint_set.names:
                raise DatasetError(f"{path} has another keypoint set than {paths[0]}: one dataset needs one set of keypoint names")
            root = Path(images) if images else path.parent
            files = {img["id"]: root / img["file_name"] for img in data.get("images", [])}
            self.samples += [s for s in (self._sample(a, files, path) for a in data.get("annotations", [])) if s is not None]
        if not self.samples:
            raise DatasetError(f"{', '.join(map(str, paths))} has no annotation with at least {MIN_VISIBLE} visible keypoints")

    @property
    def num_keypoints(self) -> int:
        return len(self.keypoint_set.names)

    def __len__(self) -> int:
        return len(self.samples)

    def set_epoch(self, epoch: int) -> None:
        """Seeds the augmentation of the next pass, so a resumed run draws what the original would have."""
        self.epoch = epoch

    def __getitem__(self, index: int) -> dict[str, Any]:
        sample = self.samples[index]
        image = cv2.imread(str(sample["file"]), cv2.IMREAD_COLOR)
        if image is None:
            raise DatasetError(f"cannot read image {sample['file']}")
        keypoints, visible = sample["keypoints"].copy(), sample["visible"].copy()
        rng = np.random.default_rng([self.seed, self.epoch, index])
        if self.backgrounds is not None and rng.random() < self.backgrounds.probability:
            image = self.backgrounds.apply(rng, image, person_mask_file(sample), keypoints, visible)
        flipped = self.augment and rng.random() < FLIP_PROB
        if flipped:
            image, keypoints, visible = flip_horizontally(image, keypoints, visible, self.keypoint_set.flip_indices)
        box = keypoint_box(keypoints, visible) if self.augment or sample["box"] is None else sample["box"]
        padding = BOX_PADDING
        if self.augment:
            part = closeup_box(rng, keypoints, visible, self.jitter.closeup_prob)
            if part is None:
                part = half_body_box(rng, keypoints, visible, self.keypoint_set.upper, self.keypoint_set.lower)
            if part is not None:
                box, padding = part, HALF_BODY_PADDING
        center, scale = box_to_center_scale(box if box is not None else sample["box"], padding)
        scale = fix_aspect_ratio(scale, self.input_size[0] / self.input_size[1])
        degrees = 0.0
        if self.augment:
            center, scale, degrees = random_box_transform(rng, center, scale, self.jitter)
        matrix = rotated_udp_matrix(center, scale, self.input_size, degrees)
        crop = cv2.warpAffine(image, matrix, self.input_size, flags=cv2.INTER_LINEAR, borderValue=0)
        points = keypoints @ matrix[:, :2].T + matrix[:, 2]
        inside = (points >= 0).all(1) & (points[:, 0] <= self.input_size[0] - 1) & (points[:, 1] <= self.input_size[1] - 1)
        cut_off = visible & ~inside
        visible &= inside
        if self.augment:
            if rng.random() < PHOTOMETRIC_PROB:
                crop = photometric_distortion(rng, crop)
            crop = blur_and_dropout(rng, crop)
        points_hm = crop_to_heatmap(points, self.input_size, self.heatmap_size)
        heatmaps, weights = udp_gaussian_targets(points_hm, visible, self.heatmap_size, self.sigma)
        return self.aligned_targets(sample, flipped, matrix) | {
            "image": torch.from_numpy(normalize(crop)[0]),
            "heatmaps": torch.from_numpy(heatmaps),
            "weights": torch.from_numpy(weights),
            "keypoints": torch.from_numpy(points.astype(np.float32)),
            "keypoints_hm": torch.from_numpy(points_hm),
            "cut_off": torch.from_numpy(cut_off.astype(np.float32)),  # labelled, but outside the crop
        }

    def aligned_targets(self, sample: dict[str, Any], flipped: bool, matrix: np.ndarray) -> dict[str, torch.Tensor]:
        """Targets that follow the crop's geometry (a subclass's masks); the image was flipped first if ``flipped``."""
        return {}

    def _sample(self, annotation: dict[str, Any], files: dict[Any, Path], path: Path) -> dict[str, Any] | None:
        raw = annotation.get("keypoints")
        if raw is None or len(raw) != 3 * self.num_keypoints:
            got = "none" if raw is None else f"{len(raw)} numbers"
            raise DatasetError(
                f"{path}: annotation {annotation.get('id')} has {got} for keypoints; expected "
                f"{3 * self.num_keypoints} (x, y, v for each of the category's {self.num_keypoints} keypoints)"
            )
        if annotation.get("image_id") not in files:
            raise DatasetError(f"{path}: annotation {annotation.get('id')} refers to image_id {annotation.get('image_id')}, which is not in 'images'")
        triples = np.asarray(raw, dtype=np.float32).reshape(-1, 3)
        visible = triples[:, 2] > 0
        if visible.sum() < MIN_VISIBLE:
            return None
        box = None
        if annotation.get("bbox"):
            x, y, w, h = (float(v) for v in annotation["bbox"])
            box = np.array([x, y, x + w, y + h], dtype=np.float32)
        file = files[annotation["image_id"]]
        return {"file": file, "annotations": path, "keypoints": triples[:, :2], "visible": visible, "box": box}


def person_mask_file(sample: dict[str, Any], masks: str | Path | None = None) -> Path:
    """Where a sample's person mask is: ``masks/<image stem>.png`` beside its annotation file (the layout
    ``sapiens2 label --masks`` writes), or in the one folder ``masks``."""
    root = Path(masks) if masks else sample["annotations"].parent / "masks"
    return root / f"{sample['file'].stem}.png"


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise DatasetError(f"annotation file {path} does not exist")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DatasetError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(data, dict) or "annotations" not in data or "images" not in data:
        raise DatasetError(f"{path} is not a COCO keypoint file: it needs 'images', 'annotations' and 'categories'")
    return data


def _keypoint_category(data: dict[str, Any], path: Path) -> dict[str, Any]:
    categories = [c for c in data.get("categories", []) if c.get("keypoints")]
    if len(categories) != 1:
        raise DatasetError(f"{path} must have exactly one category with a 'keypoints' list of names, found {len(categories)}")
    return categories[0]
