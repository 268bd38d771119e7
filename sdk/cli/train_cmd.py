"""``sapiens2 train finetune|distill|pretrain --config FILE``: the training recipes of ``sapiens2.train``.

Settings come from the YAML/TOML config, then from ``--set section.key=value`` overrides; the run
resumes from ``<out_dir>/state`` when it exists. For several processes or GPUs, start the same
command with ``accelerate launch -m sapiens2.cli.main train ...`` (or ``torchrun``).
"""

from __future__ import annotations

import argparse

MODES = {
    "finetune": "fine-tune a task model on labelled data (COCO keypoints, seg folders, arrays)",
    "distill": "distil a teacher (a checkpoint, or pseudo-labels from `sapiens2 label`) into a student",
    "pretrain": "pretrain a backbone on unlabelled images: masked reconstruction + contrastive with an EMA teacher",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="fine-tune, distil or pretrain a model from a config file")
    modes = parser.add_subparsers(dest="mode", metavar="MODE", required=True)
    for mode, text in MODES.items():
        sub = modes.add_parser(mode, help=text)
        sub.add_argument("--config", "-c", help="YAML or TOML config (sections model, data, optim, schedule, loss, distill, pretrain, run)")
        sub.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help="override a setting, e.g. --set optim.lr=1e-4 (repeatable)")
        sub.add_argument("--out", help="output folder (same as --set run.out_dir=...)")
        sub.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sapiens2.train.config import load_config
    from sapiens2.train.trainer import Trainer

    overrides = list(args.overrides) + ([f"run.out_dir={args.out}"] if args.out else [])
    config = load_config(args.config, overrides, mode=args.mode)
    result = Trainer(config).fit()
    metric = f", val {result.metric_name} {result.metric:.4f}" if result.metric is not None else ""
    print(f"model: {result.model_file} ({result.steps} steps in {result.seconds:.0f} s{metric})")
    return 0
