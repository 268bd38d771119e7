"""The iteration-based training loop on HF Accelerate: one process on CPU or GPU, DDP/FSDP2 when launched so.

Per step, as the official runner: forward -> loss -> backward -> L2 gradient clipping -> AdamW ->
scheduler (once per iteration whatever the world size) -> zero_grad, then EMA, logging, validation
and checkpoints. bf16 autocast on CUDA; fp32 on CPU.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

with warnings.catch_warnings():  # accelerate's import adds a process-wide warnings filter: keep it to this block
    from accelerate import Accelerator
    from accelerate.utils import set_seed
from tqdm import tqdm

from sapiens2.checkpoints import load_model
from sapiens2.cpu import has_fast_bf16
from sapiens2.errors import UserError

from . import distill as kd
from .checkpointing import Progress, has_training_state, save_model_file, save_training_state
from .config import TrainConfig
from .ema import ema_of
from .model_setup import describe
from .optim import build_optimizer, build_scheduler
from .stream import EpochStream, PositionSampler
from .recipes import recipe_for
from .sharding import fsdp2_plugin, shard_on_cpu_too


@dataclass
class TrainResult:
    out_dir: Path
    model_file: Path
    steps: int
    seconds: float
    metric_name: str
    metric: float | None


def accelerate_precision(precision: str, on_gpu: bool) -> str:
    """Accelerate's ``mixed_precision`` for ``run.precision`` (see ``config.PRECISIONS``)."""
    if precision == "fastest":
        return "bf16" if on_gpu or has_fast_bf16() else "no"
    if precision == "auto":
        return "bf16" if on_gpu else "no"
    return "no" if precision == "fp32" else precision


class Trainer:
    """Builds data, model, optimiser and state from a ``TrainConfig``; ``fit()`` runs to ``schedule.iters``."""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.out_dir = Path(config.run.out_dir)
        if config.run.threads:
            torch.set_num_threads(config.run.threads)
        on_gpu = torch.cuda.is_available()
        precision = accelerate_precision(config.run.precision, on_gpu)
        if config.run.fsdp and (config.run.ema_decay or config.mode == "pretrain"):
            raise UserError(
                "run.fsdp shards the model but EMA weights and the pretraining teacher are kept whole: "
                "turn off run.ema_decay (pretraining runs without run.fsdp)"
            )
        plugin = fsdp2_plugin() if config.run.fsdp else None
        # cpu=True is what makes Accelerate treat a torchrun launch without GPUs as gloo multi-process.
        self.accelerator = Accelerator(
            cpu=not on_gpu,
            mixed_precision=precision,
            log_with="tensorboard",
            project_dir=str(self.out_dir),
            fsdp_plugin=plugin,
        )
        if plugin is not None:
            shard_on_cpu_too(self.accelerator, plugin)
        set_seed(config.run.seed)  # the same initial weights on every rank (FSDP shards each rank's own copy)
        self.recipe = recipe_for(config)
        data = config.data
        if not data.train:
            raise UserError("data.train is empty: give the training dataset (e.g. --set data.train=path/annotations.json)")
        self.train_set = self.recipe.dataset(data.train, data.images, data.augment)
        self.val_set = self.recipe.dataset(data.val, data.val_images, False) if data.val else None
        student = self.recipe.build_model(self.train_set)
        report = getattr(self.recipe, "init_report", None)
        if report is not None:
            self._say(f"initialised from {config.model.init_from}: {len(report['fresh'])} tensors fresh, {len(report['skipped'])} skipped")
        self.student = student
        self.teacher = self._teacher(student)
        trained: torch.nn.Module = student
        if self.teacher is not None:
            trained = kd.DistillationModel(student, self.teacher.model, config.distill.feature_layers)
        optim = config.optim
        optimizer = build_optimizer(trained, student.backbone.num_layers, optim.lr, optim.betas, optim.weight_decay, optim.layer_decay)
        self.scheduler = build_scheduler(optimizer, config.schedule.iters, config.schedule.warmup_iters, config.schedule.warmup_factor)
        self.ema = ema_of(student, config.run.ema_decay) if config.run.ema_decay else None
        self.model, self.optimizer = self.accelerator.prepare(trained, optimizer)
        set_seed(config.run.seed + self.accelerator.process_index)
        self.progress = Progress()
        for stateful in (self.scheduler, self.progress, self.ema):
            if stateful is not None:
                self.accelerator.register_for_checkpointing(stateful)
        if config.run.resume and has_training_state(self.out_dir):
            self.accelerator.load_state(str(self.out_dir / "state"))
            self._say(f"resumed from {self.out_dir / 'state'} at step {self.progress.step}")

    def fit(self) -> TrainResult:
        config, accelerator = self.config, self.accelerator
        self.out_dir.mkdir(parents=True, exist_ok=True)
        accelerator.init_trackers("tb", config={k: str(v) for k, v in _flat(config.to_dict()).items()})
        what = config.mode if config.mode == "pretrain" else f"{config.mode} {config.model.task}"
        self._say(f"{what}: {json.dumps(describe(self.student))}, {len(self.train_set)} training samples")
        if self.val_set is not None and self.progress.step == 0:
            baseline = self.recipe.baseline(self.train_set, self.val_set)
            if baseline is not None:
                self._say(f"baseline val {self.recipe.metric_name}: {baseline:.4f} ({self.recipe.baseline_name})")
                accelerator.log({f"val/baseline {self.recipe.metric_name}": baseline}, step=0)
            self._say(f"step 0: {self._validation_report(0)[1]}")
        batches = self._batches(self.progress.step)
        started, metric = time.monotonic(), None
        bar = tqdm(total=config.schedule.iters, initial=self.progress.step, disable=not accelerator.is_main_process, unit="step")
        window_start, window_images = time.monotonic(), 0
        while self.progress.step < config.schedule.iters:
            batch = next(batches)
            loss = self._step(batch)
            self.progress.step += 1
            step = self.progress.step
            window_images += len(batch["image"]) * accelerator.num_processes
            bar.update()
            if step % config.run.log_every == 0 or step == config.schedule.iters:
                rate = window_images / max(time.monotonic() - window_start, 1e-9)
                bar.set_postfix(loss=f"{loss:.4f}", img_s=f"{rate:.1f}", lr=f"{self.scheduler.get_last_lr()[-1]:.2e}")
                accelerator.log({"train/loss": loss, "train/images_per_s": rate, "train/lr": self.scheduler.get_last_lr()[-1]}, step=step)
                window_start, window_images = time.monotonic(), 0
            if self.val_set is not None and (step % config.run.val_every == 0 or step == config.schedule.iters):
                metric, report = self._validation_report(step)
                bar.write(f"step {step}: {report}")
            if step % config.run.save_every == 0 and step < config.schedule.iters:
                save_training_state(accelerator, self.out_dir)
        bar.close()
        save_training_state(accelerator, self.out_dir)
        model_file = self._save_model()
        accelerator.end_training()
        return TrainResult(self.out_dir, model_file, self.progress.step, time.monotonic() - started, self.recipe.metric_name, metric)

    def validate(self) -> float:
        """The task metric on the validation set (EMA weights when EMA is on)."""
        model = self.ema.module if self.ema is not None else self.student
        was_training = model.training
        model.eval()
        loader = DataLoader(self.val_set, batch_size=self.config.data.batch_size, num_workers=self.config.data.workers)
        with torch.no_grad(), self.accelerator.autocast():
            value = self.recipe.evaluate(model, (self._to_device(b) for b in loader))
        model.train(was_training)
        return value

    def _validation_report(self, step: int) -> tuple[float, str]:
        """Validate, log every metric (the task's, any secondary one, the feature cosine of a feature
        distillation) and say them in one line."""
        metric = self.validate()
        values = {self.recipe.metric_name: metric} | self.recipe.secondary_metrics
        if self._distils_features():
            values["feature cosine"] = self.feature_cosine()  # to the teacher
        self.accelerator.log({f"val/{name}": value for name, value in values.items()}, step=step)
        return metric, ", ".join(f"val {name} {value:.4f}" for name, value in values.items())

    def feature_cosine(self) -> float:
        """Mean token cosine of the student's tapped blocks (projected) to the teacher's, on the validation set.

        What a feature distillation (the windowed-attention retrofit above all) is for: how close the
        student's function is to its teacher's on images it did not train on.
        """
        model = self.accelerator.unwrap_model(self.model)
        was_training = model.training
        model.eval()
        total = count = 0.0
        loader = DataLoader(self.val_set, batch_size=self.config.data.batch_size, num_workers=self.config.data.workers)
        with torch.no_grad(), self.accelerator.autocast():
            for batch in loader:
                images = batch["image"].to(self.accelerator.device)
                _, features = model(images)
                _, targets = self.teacher(images)
                total += (1 - float(kd.feature_distillation(features, targets))) * len(images)
                count += len(images)
        model.train(was_training)
        return total / max(count, 1)

    def _distils_features(self) -> bool:
        return self.teacher is not None and bool(self.config.distill.feature_layers)

    def _step(self, batch: dict[str, torch.Tensor]) -> float:
        config = self.config
        self.model.train()
        with self.accelerator.autocast():
            if self.teacher is None:
                loss = self.recipe.forward_loss(self.model, batch)
            else:
                outputs, features = self.model(batch["image"])
                teacher_outputs, teacher_features = self.teacher(batch["image"])
                loss = batch["image"].new_zeros(())
                if config.distill.output_weight:
                    loss = loss + config.distill.output_weight * kd.output_distillation(config.model.task, outputs, teacher_outputs)
                if features:
                    loss = loss + config.distill.feature_weight * kd.feature_distillation(features, teacher_features)
        self.accelerator.backward(loss)
        if config.optim.clip_grad:
            self.accelerator.clip_grad_norm_(self.model.parameters(), config.optim.clip_grad)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.recipe.after_step(self.student)
        if self.ema is not None:
            self.ema.update_parameters(self.student)
        return float(loss.detach())

    def _batches(self, step: int) -> Iterator[dict[str, torch.Tensor]]:
        """The sample stream from position step * global batch, this rank's share."""
        batch, world = self.config.data.batch_size, self.accelerator.num_processes
        sampler = PositionSampler(step * batch * world, self.accelerator.process_index, world)
        stream = EpochStream(self.train_set, self.config.run.seed)
        loader = DataLoader(stream, batch_size=batch, sampler=sampler, num_workers=self.config.data.workers, drop_last=True)
        return (self._to_device(b) for b in loader)

    def _to_device(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {k: v.to(self.accelerator.device, non_blocking=True) for k, v in batch.items()}

    def _teacher(self, student: torch.nn.Module) -> kd.Teacher | None:
        config = self.config.distill
        if self.config.mode != "distill" or not config.teacher:
            return None
        teacher = load_model(config.teacher, expect="task", img_size=self.config.model.img_size)
        if teacher.task != student.task:
            raise UserError(f"the teacher {config.teacher} is a {teacher.task} model but the student is {student.task}")
        if not config.feature_layers and config.feature_weight:
            raise UserError("distill.feature_weight needs distill.feature_layers (student block indices, e.g. [-1])")
        depth_s, depth_t = student.backbone.num_layers, teacher.backbone.num_layers
        layers = [kd.matching_layer(i % depth_s, depth_s, depth_t) for i in config.feature_layers]
        return kd.Teacher(teacher.to(self.accelerator.device), layers)

    def _save_model(self) -> Path:
        state = self.accelerator.get_state_dict(self.model)
        if self.teacher is not None:
            state = {k.removeprefix("student."): v for k, v in state.items() if k.startswith("student.")}
        if self.ema is not None:
            state = self.ema.module.state_dict()
        state = self.recipe.checkpoint_state(state)
        metadata = {
            "task": self.config.model.task if self.config.mode != "pretrain" else "backbone",
            "arch": self.config.model.arch,
            "img_size": list(self.config.model.img_size),
            "mode": self.config.mode,
            "steps": self.progress.step,
            "data": self.config.data.train,
        }
        keypoint_set = getattr(self.train_set, "keypoint_set", None)
        if keypoint_set is not None:
            metadata["keypoints"] = keypoint_set.to_json()
        classes = getattr(self.train_set, "classes", None)
        if classes is not None:
            metadata["classes"] = {"names": list(classes)}
        if self.config.distill.teacher:
            metadata["teacher"] = self.config.distill.teacher
        path = self.out_dir / "model.safetensors"
        if self.accelerator.is_main_process:
            save_model_file(state, self.out_dir, metadata)
        self.accelerator.wait_for_everyone()
        return path

    def _say(self, message: str) -> None:
        if self.accelerator.is_main_process:
            tqdm.write(message)


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat |= _flat(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat
