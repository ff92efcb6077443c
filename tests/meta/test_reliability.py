"""The noise ceiling on synthetic gains whose pair effects and seed noise have known variances."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from mtl_pipeline.meta.reliability import (
    best_balanced_accuracy,
    gain_reliability,
    mean_sign_ceiling,
    seed_splits,
)


def _gains(effects: np.ndarray, noise_sd: float, k: int, rng, problem="related") -> pd.DataFrame:
    rows = []
    for i, mu in enumerate(effects):
        for s in range(k):
            g = mu + noise_sd * rng.normal()
            rows.append({"pair_id": f"p{i:04d}", "problem": problem, "seed": s, "gain": g})
    out = pd.DataFrame(rows)
    out["improved"] = out["gain"] > 0
    return out


@pytest.mark.parametrize(("tau", "sigma", "k"), [(1.0, 2.0, 5), (1.0, 1.0, 4), (1.0, 2.0, 2)])
def test_reliability_and_ceiling_match_the_known_variances(tau, sigma, k):
    rng = np.random.default_rng(1)
    effects = tau * rng.normal(size=1000)
    gains = _gains(effects, sigma, k, rng)
    row = gain_reliability(gains, bootstrap=300).iloc[0]
    truth = tau**2 / (tau**2 + sigma**2 / k)  # reliability of the k-seed mean
    assert row["status"] == "ok" and row["n_pairs"] == 1000 and row["n_seeds"] == k
    assert row["reliability"] == pytest.approx(truth, abs=0.06)
    assert row["reliability_low"] < truth < row["reliability_high"]
    assert row["reliability_anova"] == pytest.approx(truth, abs=0.07)
    assert row["ceiling_correlation"] == pytest.approx(np.sqrt(truth), abs=0.05)
    # the ceiling is what knowing the true effects gets, measured by Spearman's rho
    means = gains.groupby("pair_id")["gain"].mean().to_numpy()
    oracle = spearmanr(effects, means).statistic
    assert row["ceiling_correlation"] == pytest.approx(oracle, abs=0.06)
    assert row["seed_sd"] == pytest.approx(sigma, rel=0.06)


def test_pure_noise_has_no_ceiling_and_a_noiseless_gain_a_full_one():
    rng = np.random.default_rng(2)
    noise = gain_reliability(_gains(np.zeros(300), 1.0, 5, rng), bootstrap=200).iloc[0]
    assert (
        abs(noise["reliability"]) < 0.15
        and noise["reliability_low"] < 0 < noise["reliability_high"]
    )
    assert noise["ceiling_correlation"] < 0.4
    assert noise["ceiling_balanced_accuracy_mean_sign"] == pytest.approx(0.5, abs=0.03)
    exact = gain_reliability(_gains(rng.normal(size=50), 0.0, 3, rng)).iloc[0]
    assert exact["status"] == "ok" and "no seed-to-seed variation" in exact["note"]
    assert exact["reliability"] == pytest.approx(1.0)
    assert exact["ceiling_balanced_accuracy"] == exact["ceiling_balanced_accuracy_mean_sign"] == 1.0


def test_best_balanced_accuracy_is_the_maximum_over_every_pair_level_answer():
    rng = np.random.default_rng(3)
    k = 5
    improved = rng.integers(0, k + 1, size=8)
    labels = [np.r_[np.ones(a), np.zeros(k - a)] for a in improved]
    best = 0.0
    for answer in itertools.product([0, 1], repeat=len(improved)):
        y = np.concatenate(labels)
        pred = np.concatenate([np.full(k, a) for a in answer])
        tpr = (pred[y == 1] == 1).mean()
        tnr = (pred[y == 0] == 0).mean()
        best = max(best, 0.5 * (tpr + tnr))
    assert best_balanced_accuracy(improved, k) == pytest.approx(best)
    assert np.isnan(best_balanced_accuracy(np.full(4, k), k))  # one class: undefined


def test_mean_sign_ceiling_matches_a_simulated_oracle():
    rng = np.random.default_rng(4)
    mean, tau, sigma, k = 0.3, 1.0, 2.0, 5
    mu = mean + tau * rng.normal(size=400_000)
    label = mu + sigma / np.sqrt(k) * rng.normal(size=mu.size) > 0
    simulated = max(
        0.5 * ((mu[label] > c).mean() + (mu[~label] <= c).mean())
        for c in np.linspace(-1.5, 1.5, 121)
    )
    assert mean_sign_ceiling(mean, tau**2, sigma**2, k) == pytest.approx(simulated, abs=0.005)


def test_degenerate_inputs_are_reported_as_such():
    rng = np.random.default_rng(5)
    one_seed = _gains(rng.normal(size=20), 1.0, 1, rng, problem="unrelated")
    constant = _gains(np.zeros(20), 0.0, 3, rng, problem="constant")
    few = _gains(rng.normal(size=3), 1.0, 3, rng, problem="few")
    with_nan = _gains(rng.normal(size=30), 1.0, 3, rng, problem="with_nan")
    with_nan.loc[with_nan["pair_id"].isin(["p0000", "p0001"]), "gain"] = np.nan
    table = gain_reliability(
        pd.concat([one_seed, constant, few, with_nan]), bootstrap=50
    ).set_index("problem")
    for problem in ("unrelated", "constant", "few"):
        assert table.loc[problem, "status"] == "degenerate"
        assert np.isnan(table.loc[problem, "ceiling_correlation"])
        assert np.isnan(table.loc[problem, "ceiling_balanced_accuracy"])
    assert "one seed per pair" in table.loc["unrelated", "note"]
    assert "do not vary" in table.loc["constant", "note"]
    assert table.loc["with_nan", "status"] == "ok" and table.loc["with_nan", "n_pairs"] == 28
    assert "NaN" in table.loc["with_nan", "note"]


def test_splits_are_disjoint_halves_each_once():
    rng = np.random.default_rng(0)
    splits = seed_splits(5, 100, rng)
    assert len(splits) == 15  # C(5,2) * C(3,2) / 2
    assert all(len(a) == len(b) == 2 and not set(a) & set(b) for a, b in splits)
    assert len(seed_splits(10, 7, rng)) == 7
    with pytest.raises(ValueError, match="bootstrap"):
        gain_reliability(_gains(np.zeros(5), 1.0, 2, rng), bootstrap=0)
