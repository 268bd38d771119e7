"""2-D rotary position embedding over the patch grid (key ``rope_embed.periods``).

Official numerics (the default, ``dtype=torch.bfloat16``): the periods buffer, the coordinates,
the angles, sin/cos and the rotated q/k are all computed in bfloat16, so q and k are rounded to
bfloat16 once per layer even in an fp32 model. ``dtype=torch.float32`` computes the same
formula exactly; on trained weights the two differ by roughly 1e-3 relative on the features.
"""

from __future__ import annotations

import math

import torch
from torch import nn

NORMALIZE_COORDS = ("separate", "max", "min")


def rope_dtype_from_name(name: str) -> torch.dtype:
    """Official rule: ``"bf16"`` means bfloat16, any other string float32."""
    return torch.bfloat16 if name == "bf16" else torch.float32


class RopePositionEmbedding(nn.Module):
    """Produces (sin, cos) of shape (h*w, head_dim) for a patch grid."""

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        base: float | None = 100.0,
        min_period: float | None = None,
        max_period: float | None = None,
        normalize_coords: str = "separate",
        shift_coords: float | None = None,
        jitter_coords: float | None = None,
        rescale_coords: float | None = None,
        dtype: torch.dtype = torch.bfloat16,
    ) -> None:
        super().__init__()
        if embed_dims % (4 * num_heads):
            raise ValueError(f"embed_dims {embed_dims} must be divisible by 4 * num_heads ({4 * num_heads})")
        if normalize_coords not in NORMALIZE_COORDS:
            raise ValueError(f"normalize_coords must be one of {NORMALIZE_COORDS}, got {normalize_coords!r}")
        if (base is None) == (min_period is None or max_period is None):
            raise ValueError("give either base, or both min_period and max_period")
        self.head_dim = embed_dims // num_heads
        self.base = base
        self.min_period = min_period
        self.max_period = max_period
        self.normalize_coords = normalize_coords
        self.shift_coords = shift_coords
        self.jitter_coords = jitter_coords
        self.rescale_coords = rescale_coords
        self.dtype = dtype
        self.register_buffer("periods", torch.empty(self.head_dim // 4, dtype=dtype), persistent=True)
        self.reset_periods()

    def reset_periods(self) -> None:
        """Compute the periods in ``self.dtype`` arithmetic (bf16-rounded by default, as stored officially)."""
        n = self.head_dim // 4
        if self.base is not None:
            exponents = 2 * torch.arange(n, dtype=self.dtype) / (self.head_dim // 2)
            periods = self.base**exponents
        else:
            ratio = self.max_period / self.min_period
            periods = ratio ** torch.linspace(0, 1, n, dtype=self.dtype) / ratio * self.max_period
        self.periods.data = periods.to(self.dtype)

    def set_dtype(self, dtype: torch.dtype) -> None:
        """Switch the RoPE arithmetic dtype; the stored periods are converted, not recomputed."""
        self.dtype = dtype
        self.periods.data = self.periods.data.to(dtype)

    def _axis_coords(self, size: int, h: int, w: int, device: torch.device) -> torch.Tensor:
        denominator = {"separate": size, "max": max(h, w), "min": min(h, w)}[self.normalize_coords]
        return torch.arange(0.5, size, device=device, dtype=self.dtype) / denominator

    def _augment(self, coords: torch.Tensor) -> torch.Tensor:
        """Training-only coordinate augmentations (shift, per-axis jitter, global rescale)."""
        if self.shift_coords is not None:
            shift = torch.empty(2, device=coords.device, dtype=self.dtype).uniform_(-self.shift_coords, self.shift_coords)
            coords = coords + shift[None, :]
        if self.jitter_coords is not None:
            log_jitter = math.log(self.jitter_coords)
            jitter = torch.empty(2, device=coords.device).uniform_(-log_jitter, log_jitter).exp().to(self.dtype)
            coords = coords * jitter[None, :]
        if self.rescale_coords is not None:
            log_rescale = math.log(self.rescale_coords)
            rescale = torch.empty(1, device=coords.device).uniform_(-log_rescale, log_rescale).exp().to(self.dtype)
            coords = coords * rescale
        return coords

    def forward(self, h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
        device = self.periods.device
        coords_y = self._axis_coords(h, h, w, device)
        coords_x = self._axis_coords(w, h, w, device)
        coords = torch.stack(torch.meshgrid(coords_y, coords_x, indexing="ij"), dim=-1).flatten(0, 1)
        coords = 2.0 * coords - 1.0
        if self.training:
            coords = self._augment(coords)
        # Cast back in case the module was cast (``.float()``/``.half()``): the RoPE arithmetic stays in
        # ``self.dtype`` whatever happened to the buffer (the bf16 -> fp32/fp16 -> bf16 trip is lossless).
        periods = self.periods.to(self.dtype)
        angles = 2 * math.pi * coords[:, :, None] / periods[None, None, :]
        angles = angles.flatten(1, 2).tile(2)
        return torch.sin(angles), torch.cos(angles)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """[x1, x2] -> [-x2, x1] over the halves of the last axis (slices keep exports delegate-friendly)."""
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rope(x: torch.Tensor, sin: torch.Tensor, cos: torch.Tensor, num_prefix: int) -> torch.Tensor:
    """Rotate the patch tokens of x (B, heads, N, hd) in the RoPE dtype; prefix tokens pass unrotated.

    As in the official model, every token (prefix included) is cast to the RoPE dtype and back,
    which is what rounds q and k to bfloat16 in the default numerics.
    """
    original_dtype = x.dtype
    x = x.to(sin.dtype)
    prefix, patches = x[:, :, :num_prefix], x[:, :, num_prefix:]
    patches = patches * cos + rotate_half(patches) * sin
    return torch.cat((prefix, patches), dim=-2).to(original_dtype)
