"""Suite-wide set-up: the SDK's sample-data lookups read the repository's copy (tests/data), never ../shared."""

from __future__ import annotations

import os

from fixture_paths import DATA

os.environ.setdefault("SAPIENS2_DATA", str(DATA))
