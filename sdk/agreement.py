"""How close two arrays of model outputs are: the measures the fidelity gate, the accuracy gate and the bench share."""

from __future__ import annotations

import numpy as np


def tensor_agreement(reference: np.ndarray, candidate: np.ndarray) -> dict[str, float]:
    """max_abs, mean_abs, rel_l2 (= |c - r| / |r|) and cosine of two same-shape float arrays."""
    ref = np.asarray(reference, dtype=np.float64).ravel()
    cand = np.asarray(candidate, dtype=np.float64).ravel()
    diff = cand - ref
    ref_norm, cand_norm = np.linalg.norm(ref), np.linalg.norm(cand)
    if ref_norm == 0 and cand_norm == 0:
        cosine = 1.0
    elif ref_norm == 0 or cand_norm == 0:
        cosine = 0.0
    else:
        cosine = float(np.dot(ref, cand) / (ref_norm * cand_norm))
    return {
        "max_abs": float(np.abs(diff).max(initial=0.0)),
        "mean_abs": float(np.abs(diff).mean()) if diff.size else 0.0,
        "rel_l2": float(np.linalg.norm(diff) / ref_norm) if ref_norm else float(np.linalg.norm(diff)),
        "cosine": cosine,
    }


def label_agreement(reference: np.ndarray, candidate: np.ndarray) -> float:
    """Share of positions with the same class id."""
    return float(np.mean(np.asarray(reference) == np.asarray(candidate)))
