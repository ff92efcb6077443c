"""Small synthetic data shared by the trainer tests (tiny sizes: tests run in seconds)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from mtl_pipeline.training import TaskSplit


def make_features(n: int = 240, v: int = 40, density: float = 0.25, seed: int = 0) -> sp.csr_matrix:
    return sp.random(n, v, density=density, format="csr", dtype=np.float64, random_state=seed)


def make_task(
    X: sp.csr_matrix, name: str, seed: int, n_train: int = 60, n_test: int = 50, cols=(0, 1, 2)
) -> TaskSplit:
    """A learnable task: label = whether a few columns sum above their median."""
    score = np.asarray(X[:, list(cols)].sum(axis=1)).ravel()
    y = (score > np.median(score)).astype(np.int64)
    rows = np.random.default_rng(seed).permutation(X.shape[0])
    tr, te = rows[:n_train], rows[n_train : n_train + n_test]
    return TaskSplit(name, tr, y[tr], te, y[te])


@pytest.fixture
def features() -> sp.csr_matrix:
    return make_features()
