"""Suite-wide set-up: sample data from the repository's copy, the CPU's ISA in the header, and a record of
which instruction-set-dependent path each such test checked (printed at the end of the run)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from fixture_paths import DATA

# The SDK's sample-data lookups read the repository's copy (tests/data), never ../shared.
os.environ.setdefault("SAPIENS2_DATA", str(DATA))

ISA_PATHS: list[str] = []


def pytest_report_header() -> str:
    from sapiens2.bench.machine import cpu_flags, cpu_model

    return f"cpu: {cpu_model()}; ISA flags: {' '.join(cpu_flags()) or 'none of note'}"


@pytest.fixture
def isa_path(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Call with a description of the ISA-dependent path the test checked; the run's summary lists it."""
    return lambda description: ISA_PATHS.append(f"{request.node.nodeid}: {description}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if ISA_PATHS:
        terminalreporter.section("instruction-set-dependent paths checked")
        for line in ISA_PATHS:
            terminalreporter.write_line(line)
