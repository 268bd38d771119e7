"""Compile one bundle in a child process, so that a crashing exporter fails one row, not the benchmark.

Exporters and quantizers are native code: a segfault or bus error inside one kills its process,
which no ``except`` can catch. In a child (``spawn``: a fresh interpreter, no inherited threads)
it becomes a failed row. The child also takes the compile's memory with it when it exits, so the
benchmark's resident memory, against which rows' added memory is measured, stays that of the
runtimes alone. Stage names travel back for the progress bar; errors come back by kind.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
from pathlib import Path

from sapiens2.compile import CompileOptions, FidelityGateError, compile_bundle
from sapiens2.compile.pipeline import Progress
from sapiens2.errors import UserError
from sapiens2.noise import silence_import_noise

from .weights import Weights

POLL_S = 1.0


class CompileFailed(RuntimeError):
    """The compile ran but did not produce a bundle (fidelity gate, exporter error or crash); the message says why."""


def compile_in_child(weights: Weights, options: CompileOptions, out: Path, progress: Progress | None = None) -> None:
    """``compile_bundle`` into ``out`` in a child process; ``UserError`` for refused options, else ``CompileFailed``."""
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    child = context.Process(target=_compile, args=(weights, options, os.fspath(out), messages), daemon=True)
    child.start()
    outcome = None
    while outcome is None:
        try:
            kind, text = messages.get(timeout=POLL_S)
        except queue.Empty:
            if child.is_alive():
                continue
            kind, text = "crash", _death(child.exitcode)
        if kind == "stage":
            if progress is not None:
                progress(text)
        else:
            outcome = kind, text
    child.join()
    kind, text = outcome
    if kind == "user":
        raise UserError(text)
    if kind != "done":
        raise CompileFailed(text)


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"the compile process was killed by {signal.Signals(-exitcode).name}"
    return f"the compile process exited with code {exitcode} without a result"


def _compile(weights: Weights, options: CompileOptions, out: str, messages: multiprocessing.Queue) -> None:
    """The child: compile, then report ``done`` or the error's kind and message."""
    silence_import_noise()
    try:
        compile_bundle(
            weights.loader(),
            options,
            out,
            progress=lambda stage: messages.put(("stage", stage)),
            overwrite=Path(out).exists(),
        )
    except FidelityGateError as error:
        messages.put(("gate", str(error)))
    except UserError as error:
        messages.put(("user", str(error)))
    except Exception as error:  # noqa: BLE001 - any compile failure is reported to the parent as text
        messages.put(("error", f"{type(error).__name__}: {error}"))
    else:
        messages.put(("done", ""))
