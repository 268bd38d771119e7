"""The committed golden vectors (tests/golden) are exactly what the processing code produces now."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"


def _generator():
    spec = importlib.util.spec_from_file_location("golden_generate", GOLDEN / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_regenerated_golden_files_equal_the_committed_ones(tmp_path: Path) -> None:
    generator = _generator()
    written = generator.write_golden(tmp_path)
    assert {path.name for path in written} == set(generator.GOLDEN_FILES)
    for path in written:
        committed = GOLDEN / path.name
        assert committed.is_file(), f"{path.name} is not committed: run python tests/golden/generate.py"
        assert path.read_bytes() == committed.read_bytes(), (
            f"{path.name} differs from a fresh generation: if the change is intended, regenerate with "
            "python tests/golden/generate.py and tell the Android/iOS ports"
        )


def test_golden_files_are_small_valid_json() -> None:
    files = sorted(GOLDEN.glob("*.json"))
    assert len(files) == 6 and sum(f.stat().st_size for f in files) < 1_000_000
    for path in files:
        cases = json.loads(path.read_text(encoding="utf-8"))
        assert cases and all(isinstance(fields, dict) for fields in cases.values())


def test_golden_heatmap_case_is_self_consistent() -> None:
    case = json.loads((GOLDEN / "heatmap_decode.json").read_text())["udp"]
    # Interior peak: the Gaussian was centred at (4.3, 7.6) on a 12x16 map for a 48x64 input.
    x, y = case["keypoints"][0]
    assert abs(x * 11 / 48 - 4.3) < 0.05 and abs(y * 15 / 64 - 7.6) < 0.05
    assert case["integer_peaks"][3] == [-1.0, -1.0] and case["scores"][3] <= 0
