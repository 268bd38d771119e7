"""Training losses per task, with the official formulas and weights (official-facts §5.5).

"Mask mean" throughout is sum(loss * mask) / max(sum(mask), 1) with a one-channel mask broadcast
over channels, so a per-pixel loss summed over channels is divided by the pixel count, as the
official code does.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

# Official per-class cross-entropy weights of the 29 body-part classes (index = label id).
SEG_CLASS_WEIGHT = (0.1, 10, 10, 3, 2, 4, 4, 2, 2, 6, 10, 3, 3, 1, 4, 4, 2, 2, 6, 10, 3, 3, 1, 1, 10, 10, 10, 10, 10)
IGNORE_INDEX = 255


def mask_mean(loss: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """sum(loss * mask) / max(sum(mask), 1); ``mask`` (B, 1, H, W) broadcasts over the channels of ``loss``."""
    return (loss * mask).sum() / mask.sum().clamp(min=1)


def keypoint_mse(pred: torch.Tensor, target: torch.Tensor, weights: torch.Tensor, loss_weight: float = 10.0) -> torch.Tensor:
    """``loss_weight`` * mean over B*K*H*W of w_k * (pred - target)^2 (official ``KeypointMSELoss``)."""
    pred = pred.to(target.dtype)
    return loss_weight * (weights[:, :, None, None] * (pred - target) ** 2).mean()


def soft_argmax(heatmaps: torch.Tensor, temperature: float) -> torch.Tensor:
    """Expected (x, y) heatmap pixel under softmax(temperature * heatmaps), (B, K, 2).

    Sharpening matters: plain softmax over a map of near-zero logits averages to the map centre.
    """
    batch, count, height, width = heatmaps.shape
    probs = torch.softmax(temperature * heatmaps.float().flatten(2), dim=-1).view(batch, count, height, width)
    xs = torch.arange(width, dtype=probs.dtype, device=probs.device)
    ys = torch.arange(height, dtype=probs.dtype, device=probs.device)
    return torch.stack([(probs.sum(2) * xs).sum(-1), (probs.sum(3) * ys).sum(-1)], dim=-1)


def keypoint_coord_l1(
    heatmaps: torch.Tensor, keypoints_hm: torch.Tensor, weights: torch.Tensor, temperature: float = 30.0
) -> torch.Tensor:
    """Weighted mean L1 between soft-argmax keypoints and targets, in heatmap pixels over (x, y)."""
    error = (soft_argmax(heatmaps, temperature) - keypoints_hm).abs().sum(-1)
    return (error * weights).sum() / weights.sum().clamp(min=1)


def seg_cross_entropy(
    logits: torch.Tensor, labels: torch.Tensor, class_weight: Sequence[float] | None = SEG_CLASS_WEIGHT
) -> torch.Tensor:
    """Per-pixel w_y * -log softmax_y, ignored pixels 0, mean over ALL B*H*W pixels (not over the weights)."""
    logits = _resize_like(logits, labels)
    weight = None if class_weight is None else torch.as_tensor(class_weight, dtype=logits.dtype, device=logits.device)
    return F.cross_entropy(logits, labels.long(), weight=weight, ignore_index=IGNORE_INDEX, reduction="none").mean()


def seg_dice(logits: torch.Tensor, labels: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """1 - mean over present foreground classes of (2 sum pg + eps) / (sum p^2 + sum g^2 + eps), batch mean.

    Softmax probabilities, background (class 0) excluded, ignored pixels dropped; a sample with no
    foreground class present contributes 0.
    """
    logits = _resize_like(logits, labels)
    classes = logits.shape[1]
    valid = (labels != IGNORE_INDEX).unsqueeze(1).to(logits.dtype)
    probs = torch.softmax(logits, dim=1) * valid
    onehot = F.one_hot(labels.long().clamp(max=classes - 1), classes).permute(0, 3, 1, 2).to(logits.dtype) * valid
    dims = (2, 3)
    dice = (2 * (probs * onehot).sum(dims) + eps) / ((probs**2).sum(dims) + (onehot**2).sum(dims) + eps)
    present = onehot.sum(dims) > 0
    present[:, 0] = False
    count = present.sum(1)
    score = (dice * present).sum(1) / count.clamp(min=1)
    return torch.where(count > 0, 1 - score, torch.zeros_like(score)).mean()


def seg_loss(logits: torch.Tensor, labels: torch.Tensor, class_weight: Sequence[float] | None = SEG_CLASS_WEIGHT) -> torch.Tensor:
    """Official segmentation objective: weighted cross-entropy + Dice, each with weight 1."""
    return seg_cross_entropy(logits, labels, class_weight) + seg_dice(logits, labels)


def normal_cosine(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mask mean of 1 - cos between L2-normalised predicted and true normals."""
    cos = (F.normalize(pred, dim=1, eps=1e-6) * F.normalize(gt, dim=1, eps=1e-6)).sum(1, keepdim=True)
    return mask_mean(1 - cos, mask)


def masked_l1(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mask mean of |pred - gt| summed over channels (the raw prediction, not normalised)."""
    return mask_mean((pred - gt).abs(), mask)


def gradient_squared_error(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Masked means of the squared difference of forward differences along x and along y.

    A difference counts only where both of its pixels are valid.
    """
    terms = []
    for dim in (3, 2):
        size = pred.shape[dim] - 1
        pair = mask.narrow(dim, 0, size) * mask.narrow(dim, 1, size)
        diff = (pred.diff(dim=dim) - gt.diff(dim=dim)) ** 2
        terms.append(mask_mean(diff, pair))
    return terms[0], terms[1]


def normal_loss(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Official normal objective: 10 * cosine + 1 * L1 + 10 * gradient (a squared error); NaN/Inf -> 0."""
    grad_x, grad_y = gradient_squared_error(pred, gt, mask)
    total = 10 * normal_cosine(pred, gt, mask) + masked_l1(pred, gt, mask) + 10 * (grad_x + grad_y)
    return torch.nan_to_num(total, nan=0.0, posinf=0.0, neginf=0.0)


def chromaticity_l1(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mask mean of |chroma(pred) - chroma(gt)| with chroma = RGB / (R + G + B + 1e-6), pred clamped to [0, 1]."""

    def chroma(rgb: torch.Tensor) -> torch.Tensor:
        return rgb / (rgb.sum(1, keepdim=True) + 1e-6)

    return mask_mean((chroma(pred.clamp(0, 1)) - chroma(gt)).abs(), mask)


def albedo_loss(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Official albedo objective: 2 * L1 + 2 * gradient (half the x and y terms) + 1 * chromaticity."""
    grad_x, grad_y = gradient_squared_error(pred, gt, mask)
    return 2 * masked_l1(pred, gt, mask) + (grad_x + grad_y) + chromaticity_l1(pred, gt, mask)


def feature_cosine(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Mean over tokens/pixels of 1 - cos between student and teacher features (B, C, ...)."""
    return (1 - F.cosine_similarity(student.float(), teacher.float(), dim=1)).mean()


def _resize_like(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    if logits.shape[-2:] == labels.shape[-2:]:
        return logits
    return F.interpolate(logits, size=labels.shape[-2:], mode="bilinear", align_corners=False)
