"""Sapiens2 models: the encoder, the task heads and their builders."""

from .arch_zoo import ARCHS, ArchSpec, official_name, resolve_arch
from .backbone import Sapiens2Backbone
from .build import build_backbone, build_task_model
from .heads.presets import TASKS, head_preset
from .layers.attention_modes import ATTENTION_KINDS, AttentionMode
from .multitask_model import MULTITASK, Sapiens2MultiTaskModel
from .task_model import Sapiens2TaskModel

__all__ = [
    "ARCHS",
    "ATTENTION_KINDS",
    "MULTITASK",
    "TASKS",
    "ArchSpec",
    "AttentionMode",
    "Sapiens2Backbone",
    "Sapiens2MultiTaskModel",
    "Sapiens2TaskModel",
    "build_backbone",
    "build_task_model",
    "head_preset",
    "official_name",
    "resolve_arch",
]
