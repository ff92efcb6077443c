"""Stratified, seeded CV folds over a pair's tweets (with missing labels)."""

import numpy as np
import pytest

from mtl_pipeline.tweets_study.folds import strata, stratified_folds


def _labels(n=200, seed=0):
    rng = np.random.default_rng(seed)
    main = rng.choice([0, 1], size=n, p=[0.3, 0.7])
    aux = rng.choice([0, 1], size=n)
    main[: n // 4] = -1  # a quarter only has the aux label
    aux[n // 4 : n // 2] = -1
    return main, aux


def test_folds_partition_rows_and_are_stratified():
    main, aux = _labels()
    folds = stratified_folds(main, aux, 5, seed=1)
    tests = np.concatenate([te for _, te in folds])
    assert sorted(tests.tolist()) == list(range(len(main)))
    key = strata(main, aux)
    overall = {k: np.mean(key == k) for k in np.unique(key)}
    for train, test in folds:
        assert not set(train) & set(test)
        for k, share in overall.items():
            assert abs(np.mean(key[test] == k) - share) < 0.05


def test_same_seed_same_folds_other_seed_other_folds():
    main, aux = _labels()
    a = stratified_folds(main, aux, 4, seed=7)
    b = stratified_folds(main, aux, 4, seed=7)
    c = stratified_folds(main, aux, 4, seed=8)
    assert all((x[1] == y[1]).all() for x, y in zip(a, b, strict=True))
    assert any(not np.array_equal(x[1], y[1]) for x, y in zip(a, c, strict=True))


def test_fold_errors():
    main, aux = _labels(20)
    with pytest.raises(ValueError, match="n_folds must be >= 2"):
        stratified_folds(main, aux, 1, 0)
    with pytest.raises(ValueError, match="neither a main nor an aux label"):
        strata(np.array([-1]), np.array([-1]))
