"""Seeded, stratified K-fold splits over a task pair's tweets."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import StratifiedKFold

from mtl_pipeline.params import ParameterError


def strata(main_labels: np.ndarray, aux_labels: np.ndarray) -> np.ndarray:
    """Stratification key: the main task's label where present, else the aux task's label.

    Tweets that only the auxiliary task labels (the missing-label case) form their own strata, so
    every fold holds the same share of them and of each aux class.
    """
    main = np.asarray(main_labels)
    aux = np.asarray(aux_labels)
    if main.shape != aux.shape:
        raise ValueError(f"main and aux labels differ in length: {main.shape} vs {aux.shape}")
    if ((main < 0) & (aux < 0)).any():
        raise ValueError("a tweet has neither a main nor an aux label")
    return np.where(
        main >= 0, np.char.add("main:", main.astype(str)), np.char.add("aux:", aux.astype(str))
    )


def stratified_folds(
    main_labels: np.ndarray,
    aux_labels: np.ndarray,
    n_folds: int,
    seed: int,
    parameter: str = "n_folds",
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) local row indices of each fold; same seed -> same folds.

    Every row is in exactly one test fold; folds are stratified on :func:`strata`. Errors name
    the fold count as ``parameter``.
    """
    if n_folds < 2:
        raise ParameterError(f"parameter {parameter} must be >= 2, got {n_folds}")
    key = strata(main_labels, aux_labels)
    _, counts = np.unique(key, return_counts=True)
    if counts.min() < n_folds:
        raise ParameterError(
            f"a stratum (main label, aux label) has only {counts.min()} tweets, fewer than "
            f"parameter {parameter} = {n_folds}; lower it or add labelled tweets"
        )
    skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return [
        (tr.astype(np.int64), te.astype(np.int64)) for tr, te in skf.split(np.zeros(len(key)), key)
    ]
