"""The typed training config: dataclasses filled from YAML or TOML, then from ``section.key=value`` overrides.

Every official hyper-parameter (official-facts §5.2-5.3) lives here with its official default, so a
recipe is one file plus a few command-line overrides, and a typo in either is a ``UserError`` that
names the known keys instead of a silently ignored setting.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence, get_type_hints

import yaml

from sapiens2.errors import UserError

MODES = ("finetune", "distill", "pretrain")
# auto: bf16 autocast on CUDA, fp32 on CPU; fastest: bf16 wherever the hardware computes it natively (CUDA, or a
# CPU with AVX512-BF16 or AMX: 1.65x the fp32 step rate of the tiny demo student on one Zen 4 core), else fp32.
PRECISIONS = ("auto", "fastest", "bf16", "fp32")


class ConfigError(UserError):
    """A config file or override the trainer cannot use; the message names the key and what is allowed."""


@dataclass
class ModelConfig:
    """What to train: the task, the encoder size (a zoo name or the five numbers) and its options."""

    task: str = "pose"
    arch: Any = "sapiens2_0.4b"
    img_size: tuple[int, int] = (1024, 768)
    head: dict[str, Any] | None = None
    init_from: str | None = None
    attention: str = "sdpa"
    attention_window: int = 16
    gradient_checkpointing: bool = False
    pos_embed_rope_dtype: str = "bf16"


@dataclass
class DataConfig:
    """Where the samples are and how they are read; ``format`` picks the dataset reader."""

    train: str | list[str] = ""  # several COCO files of one keypoint set may be listed
    val: str | list[str] | None = None
    format: str = "coco"
    images: str | None = None
    val_images: str | None = None
    classes: list[str] | None = None
    batch_size: int = 6
    workers: int = 0
    augment: bool = True
    # The official RandomBBoxTransform of pose crops: shift 0.16 x box (p 0.3), scale 1 +- 0.5,
    # rotation +-80 degrees (p 0.6); smaller amounts suit tiny students.
    shift_factor: float = 0.16
    scale_factor: float = 0.5
    rotate_factor: float = 80.0
    # Pose, not official: how often a crop is a close-up of head and shoulders (pose_geometry.closeup_box).
    closeup_prob: float = 0.0
    heatmap_sigma: float = 6.0
    # Pictures to paste people onto. Pose: each person by its `sapiens2 label --masks` mask, p background_prob;
    # seg: the labelled foreground (the official background replacement, p 0.8).
    backgrounds: str | None = None
    background_prob: float = 0.5
    # Seg: glob patterns (one or a list) of image file names in images/ that are in-the-wild photographs; the
    # official replacement skips them, since their backgrounds are already real (only studio/synthetic ones change).
    in_the_wild: str | list[str] | None = None


@dataclass
class OptimConfig:
    """AdamW with the official weight-decay and layer-wise lr decay rules (§5.2)."""

    lr: float = 5e-4
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.1
    layer_decay: float = 0.8
    clip_grad: float = 2.0


@dataclass
class ScheduleConfig:
    """Iteration schedule: linear warm-up from ``warmup_factor`` then linear decay to zero (§5.2)."""

    iters: int = 10000
    warmup_iters: int = 500
    warmup_factor: float = 1e-3


@dataclass
class LossConfig:
    """Loss weights; ``coord_weight`` adds a soft-argmax keypoint L1 (needed when distilling pose)."""

    heatmap_weight: float = 10.0
    coord_weight: float = 0.0
    coord_temperature: float = 30.0
    # Pose, not official: heatmap-loss weight of labelled keypoints the crop cut off, against an empty
    # heatmap, so that the model scores a keypoint outside the picture low instead of placing it anyway.
    cut_off_weight: float = 0.0
    seg_weight: float = 1.0  # multitask: weight of the segmentation loss beside the pose loss


@dataclass
class DistillConfig:
    """Teacher for output/feature distillation (``distill`` mode with a checkpoint teacher)."""

    teacher: str | None = None
    output_weight: float = 1.0
    feature_weight: float = 0.0
    feature_layers: list[int] = field(default_factory=list)


@dataclass
class PretrainConfig:
    """Masked reconstruction + self-distilled contrastive learning (the paper's recipe; no official code)."""

    mask_ratio: float = 0.5
    reconstruction_weight: float = 1.0
    contrastive_weight: float = 1.0
    teacher_momentum: float = 0.996
    local_crops: int = 4


@dataclass
class RunConfig:
    """Bookkeeping: output folder, seed, how often to log, validate and save, precision, EMA."""

    out_dir: str = "runs/train"
    seed: int = 0
    log_every: int = 10
    val_every: int = 1000
    save_every: int = 1000
    precision: str = "auto"  # auto, fastest, bf16 or fp32 (PRECISIONS)
    ema_decay: float | None = None
    resume: bool = True
    threads: int | None = None  # torch CPU threads; 1 is much faster than 2 on a crowded 2-core machine
    fsdp: bool = False  # shard the model over the launched processes with FSDP2 (sapiens2.train.sharding)


@dataclass
class TrainConfig:
    """One training run."""

    mode: str = "finetune"
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    distill: DistillConfig = field(default_factory=DistillConfig)
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def load_config(path: str | Path | None, overrides: Sequence[str] = (), mode: str | None = None) -> TrainConfig:
    """Read ``path`` (``.yaml``/``.yml``/``.toml``), apply ``key.sub=value`` overrides (values parsed as YAML)."""
    raw = read_config_file(Path(path)) if path else {}
    for override in overrides:
        key, sep, value = override.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {override!r} is not of the form section.key=value (e.g. optim.lr=1e-4)")
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            # YAML reads a leading * as an alias, & as an anchor: a glob pattern like *_wild.png needs quotes.
            raise ConfigError(f"the value of override {override!r} is not valid YAML: quote it, e.g. '{key}=\"{value}\"'") from None
        _set_dotted(raw, key.strip().split("."), parsed)
    if mode is not None:
        raw["mode"] = mode
    config = _build(TrainConfig, raw, "")
    if config.mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}, got {config.mode!r}")
    if config.run.precision not in PRECISIONS:
        raise ConfigError(f"run.precision must be one of {', '.join(PRECISIONS)}, got {config.run.precision!r}")
    return config


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        raise ConfigError(f"{path} is not valid {'TOML' if path.suffix == '.toml' else 'YAML'}: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of sections (model, data, optim, ...), not {type(data).__name__}")
    return data


def _set_dotted(target: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        target = target.setdefault(key, {})
        if not isinstance(target, dict):
            raise ConfigError(f"cannot set {'.'.join(keys)}: {key} is not a section")
    target[keys[-1]] = value


def _build(cls: type, raw: Mapping[str, Any], prefix: str) -> Any:
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - names)
    if unknown:
        where = f"section {prefix.rstrip('.')}" if prefix else "the top level"
        raise ConfigError(f"unknown key {prefix}{unknown[0]} in {where}; known keys: {', '.join(sorted(names))}")
    values = {}
    for name, value in raw.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{prefix}{name} must be a section (a mapping), got {value!r}")
            values[name] = _build(hint, value, f"{prefix}{name}.")
        else:
            values[name] = _coerce(value, hint, f"{prefix}{name}")
    return cls(**values)


def _coerce(value: Any, hint: Any, key: str) -> Any:
    """Tuples from lists, floats from ints and YAML's ``1e-4`` strings; a clear error for the rest."""
    text = str(hint)
    if value is None:
        if "None" in text:
            return None
        raise ConfigError(f"{key} cannot be empty")
    if text.startswith("tuple"):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key} must be a list, got {value!r}")
        return tuple(_scalar(v, "float" in text, key) for v in value)
    if hint is float or text.startswith("float"):
        return _scalar(value, True, key)
    if hint is int or text.startswith("int"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise ConfigError(f"{key} must be an integer, got {value!r}")
        return int(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}")
        return value
    if hint is str and not isinstance(value, str):
        # YAML reads no/off/yes/on as booleans and 1e3 as a number: the user meant the word.
        raise ConfigError(f"{key} must be text, got {value!r} (quote it, e.g. {key}='{value}')")
    return value


def _scalar(value: Any, as_float: bool, key: str) -> Any:
    try:
        return float(value) if as_float else int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number, got {value!r}") from None
