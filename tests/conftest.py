"""Suite-wide set-up: the official fixtures must be there; the SDK reads its own packaged sample data.

The SDK's sample-data lookups (``sapiens2.samples.data_dir()``) are left at their default, the data
packaged with the SDK, so that the suite sees what an installed wheel sees; tests that need the
fixture images (``messi5.jpg``, ``vtest.avi``) read them through ``fixture_paths``.
"""

from __future__ import annotations

import os

import pytest
from fixture_paths import DATA, OFFICIAL

os.environ.pop("SAPIENS2_DATA", None)  # a developer's override would change what the tests check



def pytest_configure(config: pytest.Config) -> None:
    """One line before collection, instead of an import error in every test module that reads a fixture."""
    if not (OFFICIAL / "checkpoint_shapes.json").is_file() or not (DATA / "images").is_dir():
        raise pytest.UsageError(
            f"the official fixtures ({OFFICIAL}) or the test images ({DATA / 'images'}) are missing: restore tests/fixtures "
            "and tests/data from the repository, or set SAPIENS2_TEST_ROOT to a folder holding fixtures/official and data"
        )
