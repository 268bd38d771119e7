"""Per task: the dataset reader, the loss of a batch and the validation metric (one class each).

The trainer is task-neutral; everything that differs between pose, segmentation, normals and albedo
lives here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from torch import nn

from . import losses, metrics
from .config import TrainConfig
from .data import CocoPoseDataset, DenseArrayDataset, SegFolderDataset
from .data.background_swap import BackgroundSwap
from .data.seg_background import SEG_BACKGROUND_PROB
from .data.pose_geometry import BoxJitter
from .model_setup import build_model, initialise_from

FORMATS = {
    "pose": ("coco",),
    "multitask": ("coco",),
    "seg": ("seg_folder",),
    "normal": ("arrays",),
    "albedo": ("arrays",),
    "pointmap": ("arrays",),
}  # pretrain: images
PCK_THRESHOLD = 0.1


class TaskRecipe:
    """Base: ``dataset``, ``build_model``, ``loss`` and ``evaluate`` (metric name, value; higher or lower is better)."""

    metric_name = ""
    higher_is_better = True
    baseline_name = ""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.secondary_metrics: dict[str, float] = {}  # further metrics of the last ``evaluate`` (multitask)
        width_height = tuple(reversed(config.model.img_size))
        self.input_size: tuple[int, int] = width_height  # (W, H), OpenCV order

    def dataset(self, path: str, images: str | None, augment: bool) -> Any:
        raise NotImplementedError

    def head_outputs(self, dataset: Any) -> int | None:
        return None

    def build_model(self, dataset: Any) -> nn.Module:
        """The task model, its head sized for ``dataset``, initialised from ``model.init_from`` if given."""
        model = build_model(self.config.model, self.head_outputs(dataset))
        if self.config.model.init_from:
            self.init_report = initialise_from(model, self.config.model.init_from)
        return model

    def forward_loss(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.loss(model(batch["image"]), batch)

    def loss(self, outputs: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def after_step(self, model: nn.Module) -> None:
        """Work after each optimizer step (the pretraining teacher's EMA update)."""

    def checkpoint_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The tensors of the released layout: ``backbone.*`` + ``decode_head.*``."""
        return {k: v for k, v in state.items() if k.startswith(("backbone.", "decode_head."))}

    def evaluate(self, model: nn.Module, batches: Iterable[dict[str, torch.Tensor]]) -> float:
        raise NotImplementedError

    def baseline(self, train_set: Any, val_set: Any) -> float | None:
        """The metric of a trivial predictor, so that a validation figure has a floor to beat."""
        return None


class PoseRecipe(TaskRecipe):
    metric_name = f"PCK@{PCK_THRESHOLD}"
    baseline_name = "always the mean training pose in the crop"

    def heatmap_size(self) -> tuple[int, int]:
        """(W, H) of the head's output: the 16-pixel token grid upsampled x2 per deconv stage."""
        deconvs = len(self.pose_head_overrides().get("deconv_out_channels", (None, None)))
        stride = 16 // 2**deconvs
        return (self.input_size[0] // stride, self.input_size[1] // stride)

    def pose_head_overrides(self) -> dict[str, Any]:
        return self.config.model.head or {}

    def dataset(self, path: str, images: str | None, augment: bool) -> CocoPoseDataset:
        return CocoPoseDataset(path, images, augment=augment, **self.crop_options())

    def crop_options(self) -> dict[str, Any]:
        """Crop and heatmap sizes, Gaussian sigma, box jitter and seed of the pose samples."""
        data = self.config.data
        heatmap = self.heatmap_size()
        # data.heatmap_sigma is in the official 256-row heatmap's pixels; it scales with the heatmap.
        sigma = data.heatmap_sigma * heatmap[1] / 256
        jitter = BoxJitter(data.shift_factor, data.scale_factor, data.rotate_factor, data.closeup_prob)
        backgrounds = BackgroundSwap.from_folder(data.backgrounds, data.background_prob) if data.backgrounds else None
        return {
            "input_size": self.input_size, "heatmap_size": heatmap, "sigma": sigma, "seed": self.config.run.seed,
            "jitter": jitter, "backgrounds": backgrounds,
        }  # fmt: skip

    def head_outputs(self, dataset: CocoPoseDataset) -> int:
        return dataset.num_keypoints

    def loss(self, outputs: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        weights = self.config.loss
        heatmap_weights = batch["weights"] + weights.cut_off_weight * batch["cut_off"] if weights.cut_off_weight else batch["weights"]
        total = losses.keypoint_mse(outputs, batch["heatmaps"], heatmap_weights, weights.heatmap_weight)
        if weights.coord_weight:
            coord = losses.keypoint_coord_l1(outputs, batch["keypoints_hm"], batch["weights"], weights.coord_temperature)
            total = total + weights.coord_weight * coord
        return total

    def evaluate(self, model: nn.Module, batches: Iterable[dict[str, torch.Tensor]]) -> float:
        hits = count = 0
        for batch in batches:
            h, c = self.pck_counts(model(batch["image"]), batch)
            hits, count = hits + h, count + c
        return hits / max(count, 1)

    def pck_counts(self, heatmaps: torch.Tensor, batch: dict[str, torch.Tensor]) -> tuple[int, int]:
        """(keypoints within PCK_THRESHOLD of the crop size, visible keypoints) of one batch."""
        hits = count = 0
        norm = np.asarray(self.input_size, dtype=np.float32)
        for i, maps in enumerate(heatmaps.float().cpu().numpy()):
            pred = metrics.decode_to_crop(maps, self.input_size)
            target = batch["keypoints"][i].cpu().numpy()
            h, c = metrics.pck(pred, target, batch["weights"][i].cpu().numpy() > 0, norm, PCK_THRESHOLD)
            hits, count = hits + h, count + c
        return hits, count

    def baseline(self, train_set: CocoPoseDataset, val_set: CocoPoseDataset) -> float:
        plain = self.dataset(self.config.data.train, self.config.data.images, False)
        points = np.stack([plain[i]["keypoints"].numpy() for i in range(len(plain))])
        seen = np.stack([plain[i]["weights"].numpy() > 0 for i in range(len(plain))])
        mean_pose = (points * seen[..., None]).sum(0) / np.maximum(seen.sum(0), 1)[:, None]
        hits = count = 0
        norm = np.asarray(self.input_size, dtype=np.float32)
        for i in range(len(val_set)):
            sample = val_set[i]
            h, c = metrics.pck(mean_pose, sample["keypoints"].numpy(), sample["weights"].numpy() > 0, norm, PCK_THRESHOLD)
            hits, count = hits + h, count + c
        return hits / max(count, 1)


class SegRecipe(TaskRecipe):
    metric_name = "mIoU"

    def dataset(self, path: str, images: str | None, augment: bool) -> SegFolderDataset:
        data = self.config.data  # the official background replacement's probability, not the pose swap's option
        backgrounds = BackgroundSwap.from_folder(data.backgrounds, SEG_BACKGROUND_PROB) if data.backgrounds else None
        return SegFolderDataset(path, data.classes, self.input_size, augment, self.config.run.seed, backgrounds, data.in_the_wild)

    def head_outputs(self, dataset: SegFolderDataset) -> int:
        self.class_weight = losses.SEG_CLASS_WEIGHT if len(dataset.classes) == len(losses.SEG_CLASS_WEIGHT) else None
        return len(dataset.classes)

    def loss(self, outputs: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return losses.seg_loss(outputs, batch["labels"], self.class_weight)

    def evaluate(self, model: nn.Module, batches: Iterable[dict[str, torch.Tensor]]) -> float:
        matrix = None
        for batch in batches:
            found = batch_confusion(model(batch["image"]), batch["labels"])
            matrix = found if matrix is None else matrix + found
        return metrics.mean_iou(matrix)


def batch_confusion(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The confusion matrix of one batch, logits resized to the labels first (as the official evaluator)."""
    logits = torch.nn.functional.interpolate(logits.float(), size=labels.shape[-2:], mode="bilinear")
    return metrics.confusion(logits.argmax(1), labels, logits.shape[1])


class DenseRecipe(TaskRecipe):
    """Normals (angular error, degrees) and albedo (masked L1); lower is better."""

    higher_is_better = False

    def __init__(self, config: TrainConfig) -> None:
        super().__init__(config)
        self.metric_name = "angular error (deg)" if config.model.task == "normal" else "L1"

    def dataset(self, path: str, images: str | None, augment: bool) -> DenseArrayDataset:
        return DenseArrayDataset(path, self.config.model.task, self.input_size, augment, self.config.run.seed)

    def loss(self, outputs: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        objective = losses.normal_loss if self.config.model.task == "normal" else losses.albedo_loss
        return objective(resize_like(outputs, batch["target"]), batch["target"], batch["mask"])

    def evaluate(self, model: nn.Module, batches: Iterable[dict[str, torch.Tensor]]) -> float:
        total = pixels = 0.0
        for batch in batches:
            pred = resize_like(model(batch["image"]).float(), batch["target"])
            if self.config.model.task == "normal":
                angle, count = metrics.angular_error_sum(pred, batch["target"], batch["mask"])
            else:
                angle, count = float(((pred - batch["target"]).abs() * batch["mask"]).sum()), int(batch["mask"].sum()) * 3
            total, pixels = total + angle, pixels + count
        return total / max(pixels, 1)


def resize_like(pred: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    if pred.shape[-2:] == like.shape[-2:]:
        return pred
    return torch.nn.functional.interpolate(pred, size=like.shape[-2:], mode="bilinear", align_corners=False)
