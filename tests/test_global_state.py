"""Importing the SDK leaves the process as it found it: logging, stdout/stderr, warnings filters, torch threads."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import importlib, io, logging, pkgutil, sys, warnings
import torch
state = lambda: (logging.root.level, list(logging.root.handlers), logging.getLogger("coremltools").level,
                 sys.stdout, sys.stderr, list(warnings.filters), torch.get_num_threads())
before = state()
import sapiens2
names = []
for package in ("sapiens2", "sapiens2.compile", "sapiens2.quantize", "sapiens2.targets"):
    names += [info.name for info in pkgutil.walk_packages(importlib.import_module(package).__path__, package + ".")]
for name in names:
    importlib.import_module(name)
after = state()
changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
print(len(names), changed)
"""


def test_importing_every_module_changes_no_process_wide_state() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=600, check=True)
    count, changed = done.stdout.split(maxsplit=1)
    assert int(count) > 100 and changed.strip() == "[]", done.stdout
