"""Sapiens2 SDK: Sapiens2 human-centric vision models from checkpoint to phone, edge box and GPU server."""

__version__ = "0.1.0"

from .api import load
from .predictor import Predictor

__all__ = ["Predictor", "__version__", "load"]
