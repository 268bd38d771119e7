"""Progress for long commands: a rich bar on a terminal, one line per step when stderr is a log or a pipe.

rich draws nothing while stderr is not a terminal, so a compile or a benchmark sent to a log file
would stay silent for many minutes; there each step becomes a line with the elapsed time instead.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

COLUMNS = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


class StepBar:
    """One bar: ``step`` names what runs now; ``set_total``, ``advance`` and ``complete`` move the count."""

    def __init__(self, progress: Progress, total: int | None) -> None:
        self.progress = progress
        self.task = progress.add_task("starting", total=total)
        self.logged = not progress.console.is_terminal
        self.started = time.monotonic()

    def step(self, description: str, completed: int | None = None) -> None:
        self.progress.update(self.task, description=description, completed=completed)
        if self.logged:
            self.progress.console.print(f"{time.monotonic() - self.started:7.1f}s  {description}", highlight=False)

    def set_total(self, total: int) -> None:
        self.progress.update(self.task, total=total)

    def advance(self) -> None:
        self.progress.advance(self.task)

    def complete(self) -> None:
        self.step("done", completed=int(self.progress.tasks[0].total or 0))


@contextmanager
def step_bar(console: Console, total: int | None = None) -> Iterator[StepBar]:
    """A ``StepBar`` on ``console`` for the duration of the block (completed when the block ends normally)."""
    with Progress(*COLUMNS, console=console) as progress:
        bar = StepBar(progress, total)
        yield bar
        bar.complete()
