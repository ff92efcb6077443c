"""Accuracy vs. share of the auxiliary task's training data (Joshi et al.'s ablation)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mtl_pipeline.params import ParameterError


def check_shares(shares: Sequence[float], parameter: str = "shares") -> list[float]:
    """Shares as sorted unique floats in [0, 1]; errors name ``parameter``."""
    out = sorted({float(s) for s in shares})
    if not out or out[0] < 0 or out[-1] > 1:
        raise ParameterError(f"parameter {parameter} must be values in [0, 1], got {list(shares)}")
    return out


def aux_share_subsets(
    rows: np.ndarray,
    shares: Sequence[float],
    seed: int | Sequence[int],
    parameter: str = "shares",
) -> dict[float, np.ndarray]:
    """Seeded subsamples of the aux task's training rows, one per share, nested.

    One seeded permutation is drawn and each share takes its first ``round(share * n)`` rows,
    so the 25 % subset lies inside the 50 % one: the curve measures more aux data, not other
    aux data. Rows keep their original order within a subset.
    """
    rows = np.asarray(rows, dtype=np.int64)
    order = np.random.default_rng(seed).permutation(len(rows))
    kept = check_shares(shares, parameter)
    return {s: np.sort(rows[order[: int(round(s * len(rows)))]]) for s in kept}


def ablation_summary(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over folds of the main task's accuracy and F1 per pair/task/encoder/share."""
    keys = ["pair", "main_task", "aux_task", "encoder", "aux_share"]
    g = scores.groupby(keys, sort=True)
    out = g.agg(
        accuracy=("accuracy", "mean"),
        accuracy_std=("accuracy", "std"),
        f1=("f1", "mean"),
        f1_std=("f1", "std"),
        n_folds=("fold", "nunique"),
    )
    return out.reset_index().fillna({"accuracy_std": 0.0, "f1_std": 0.0})
