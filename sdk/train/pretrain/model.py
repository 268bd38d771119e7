"""The pretraining model: a backbone trained by masked pixel reconstruction and by matching an EMA teacher.

One forward on the two masked global views feeds both objectives (the reconstruction of the masked
patches and the student side of the contrastive loss); the local views add student outputs; the
teacher (an EMA copy of backbone + projection head) sees the unmasked global views.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from .dino import ProjectionHead, dino_loss
from .masking import PatchMasker, random_patch_mask
from .pixel_decoder import PixelShuffleDecoder, masked_reconstruction_loss


@dataclass
class PretrainSettings:
    mask_ratio: float = 0.5
    reconstruction_weight: float = 1.0
    contrastive_weight: float = 1.0
    teacher_momentum: float = 0.996
    center_momentum: float = 0.9
    prototypes: int = 1024


class PretrainModel(nn.Module):
    """``backbone`` (featmap output) + mask token + pixel decoder + projection head, and the EMA teacher."""

    def __init__(self, backbone: nn.Module, settings: PretrainSettings) -> None:
        super().__init__()
        self.settings = settings
        self.backbone = backbone
        self.mask_token = nn.Parameter(torch.zeros(1, 1, backbone.embed_dims))
        nn.init.trunc_normal_(self.mask_token, std=0.02)
        self.decoder = PixelShuffleDecoder(backbone.embed_dims, backbone.patch_size)
        self.head = ProjectionHead(backbone.embed_dims, prototypes=settings.prototypes)
        self.teacher_backbone = copy.deepcopy(backbone).requires_grad_(False)
        self.teacher_head = copy.deepcopy(self.head).requires_grad_(False)
        self.register_buffer("center", torch.zeros(1, settings.prototypes))
        self._masker = PatchMasker(backbone.patch_embed, self.mask_token)

    def embed(self, backbone: nn.Module, head: nn.Module, images: torch.Tensor) -> torch.Tensor:
        """Projection logits of the mean-pooled feature map."""
        return head(backbone(images)[0].mean((2, 3)))

    def forward(self, views: torch.Tensor, local_views: torch.Tensor | None = None) -> torch.Tensor:
        """``views`` (B, 2, 3, H, W) globals, ``local_views`` (B, L, 3, h, w); returns the weighted total loss."""
        batch = views.shape[0]
        images = views.flatten(0, 1)
        grid = (images.shape[2] // self.backbone.patch_size, images.shape[3] // self.backbone.patch_size)
        mask = random_patch_mask(len(images), grid[0] * grid[1], self.settings.mask_ratio, device=images.device)
        reconstruction, features = self.reconstruct(images, mask)
        total = self.settings.reconstruction_weight * reconstruction
        if self.settings.contrastive_weight:
            student = list(self.head(features.mean((2, 3))).view(batch, 2, -1).unbind(1))
            if local_views is not None:
                local = self.embed(self.backbone, self.head, local_views.flatten(0, 1))
                student += list(local.view(batch, local_views.shape[1], -1).unbind(1))
            with torch.no_grad():
                teacher = self.embed(self.teacher_backbone, self.teacher_head, images).view(batch, 2, -1)
            total = total + self.settings.contrastive_weight * dino_loss(student, list(teacher.unbind(1)), self.center)
            with torch.no_grad():
                momentum = self.settings.center_momentum
                self.center.mul_(momentum).add_((1 - momentum) * teacher.flatten(0, 1).mean(0, keepdim=True))
        return total

    def reconstruct(self, images: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(masked reconstruction loss, feature map of the masked pass)."""
        self._masker.mask = mask
        try:
            features = self.backbone(images)[0]
        finally:
            self._masker.mask = None
        pred = self.decoder(features)
        return masked_reconstruction_loss(pred, images, mask.float(), self.backbone.patch_size), features

    @torch.no_grad()
    def update_teacher(self) -> None:
        """teacher <- m * teacher + (1 - m) * student, for the backbone and the projection head."""
        momentum = self.settings.teacher_momentum
        for student, teacher in ((self.backbone, self.teacher_backbone), (self.head, self.teacher_head)):
            for s, t in zip(student.parameters(), teacher.parameters()):
                t.mul_(momentum).add_(s.detach(), alpha=1 - momentum)
