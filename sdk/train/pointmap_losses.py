"""The official pointmap objective (official-facts §5.5), one function per term.

Maps are canonical (``P_c = s * P_metric`` with ``s = 768 / fx`` of the model input), (B, 3, H, W);
``mask`` is (B, 1, H, W); ``depth`` the per-sample mean canonical ground-truth Z, (B, 1, 1, 1).
Where the facts leave it open, the clamp at 4 applies to each pixel's loss (summed over the
channels) before the masked mean, and the normal term's absolute difference is averaged over
valid pixels and the three channels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .losses import mask_mean

CLAMP = 4.0
LOG_FLOOR = 1e-4
NORMAL_STEP_SCALE = 100.0
WEIGHTS = {
    "l1": 2.0,
    "multiscale_l1": 1.0,
    "silog": 1.0,
    "intrinsics": 1.0,
    "shift_invariant_l1": 1.0,
    "normal": 2.0,
    "scale": 4.0,
}


def mean_canonical_depth(gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per sample, the masked mean of the ground truth's Z (the official ``gt_mean_depth``), (B, 1, 1, 1)."""
    total = (gt[:, 2:3] * mask).sum((1, 2, 3), keepdim=True)
    return total / mask.sum((1, 2, 3), keepdim=True).clamp(min=1)


def clamped_l1(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mask mean of min(sum over channels of |pred - gt|, 4)."""
    return mask_mean((pred - gt).abs().sum(1, keepdim=True).clamp(max=CLAMP), mask)


def depth_normalised_l1(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
    """``clamped_l1`` of both maps divided by the sample's mean ground-truth depth (scale-free)."""
    return clamped_l1(pred / depth, gt / depth, mask)


def multiscale_l1(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
    """``depth_normalised_l1`` with both maps upsampled x2 (bilinear) and the mask x2 (nearest)."""

    def up(x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)

    return clamped_l1(up(pred / depth), up(gt / depth), F.interpolate(mask, scale_factor=2, mode="nearest"))


def silog(pred_z: torch.Tensor, gt_z: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Scale-invariant log error per sample, sqrt(E[d^2] - 0.5 E[d]^2) with d = log Z_gt - log Z_pred; batch mean."""
    d = torch.log(gt_z.clamp(min=LOG_FLOOR)) - torch.log(pred_z.clamp(min=LOG_FLOOR))
    count = mask.sum((1, 2, 3)).clamp(min=1)
    mean = (d * mask).sum((1, 2, 3)) / count
    mean_square = (d**2 * mask).sum((1, 2, 3)) / count
    return (mean_square - 0.5 * mean**2).clamp(min=1e-12).sqrt().mean()


def intrinsics_consistency(pred: torch.Tensor, intrinsics: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mask mean of |X - (u - cx) Z / fx| + |Y - (v - cy) Z / fy| at integer pixels (u, v): the points
    must lie on the rays of the camera ``intrinsics`` (B, 3, 3) of the model input."""
    height, width = pred.shape[-2:]
    u = torch.arange(width, dtype=pred.dtype, device=pred.device).view(1, 1, width)
    v = torch.arange(height, dtype=pred.dtype, device=pred.device).view(1, height, 1)
    fx, fy, cx, cy = (intrinsics[:, i, j].to(pred.dtype).view(-1, 1, 1) for i, j in ((0, 0), (1, 1), (0, 2), (1, 2)))
    x, y, z = pred[:, 0], pred[:, 1], pred[:, 2]
    error = (x - (u - cx) * z / fx).abs() + (y - (v - cy) * z / fy).abs()
    return mask_mean(error[:, None], mask)


def shift_invariant_l1(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
    """``clamped_l1`` of the depth-normalised maps after subtracting each one's masked centroid per sample."""

    def centred(points: torch.Tensor) -> torch.Tensor:
        centroid = (points * mask).sum((2, 3), keepdim=True) / (mask.sum((2, 3), keepdim=True) + 1e-6)
        return points - centroid

    return clamped_l1(centred(pred / depth), centred(gt / depth), mask)


def pointmap_normals(points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit normals (B, 3, H, W) from the cross product of the forward differences to the right and
    down (x100, reflect-padded at the far edges), and the cross product's length (B, 1, H, W)."""
    padded = F.pad(points, (0, 1, 0, 1), mode="reflect")
    height, width = points.shape[-2:]
    right = (padded[:, :, :height, 1:] - points) * NORMAL_STEP_SCALE
    down = (padded[:, :, 1:, :width] - points) * NORMAL_STEP_SCALE
    normal = torch.cross(right, down, dim=1)
    length = normal.norm(dim=1, keepdim=True)
    return normal / length.clamp(min=1e-12), length


def normal_consistency(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Over pixels with a ground-truth normal: mean (1 - cos) + mean |n_pred - n_gt|, on metric maps (divided by ``scale``)."""
    metric_scale = scale.view(-1, 1, 1, 1)
    pred_normal, _ = pointmap_normals(pred / metric_scale)
    gt_normal, gt_length = pointmap_normals(gt / metric_scale)
    valid = ((gt_length > 1e-6) & (mask > 0)).to(pred.dtype)
    cos = (pred_normal * gt_normal).sum(1, keepdim=True).clamp(-1, 1)
    count = valid.sum().clamp(min=1)
    return ((1 - cos) * valid).sum() / count + ((pred_normal - gt_normal).abs() * valid).sum() / (3 * count)


def scale_l1(pred_scale: torch.Tensor, gt_scale: torch.Tensor) -> torch.Tensor:
    return (pred_scale.reshape(-1) - gt_scale.reshape(-1)).abs().mean()


def pointmap_terms(
    pred: torch.Tensor,
    pred_scale: torch.Tensor,
    gt: torch.Tensor,
    gt_scale: torch.Tensor,
    mask: torch.Tensor,
    intrinsics: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """Every term of the objective, unweighted, by the names of ``WEIGHTS``."""
    depth = mean_canonical_depth(gt, mask).clamp(min=LOG_FLOOR)
    return {
        "l1": depth_normalised_l1(pred, gt, mask, depth),
        "multiscale_l1": multiscale_l1(pred, gt, mask, depth),
        "silog": silog(pred[:, 2:3], gt[:, 2:3], mask),
        "intrinsics": intrinsics_consistency(pred, intrinsics, mask),
        "shift_invariant_l1": shift_invariant_l1(pred, gt, mask, depth),
        "normal": normal_consistency(pred, gt, mask, gt_scale),
        "scale": scale_l1(pred_scale, gt_scale),
    }


def pointmap_loss(
    pred: torch.Tensor,
    pred_scale: torch.Tensor,
    gt: torch.Tensor,
    gt_scale: torch.Tensor,
    mask: torch.Tensor,
    intrinsics: torch.Tensor,
) -> torch.Tensor:
    """Official pointmap objective: 2 L1 + 1 multiscale L1 + 1 SiLog + 1 intrinsics + 1 shift-invariant L1
    + 2 normal + 4 scale; NaN/Inf -> 0 as for normals."""
    terms = pointmap_terms(pred, pred_scale, gt, gt_scale, mask, intrinsics)
    total = sum(WEIGHTS[name] * value for name, value in terms.items())
    return torch.nan_to_num(total, nan=0.0, posinf=0.0, neginf=0.0)
