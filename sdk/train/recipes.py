"""Which recipe a config asks for: a task (pose, seg, normal, pointmap, albedo, multitask) or pretraining."""

from __future__ import annotations

from sapiens2.errors import UserError

from .config import TrainConfig
from .multitask_recipe import MultiTaskRecipe
from .pointmap_recipe import PointmapRecipe
from .pretrain.recipe import PretrainRecipe
from .task_recipes import FORMATS, DenseRecipe, PoseRecipe, SegRecipe, TaskRecipe


def recipe_for(config: TrainConfig) -> TaskRecipe:
    """The recipe of ``config``; a task or data format the trainer cannot use is a ``UserError``."""
    if config.mode == "pretrain":
        return PretrainRecipe(config)
    task = config.model.task
    if task not in FORMATS:
        raise UserError(f"training supports the tasks {', '.join(FORMATS)}, not {task!r}")
    if config.data.format not in FORMATS[task]:
        raise UserError(f"data.format {config.data.format!r} does not fit task {task}; use {' or '.join(FORMATS[task])}")
    recipes = {"pose": PoseRecipe, "seg": SegRecipe, "multitask": MultiTaskRecipe, "pointmap": PointmapRecipe}
    return recipes.get(task, DenseRecipe)(config)
