"""Effect sizes, the blocked permutation trend test and verdicts, on synthetic gains with known
effects (a planted trend is found; null data are not called a trend; degenerate points are
reported as such)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import balanced_accuracy_score, f1_score

from mtl_pipeline.factors.effects import (
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    blocked_permutation_spearman,
    feature_signal,
    judge,
    point_effects,
    prediction_scores,
    relatedness_contrast,
    trends,
    verdicts,
)
from mtl_pipeline.factors.settings import FactorsSpec
from mtl_pipeline.specs.factors import factors_spec

SIZES = (10.0, 25.0, 50.0, 100.0, 200.0)


def _spec(**effects) -> FactorsSpec:
    return factors_spec(
        {
            "seeds": [0, 1, 2],
            "related_pairs": None,
            "unrelated_pairs": 10,
            "data_balance": {"per_class": [10, 25, 50, 100, 200]},
            "label_distribution": {"total": 200, "minority_shares": [0.5, 0.05]},
            "effects": {"resamples": 300, "permutations": 300, **effects},
        },
        200,
    )


def _gains(slope: dict[str, float], n_pairs=12, n_seeds=3, noise=0.01, pair_sd=0.05, seed=0):
    """main_size gains: pair offset (large) + slope × log2(size) + seed noise, per group."""
    rng = np.random.default_rng(seed)
    rows = []
    for group, b in slope.items():
        for p in range(n_pairs):
            offset = rng.normal(0, pair_sd)
            for s in range(n_seeds):
                for v in SIZES:
                    rows.append(
                        {"sweep": "main_size", "factor": "main_per_class", "metric": "f1",
                         "group": group, "value": v, "pair_id": f"{group[0]}{p}", "seed": s,
                         "gain": offset + b * np.log2(v) + rng.normal(0, noise), "status": "ok",
                         "note": ""}
                    )  # fmt: skip
    return pd.DataFrame(rows)


def test_the_permutation_test_finds_a_planted_trend_under_large_pair_offsets():
    rng = np.random.default_rng(1)
    pairs, values = 15, np.array(SIZES)
    x = np.tile(values, pairs)
    blocks = np.repeat(np.arange(pairs), len(values))
    # pair offsets 10 × the whole trend: pooled over pairs the trend is weak, within pairs clear
    y = (
        np.repeat(rng.normal(0, 0.2, pairs), len(values))
        - 0.004 * np.log2(x)
        + rng.normal(0, 0.004, len(x))
    )
    rho, p = blocked_permutation_spearman(x, y, blocks, 1000, np.random.default_rng(0))
    assert rho < 0 and p < 0.01


def test_the_permutation_test_rejects_null_data_at_about_its_level():
    rng = np.random.default_rng(2)
    x = np.tile(np.array(SIZES), 10)
    blocks = np.repeat(np.arange(10), len(SIZES))
    p_values = [
        blocked_permutation_spearman(x, rng.normal(size=len(x)) + blocks, blocks, 200, rng)[1]
        for _ in range(200)
    ]
    rejected = np.mean(np.array(p_values) < 0.05)
    assert rejected <= 0.10  # level 0.05; a binomial 200-draw share stays below 0.10
    assert np.mean(np.array(p_values) > 0.5) > 0.35  # roughly uniform, not piled at 0


def test_a_feature_without_variation_within_pairs_cannot_be_tested():
    x = np.repeat([1.0, 2.0, 3.0], 4)
    blocks = np.repeat([0, 1, 2], 4)
    rho, p = blocked_permutation_spearman(x, np.arange(12.0), blocks, 100, np.random.default_rng(0))
    assert np.isnan(rho) and np.isnan(p)


def test_effects_trends_and_verdicts_on_a_planted_effect_and_null_data():
    spec = _spec()
    gains = _gains({"related": -0.01, "unrelated": 0.0})
    effects = point_effects(gains, spec)
    related = effects[effects["group"] == "related"].set_index("value")
    # the planted mean at each size lies in its interval; gains fall as the main task grows
    for value, row in related.iterrows():
        assert row.ci_low < -0.01 * np.log2(value) < row.ci_high
    assert related["gain_mean"].is_monotonic_decreasing
    assert (effects["status"] == "ok").all() and effects["n_pairs"].eq(12).all()
    table = trends(gains, effects, spec).set_index("group")
    assert table.loc["related", "rho"] < -0.5 and table.loc["related", "p_value"] < 0.01
    assert table.loc["related", "ci_high"] < 0
    assert table.loc["unrelated", "p_value"] > 0.05
    contrast = relatedness_contrast(gains, spec)
    verdict = verdicts(table.reset_index(), contrast, spec).set_index(["claim", "group"])
    assert verdict.loc[("data_balance_main", "related"), "verdict"] == HOLDS
    assert verdict.loc[("data_balance_main", "unrelated"), "verdict"] in (FAILS, INCONCLUSIVE)


def test_degenerate_points_are_reported_as_such_and_left_out_of_the_trend():
    spec = _spec()
    gains = _gains({"related": -0.01})
    few = gains["value"] == 10.0
    gains.loc[few, "status"], gains.loc[few, "note"] = "degenerate", "a class without documents"
    gains.loc[few, "gain"] = np.nan
    effects = point_effects(gains, spec)
    row = effects[effects["value"] == 10.0].iloc[0]
    assert row.status == "degenerate" and np.isnan(row.gain_mean)
    assert "class without documents" in row.note
    table = trends(gains, effects, spec)
    assert table["n_points"].iloc[0] == 4 and "10.0" in table["note"].iloc[0]
    assert table["status"].iloc[0] == "ok"


def test_the_verdict_rule():
    assert judge(-0.4, -0.6, -0.2, 0.001, -1, 0.1, 0.05) == HOLDS
    assert judge(0.4, 0.2, 0.6, 0.001, -1, 0.1, 0.05) == FAILS  # significant, opposite
    assert judge(0.01, -0.05, 0.06, 0.6, -1, 0.1, 0.05) == FAILS  # no trend worth the name
    assert judge(-0.2, -0.5, 0.2, 0.2, -1, 0.1, 0.05) == INCONCLUSIVE
    assert judge(np.nan, np.nan, np.nan, np.nan, -1, 0.1, 0.05) == "degenerate"


def test_scores_from_predictions_match_scikit_learn():
    rng = np.random.default_rng(3)
    label = rng.integers(0, 2, 200)
    pred = np.where(rng.random(200) < 0.8, label, 1 - label)
    frame = pd.DataFrame({"model_id": "m", "task": "a vs b", "row": np.arange(200),
                          "label": label, "pred": pred})  # fmt: skip
    scores = prediction_scores(frame, minority_label=0).iloc[0]
    assert scores["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(label, pred))
    assert scores["minority_f1"] == pytest.approx(f1_score(label, pred, pos_label=0))
    assert scores["f1"] == pytest.approx(f1_score(label, pred, pos_label=1))
    one_class = frame.assign(label=1)
    assert np.isnan(prediction_scores(one_class, 0).iloc[0]["balanced_accuracy"])


def test_feature_signal_finds_a_feature_that_drives_the_gain_within_pairs():
    rng = np.random.default_rng(4)
    rows = []
    for p in range(10):
        for size in (10, 50, 200):
            rows.append(
                {"group": "related", "pair_id": f"p{p}", "metric": "balanced_accuracy",
                 "gain": rng.normal(0, 0.3) * 0 + p * 0.1 - 0.01 * np.log(size)
                 + rng.normal(0, 0.002), "main_train_docs": 2 * size,
                 "aux_train_docs": 400, "train_docs_ratio": size / 200,
                 "main_n_words": 100.0 * size + rng.normal(0, 1), "aux_n_words": 1e4,
                 "main_label_entropy": 1.0, "main_label_kurtosis": -2.0,
                 "aux_label_entropy": 1.0, "aux_label_kurtosis": -2.0}
            )  # fmt: skip
    signal = feature_signal(pd.DataFrame(rows), _spec()).set_index(["group", "feature"])
    assert signal.loc[("related", "main_train_docs"), "signal"]
    assert signal.loc[("related", "main_train_docs"), "rho"] < 0
    assert signal.loc[("related", "main_label_entropy"), "status"] == "degenerate"
    assert not signal.loc[("related", "main_label_entropy"), "signal"]
