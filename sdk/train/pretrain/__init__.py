"""Pretraining: masked reconstruction in pixel space plus self-distilled contrastive learning with an EMA teacher."""

from .model import PretrainModel, PretrainSettings

__all__ = ["PretrainModel", "PretrainSettings"]
