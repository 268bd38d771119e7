"""Head configuration: the official head config keys, validated once."""

from __future__ import annotations

from typing import Any, Mapping

# Keys of official head configs that describe training or bookkeeping, not modules.
IGNORED_HEAD_KEYS = frozenset({"type", "loss_decode", "decoder", "init_cfg", "channels", "align_corners", "dropout_ratio"})


def head_kwargs(head_cls: type, config: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the non-module keys and reject unknown ones with the list of accepted keys."""
    accepted = head_cls.CONFIG_KEYS
    kwargs = {k: v for k, v in config.items() if k not in IGNORED_HEAD_KEYS}
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise ValueError(f"{head_cls.__name__} does not take {unknown}; it takes {sorted(accepted)}")
    return kwargs
