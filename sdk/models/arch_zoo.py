"""The Sapiens2 size registry: an arch name maps to five numbers, nothing else.

Numbers are the official ones (see docs); GQA placement follows the official rule: the first and last
``MHSA_EARLY`` / ``MHSA_LATE`` blocks use full multi-head attention, the blocks between them use
``num_heads // 2`` key/value heads.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

MHSA_EARLY = 8
MHSA_LATE = 8


@dataclass(frozen=True)
class ArchSpec:
    """The five numbers that define a Sapiens2 encoder."""

    embed_dims: int
    num_layers: int
    num_heads: int
    feedforward_channels: int
    num_tokenizer_layers: int

    @property
    def head_dim(self) -> int:
        return self.embed_dims // self.num_heads

    def kv_heads(self, layer: int) -> int:
        """Key/value heads of encoder block ``layer`` (official MHSA/GQA rule)."""
        if layer < MHSA_EARLY or layer >= self.num_layers - MHSA_LATE:
            return self.num_heads
        return self.num_heads // 2

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


ARCHS: dict[str, ArchSpec] = {
    "sapiens2_0.1b": ArchSpec(768, 12, 12, 3072, 2),
    "sapiens2_0.4b": ArchSpec(1024, 24, 16, 4096, 2),
    "sapiens2_0.8b": ArchSpec(1280, 32, 16, 5120, 3),
    "sapiens2_1b": ArchSpec(1536, 40, 24, 6144, 4),
    "sapiens2_5b": ArchSpec(2432, 56, 32, 9728, 6),
}


def resolve_arch(arch: str | Mapping[str, Any] | ArchSpec) -> ArchSpec:
    """Turn an arch name, a dict of the five numbers or an ``ArchSpec`` into an ``ArchSpec``."""
    if isinstance(arch, ArchSpec):
        return arch
    if isinstance(arch, str):
        key = arch.lower()
        if key not in ARCHS:
            known = ", ".join(ARCHS)
            raise ValueError(f"unknown arch {arch!r}; known archs: {known}, or a dict of the five numbers")
        return ARCHS[key]
    if isinstance(arch, Mapping):
        fields = ("embed_dims", "num_layers", "num_heads", "feedforward_channels", "num_tokenizer_layers")
        missing = [f for f in fields if f not in arch]
        if missing:
            raise ValueError(f"arch dict is missing {missing}; it needs {list(fields)}")
        spec = ArchSpec(*(int(arch[f]) for f in fields))
        if spec.embed_dims % (4 * spec.num_heads):
            raise ValueError(
                f"embed_dims {spec.embed_dims} must be divisible by 4 * num_heads ({4 * spec.num_heads}) for RoPE"
            )
        return spec
    raise TypeError(f"arch must be a name, a dict or an ArchSpec, not {type(arch).__name__}")


def official_name(spec: ArchSpec) -> str | None:
    """The official arch name with exactly these numbers, if there is one."""
    for name, known in ARCHS.items():
        if known == spec:
            return name
    return None
