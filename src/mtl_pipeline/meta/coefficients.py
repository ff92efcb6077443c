"""The meta-model's coefficients over its fold models: mean, spread and mean inverse rank of
each feature (1 / rank of |coef| among the subset's features, rank 1 = largest)."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

#: The columns of ``meta_coefficients``, in order.
COEFFICIENT_COLUMNS = [
    "problem",
    "feature_subset",
    "feature",
    "coef_mean",
    "coef_std",
    "inverse_rank_mean",
    "n_models",
    "status",
]


def inverse_ranks(coefs: np.ndarray) -> np.ndarray:
    """1 / rank of each |coefficient| within its model (n_models × n_features; ties averaged)."""
    ranks = np.vstack([rankdata(-np.abs(c), method="average") for c in coefs])
    return 1.0 / ranks


def coefficient_rows(
    problem: str, subset: str, columns: list[str], coefs: np.ndarray, status: str
) -> list[dict]:
    """One ``meta_coefficients`` row per feature of a subset's fold models (none without any)."""
    if not len(coefs):
        return []
    inverse = inverse_ranks(coefs)
    return [
        {
            "problem": problem,
            "feature_subset": subset,
            "feature": c,
            "coef_mean": float(coefs[:, j].mean()),
            "coef_std": float(coefs[:, j].std()),
            "inverse_rank_mean": float(inverse[:, j].mean()),
            "n_models": len(coefs),
            "status": status,
        }
        for j, c in enumerate(columns)
    ]
