"""The Sapiens2 encoder, with the official attribute names so official checkpoints load unchanged."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from .arch_zoo import ArchSpec, resolve_arch
from .layers.attention import RMS_EPS
from .layers.attention_modes import AttentionMode
from .layers.block import EncoderBlock
from .layers.patch_embed import PatchEmbed
from .layers.rope import RopePositionEmbedding, rope_dtype_from_name
from .layers.tokenizer import WindowTokenizer

OUT_TYPES = ("raw", "cls_token", "featmap")


def default_global_layers(num_layers: int) -> tuple[int, ...]:
    """Four evenly spaced full-attention layers for windowed mode, the last one included (ViTDet)."""
    step = max(num_layers // 4, 1)
    return tuple(sorted({min(i * step - 1, num_layers - 1) for i in range(1, 5)} | {num_layers - 1}))


class Sapiens2Backbone(nn.Module):
    """Patch embed -> [4K tokenizer] -> [cls, storage] + tokens -> RoPE blocks -> final RMSNorm.

    Keyword names follow the official constructor. Extras: ``attention`` (``sdpa`` | ``tiled`` |
    ``windowed``) with ``attention_tile_size``, ``attention_window`` and ``attention_global_layers``;
    ``tokenizer_chunk_size``; ``gradient_checkpointing``.
    """

    def __init__(
        self,
        arch: str | Mapping[str, Any] | ArchSpec = "sapiens2_1b",
        img_size: int | Sequence[int] = (1024, 768),
        patch_size: int = 16,
        in_channels: int = 3,
        out_indices: int | Sequence[int] = -1,
        drop_rate: float = 0.0,
        window_size: int = 4,
        use_tokenizer: bool = False,
        use_qk_norm: bool = True,
        qkv_bias: bool = True,
        final_norm: bool = True,
        out_type: str = "raw",
        with_cls_token: bool = True,
        layer_scale_init_value: float = 1e-4,
        frozen_stages: int = -1,
        patch_cfg: Mapping[str, Any] | None = None,
        layer_cfgs: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        pos_embed_rope_base: float | None = 100.0,
        pos_embed_rope_min_period: float | None = None,
        pos_embed_rope_max_period: float | None = None,
        pos_embed_rope_normalize_coords: str = "separate",
        pos_embed_rope_shift_coords: float | None = None,
        pos_embed_rope_jitter_coords: float | None = None,
        pos_embed_rope_rescale_coords: float | None = None,
        pos_embed_rope_dtype: str = "bf16",
        n_storage_tokens: int = 8,
        attention: str = "sdpa",
        attention_tile_size: int = 512,
        attention_window: int | Sequence[int] = 16,
        attention_global_layers: Iterable[int] | None = None,
        tokenizer_chunk_size: int | None = None,
        gradient_checkpointing: bool = False,
    ) -> None:
        super().__init__()
        if out_type not in OUT_TYPES:
            raise ValueError(f"out_type must be one of {OUT_TYPES}, got {out_type!r}")
        unknown_patch_keys = set(patch_cfg or {}) - {"padding"}
        if unknown_patch_keys:
            raise ValueError(f"unsupported patch_cfg keys {sorted(unknown_patch_keys)} (only 'padding', ignored)")
        self.arch_spec = spec = resolve_arch(arch)
        self.embed_dims = spec.embed_dims
        self.num_layers = spec.num_layers
        self.img_size = (img_size, img_size) if isinstance(img_size, int) else tuple(img_size)
        self.patch_size = patch_size
        self.out_type = out_type
        self.final_norm = final_norm
        self.with_cls_token = with_cls_token
        self.n_storage_tokens = n_storage_tokens
        self.num_extra_tokens = int(with_cls_token) + n_storage_tokens
        self.frozen_stages = frozen_stages
        indices = [out_indices] if isinstance(out_indices, int) else list(out_indices)
        self.out_indices = sorted(i + spec.num_layers if i < 0 else i for i in indices)
        if any(not 0 <= i < spec.num_layers for i in self.out_indices):
            raise ValueError(f"out_indices {indices} out of range for {spec.num_layers} layers")

        self.patch_embed = PatchEmbed(in_channels, spec.embed_dims, patch_size)
        self.tokenizer = (
            WindowTokenizer(
                spec.embed_dims,
                spec.num_heads,
                spec.feedforward_channels,
                spec.num_tokenizer_layers,
                window_size,
                qkv_bias,
                tokenizer_chunk_size,
            )
            if use_tokenizer
            else None
        )
        self.cls_token = nn.Parameter(torch.zeros(1, 1, spec.embed_dims)) if with_cls_token else None
        self.storage_tokens = nn.Parameter(torch.zeros(1, n_storage_tokens, spec.embed_dims)) if n_storage_tokens else None
        self.drop_after_pos = nn.Dropout(drop_rate)
        self.rope_embed = RopePositionEmbedding(
            spec.embed_dims,
            spec.num_heads,
            base=pos_embed_rope_base,
            min_period=pos_embed_rope_min_period,
            max_period=pos_embed_rope_max_period,
            normalize_coords=pos_embed_rope_normalize_coords,
            shift_coords=pos_embed_rope_shift_coords,
            jitter_coords=pos_embed_rope_jitter_coords,
            rescale_coords=pos_embed_rope_rescale_coords,
            dtype=rope_dtype_from_name(pos_embed_rope_dtype),
        )
        per_layer = self._per_layer_cfgs(layer_cfgs, spec.num_layers)
        self.blocks = nn.Sequential(
            *(
                EncoderBlock(
                    **{
                        "embed_dims": spec.embed_dims,
                        "num_heads": spec.num_heads,
                        "feedforward_channels": spec.feedforward_channels,
                        "num_kv_heads": spec.kv_heads(i),
                        "qkv_bias": qkv_bias,
                        "use_qk_norm": use_qk_norm,
                        "layer_scale_init_value": layer_scale_init_value,
                        **per_layer[i],
                    }
                )
                for i in range(spec.num_layers)
            )
        )
        self.ln1 = nn.RMSNorm(spec.embed_dims, eps=RMS_EPS) if final_norm else nn.Identity()
        self.init_weights()
        self.set_gradient_checkpointing(gradient_checkpointing)
        self.set_attention(attention, attention_tile_size, attention_window, attention_global_layers)
        self._freeze_stages()

    @staticmethod
    def _per_layer_cfgs(layer_cfgs: Any, num_layers: int) -> list[dict[str, Any]]:
        if layer_cfgs is None:
            return [{} for _ in range(num_layers)]
        if isinstance(layer_cfgs, Mapping):
            return [dict(layer_cfgs) for _ in range(num_layers)]
        if len(layer_cfgs) != num_layers:
            raise ValueError(f"layer_cfgs has {len(layer_cfgs)} entries for {num_layers} layers")
        return [dict(cfg) for cfg in layer_cfgs]

    @property
    def norm1(self) -> nn.Module:
        """Official alias of the final norm."""
        return self.ln1

    @property
    def rope_dtype(self) -> torch.dtype:
        return self.rope_embed.dtype

    def init_weights(self) -> None:
        """Official initialisation: trunc-normal(0.02) linears/convs/tokens, zero biases, unit norms."""
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                nn.init.trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        for param in (self.cls_token, self.storage_tokens):
            if param is not None:
                nn.init.trunc_normal_(param, std=0.02)
        if self.tokenizer is not None:
            nn.init.trunc_normal_(self.tokenizer.local_pos_embed, std=0.02)
            nn.init.trunc_normal_(self.tokenizer.w_cls, std=0.02)

    def set_attention(
        self,
        attention: str = "sdpa",
        tile_size: int = 512,
        window: int | Sequence[int] = 16,
        global_layers: Iterable[int] | None = None,
    ) -> None:
        """Switch every encoder block's attention computation without touching the weights.

        In ``windowed`` mode the ``global_layers`` (default: four evenly spaced, the last included)
        keep full attention.
        """
        window_size = (window, window) if isinstance(window, int) else tuple(window)
        windowed = AttentionMode("windowed", tile_size, window_size)
        chosen = AttentionMode(attention, tile_size, window_size)
        if attention == "windowed":
            global_set = set(default_global_layers(self.num_layers) if global_layers is None else global_layers)
            modes = [AttentionMode("sdpa") if i in global_set else windowed for i in range(self.num_layers)]
        else:
            modes = [chosen] * self.num_layers
        for block, mode in zip(self.blocks, modes):
            block.attn.mode = mode
        self.attention = attention

    def set_gradient_checkpointing(self, enabled: bool = True) -> None:
        """Recompute block activations in the backward pass (training memory for compute)."""
        self.gradient_checkpointing = enabled
        if self.tokenizer is not None:
            self.tokenizer.gradient_checkpointing = enabled

    def set_rope_dtype(self, name: str) -> None:
        """``"bf16"`` (official numerics) or ``"fp32"`` (exact); the stored periods are kept."""
        self.rope_embed.set_dtype(rope_dtype_from_name(name))

    def token_grid(self, image_size: Sequence[int]) -> tuple[int, int]:
        """The (rows, cols) token grid the encoder sees for an input of (H, W) pixels."""
        stride = self.patch_size * (self.tokenizer.window_size if self.tokenizer is not None else 1)
        return image_size[0] // stride, image_size[1] // stride

    @torch.no_grad()
    def rope_tables(self, image_size: Sequence[int], dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
        """(sin, cos) exactly as this model computes them for ``image_size``, cast to ``dtype``."""
        sin, cos = self.rope_embed(*self.token_grid(image_size))
        return sin.to(dtype), cos.to(dtype)

    def _freeze_stages(self) -> None:
        if self.frozen_stages <= 0:
            return
        frozen: list[nn.Module | nn.Parameter | None] = [self.patch_embed, self.tokenizer, self.cls_token, self.storage_tokens]
        frozen += list(self.blocks[: self.frozen_stages])
        if self.frozen_stages >= self.num_layers:
            frozen.append(self.ln1)
        for item in frozen:
            if isinstance(item, nn.Parameter):
                item.requires_grad_(False)
            elif isinstance(item, nn.Module):
                item.eval()
                for param in item.parameters():
                    param.requires_grad_(False)

    def train(self, mode: bool = True) -> "Sapiens2Backbone":
        super().train(mode)
        self._freeze_stages()
        return self

    def _prefix_tokens(self, batch: int) -> list[torch.Tensor]:
        return [p.expand(batch, -1, -1) for p in (self.cls_token, self.storage_tokens) if p is not None]

    def _format(self, x: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
        if self.out_type == "raw":
            return x
        if self.out_type == "cls_token":
            return x[:, 0]
        patches = x[:, self.num_extra_tokens :]
        return patches.reshape(x.shape[0], grid[0], grid[1], -1).permute(0, 3, 1, 2)

    def forward(self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None = None) -> tuple[torch.Tensor, ...]:
        """Encode x (B, 3, H, W); ``rope`` = precomputed (sin, cos) for the post-tokenizer grid.

        Export wrappers pass fixed tables (see ``rope_tables``) so that graphs hold constants
        instead of recomputing them each call.
        """
        batch = x.shape[0]
        tokens, grid = self.patch_embed(x)
        if self.tokenizer is not None:
            tokens, grid = self.tokenizer(tokens, grid)
        x = self.drop_after_pos(torch.cat((*self._prefix_tokens(batch), tokens), dim=1))
        if rope is None:
            rope = self.rope_embed(*grid)
        use_checkpoint = self.gradient_checkpointing and self.training and torch.is_grad_enabled()
        outs = []
        for i, block in enumerate(self.blocks):
            if use_checkpoint:
                x = checkpoint(block, x, rope, grid, self.num_extra_tokens, use_reentrant=False)
            else:
                x = block(x, rope, grid, self.num_extra_tokens)
            if i == self.num_layers - 1:
                x = self.ln1(x)
            if i in self.out_indices:
                outs.append(self._format(x, grid))
        return tuple(outs)
