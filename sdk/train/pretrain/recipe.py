"""The pretraining recipe for the task-neutral trainer: multi-crop data, the pretraining model, its metric.

Validation is the masked reconstruction loss on held-out images with a fixed mask (lower is better);
the checkpoint is the bare backbone, unprefixed, as the released ``*_pretrain.safetensors`` files.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from sapiens2.models import build_backbone

from ..data.multicrop import MultiCropDataset
from ..model_setup import initialise_from
from ..task_recipes import TaskRecipe
from .masking import random_patch_mask
from .model import PretrainModel, PretrainSettings

VALIDATION_MASK_SEED = 0


class PretrainRecipe(TaskRecipe):
    metric_name = "held-out reconstruction loss"
    higher_is_better = False

    def dataset(self, path: str, images: str | None, augment: bool) -> MultiCropDataset:
        return MultiCropDataset(path, self.input_size, self.config.pretrain.local_crops, augment, self.config.run.seed)

    def build_model(self, dataset: MultiCropDataset) -> PretrainModel:
        model_config, settings = self.config.model, self.config.pretrain
        backbone = build_backbone(
            model_config.arch,
            img_size=model_config.img_size,
            out_type="featmap",
            attention=model_config.attention,
            attention_window=model_config.attention_window,
            gradient_checkpointing=model_config.gradient_checkpointing,
            pos_embed_rope_dtype=model_config.pos_embed_rope_dtype,
        )
        model = PretrainModel(
            backbone,
            PretrainSettings(settings.mask_ratio, settings.reconstruction_weight, settings.contrastive_weight, settings.teacher_momentum),
        )
        if model_config.init_from:
            self.init_report = initialise_from(model, model_config.init_from)
            model.teacher_backbone.load_state_dict(model.backbone.state_dict())
        return model

    def forward_loss(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return model(batch["image"], batch.get("locals"))

    def after_step(self, model: PretrainModel) -> None:
        model.update_teacher()

    def evaluate(self, model: PretrainModel, batches: Iterable[dict[str, torch.Tensor]]) -> float:
        generator = torch.Generator().manual_seed(VALIDATION_MASK_SEED)
        total = count = 0.0
        for batch in batches:
            images = batch["image"]
            tokens = (images.shape[2] // model.backbone.patch_size) * (images.shape[3] // model.backbone.patch_size)
            mask = random_patch_mask(len(images), tokens, model.settings.mask_ratio, generator, images.device)
            loss, _ = model.reconstruct(images, mask)
            total, count = total + float(loss) * len(images), count + len(images)
        return total / max(count, 1)

    def checkpoint_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {k.removeprefix("backbone."): v for k, v in state.items() if k.startswith("backbone.")}
