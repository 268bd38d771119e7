"""Shared test locations: the repo's sibling ``shared/`` folder holds the official fixtures and data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("SAPIENS2_SHARED", Path(__file__).resolve().parents[2] / "shared"))
OFFICIAL = SHARED / "fixtures" / "official"
MODEL_CASES = sorted(p.name for p in OFFICIAL.iterdir() if (p / "case.json").exists()) if OFFICIAL.exists() else []


def load_case(name: str) -> dict:
    return json.loads((OFFICIAL / name / "case.json").read_text())


@pytest.fixture(scope="session")
def official_dir() -> Path:
    if not OFFICIAL.exists():
        pytest.skip(f"official fixtures not found at {OFFICIAL} (set SAPIENS2_SHARED)")
    return OFFICIAL
