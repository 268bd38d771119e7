"""Sapiens2 SDK: Sapiens2 human-centric vision models from checkpoint to phone, edge box and GPU server."""

__version__ = "0.1.0"
