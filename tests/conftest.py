"""Suite-wide set-up: the official fixtures must be there; the SDK reads its own packaged sample data; the
run's header names the CPU's ISA and its summary lists which instruction-set-dependent path each such test
checked.

The SDK's sample-data lookups (``sapiens2.samples.data_dir()``) are left at their default, the data
packaged with the SDK, so that the suite sees what an installed wheel sees; tests that need the
fixture images (``messi5.jpg``, ``vtest.avi``) read them through ``fixture_paths``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from fixture_paths import DATA, OFFICIAL

os.environ.pop("SAPIENS2_DATA", None)  # a developer's override would change what the tests check

ISA_PATHS: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """One line before collection, instead of an import error in every test module that reads a fixture."""
    if not (OFFICIAL / "checkpoint_shapes.json").is_file() or not (DATA / "images").is_dir():
        raise pytest.UsageError(
            f"the official fixtures ({OFFICIAL}) or the test images ({DATA / 'images'}) are missing: restore tests/fixtures "
            "and tests/data from the repository, or set SAPIENS2_TEST_ROOT to a folder holding fixtures/official and data"
        )


def pytest_report_header() -> str:
    from sapiens2.cpu import cpu_flags, cpu_model

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
