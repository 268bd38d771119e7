"""The training config: YAML and TOML files, dotted overrides, and clear errors for typos and bad values."""

from __future__ import annotations

import re

import pytest

from sapiens2.errors import UserError
from sapiens2.train.config import load_config


def test_defaults_are_the_official_hyper_parameters() -> None:
    config = load_config(None)
    assert (config.optim.lr, config.optim.betas, config.optim.weight_decay) == (5e-4, (0.9, 0.999), 0.1)
    assert (config.schedule.warmup_iters, config.schedule.warmup_factor) == (500, 1e-3)
    assert config.loss.heatmap_weight == 10.0 and config.data.heatmap_sigma == 6.0


def test_yaml_and_toml_give_the_same_config(tmp_path) -> None:
    (tmp_path / "a.yaml").write_text("model:\n  arch: sapiens2_1b\n  img_size: [512, 384]\noptim:\n  lr: 1e-4\n  layer_decay: 0.9\n")
    (tmp_path / "a.toml").write_text('[model]\narch = "sapiens2_1b"\nimg_size = [512, 384]\n[optim]\nlr = 1e-4\nlayer_decay = 0.9\n')
    from_yaml, from_toml = load_config(tmp_path / "a.yaml"), load_config(tmp_path / "a.toml")
    assert from_yaml == from_toml
    assert from_yaml.model.img_size == (512, 384) and from_yaml.optim.lr == 1e-4  # YAML reads "1e-4" as a string


def test_overrides_win_over_the_file_and_parse_values(tmp_path) -> None:
    (tmp_path / "a.yaml").write_text("optim:\n  lr: 1.0e-4\n")
    config = load_config(tmp_path / "a.yaml", ["optim.lr=3e-3", "model.arch={embed_dims: 64, num_layers: 2}", "run.ema_decay=0.99"], mode="distill")
    assert config.optim.lr == 3e-3 and config.run.ema_decay == 0.99 and config.mode == "distill"
    assert config.model.arch == {"embed_dims": 64, "num_layers": 2}


def test_in_the_wild_takes_one_glob_pattern_or_a_list_from_a_file_or_an_override(tmp_path) -> None:
    assert load_config(None).data.in_the_wild is None
    (tmp_path / "a.yaml").write_text("data:\n  in_the_wild: ['*_wild.png', 'real_*']\n")
    assert load_config(tmp_path / "a.yaml").data.in_the_wild == ["*_wild.png", "real_*"]
    assert load_config(tmp_path / "a.yaml", ["data.in_the_wild=real_*"]).data.in_the_wild == "real_*"
    assert load_config(None, ['data.in_the_wild="*_wild.png"']).data.in_the_wild == "*_wild.png"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["optim.learning_rate=1"], "unknown key optim.learning_rate in section optim; known keys: betas, clip_grad"),
        (["optimizer.lr=1"], "unknown key optimizer"),
        (["schedule.iters=1.5"], "schedule.iters must be an integer"),
        (["optim.lr=fast"], "optim.lr must be a number"),
        (["optim"], "not of the form section.key=value"),
        (["mode=pretrain-ish"], "mode must be one of"),
        (["run.precision=fp16"], "run.precision must be one of auto, fastest, bf16, fp32, got 'fp16'"),
        (["run.precision=no"], "run.precision must be text, got False"),
        (["data.in_the_wild=*_wild.png"], "the value of override 'data.in_the_wild=*_wild.png' is not valid YAML: quote it"),
    ],
)
def test_mistakes_are_user_errors_that_name_the_key(overrides, message) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        load_config(None, overrides)


def test_a_missing_or_malformed_file_is_a_user_error(tmp_path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    (tmp_path / "bad.toml").write_text("[model\n")
    with pytest.raises(UserError, match="not valid TOML"):
        load_config(tmp_path / "bad.toml")


@pytest.mark.parametrize(
    ("precision", "on_gpu", "flags", "expected"),
    [
        ("auto", False, ["avx512_bf16"], "no"),
        ("auto", True, [], "bf16"),
        ("fastest", False, ["avx2", "avx512_bf16"], "bf16"),
        ("fastest", False, ["amx_bf16"], "bf16"),
        ("fastest", False, ["avx2", "avx512f"], "no"),
        ("fp32", True, ["avx512_bf16"], "no"),
        ("bf16", False, [], "bf16"),
    ],
)
def test_precision_names_map_to_accelerates_modes(monkeypatch, precision, on_gpu, flags, expected) -> None:
    from sapiens2.cpu import has_fast_bf16
    from sapiens2.train import trainer

    monkeypatch.setattr(trainer, "has_fast_bf16", lambda: has_fast_bf16({"flags": " ".join(flags)}))
    assert trainer.accelerate_precision(load_config(None, [f"run.precision={precision}"]).run.precision, on_gpu) == expected
