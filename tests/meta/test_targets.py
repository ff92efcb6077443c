"""Pair-level targets on held-out pairs, beside the noise ceiling; few-trained-pairs calibration;
the predictor registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mtl_pipeline.meta.predictors import PREDICTORS, resolve_predictors
from mtl_pipeline.meta.reliability import gain_reliability
from mtl_pipeline.meta.targets import TargetSettings, calibration_curve, target_scores
from mtl_pipeline.params import ParameterError

SETTINGS = TargetSettings(repetitions=12, holdout_share=0.3)


def _meta_features(n_pairs: int = 200, k: int = 4, noise_sd: float = 1.0, seed: int = 0):
    """Pairs whose expected gain is the dataset feature ``main_jsd_classes``; the warm-up
    affinity is a noisier copy of it; the curve feature is noise. Seed noise ``noise_sd``."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_pairs):
        effect = rng.normal()
        affinity = effect + rng.normal()
        curve = rng.normal()
        for s in range(k):
            gain = effect + noise_sd * rng.normal()
            rows.append(
                {
                    "pair_id": f"p{i:04d}",
                    "problem": "related",
                    "seed": s,
                    "gain": gain,
                    "improved": gain > 0,
                    "main_jsd_classes": effect + 0.01 * rng.normal(),  # seed-level jitter
                    "main_curve_grad_10": curve,
                    "cross_affinity_aux_to_main": affinity,
                    "cross_grad_cosine": rng.normal(),
                }
            )
    return pd.DataFrame(rows)


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index(["predictor", "metric"])


def test_an_informative_predictor_reaches_the_ceiling_and_noise_does_not_beat_the_baseline():
    features = _meta_features()
    reliability = gain_reliability(features, bootstrap=200)
    predictors = resolve_predictors(["dataset", "curve", "warmup", "all"], "meta.targets")
    table = _table(target_scores(features, reliability, predictors, SETTINGS))
    assert (table["status"] == "ok").all() and (table["repetitions"] == 12).all()
    assert (table["n_held_out_pairs"] == 60).all()
    ceiling = reliability.iloc[0]
    spearman = table.loc[("dataset", "spearman")]
    assert spearman["ceiling"] == ceiling["ceiling_correlation"]
    # knowing the true effect: the held-out rho is the ceiling, within the draws' spread
    assert spearman["model_low"] <= spearman["ceiling"] + 0.05
    assert spearman["share_of_ceiling"] > 0.9 and spearman["reached"]
    assert spearman["beats_baseline"]
    sign = table.loc[("dataset", "balanced_accuracy")]
    assert sign["ceiling"] == ceiling["ceiling_balanced_accuracy_mean_sign"]
    assert sign["share_of_ceiling"] > 0.9 and sign["beats_baseline"]
    per_seed = table.loc[("dataset", "balanced_accuracy_per_seed")]
    assert per_seed["model_mean"] <= per_seed["ceiling"] + 1e-9  # an exact upper bound
    curve = table.loc[("curve", "spearman")]  # noise: rho within chance (3 / sqrt(pairs)) of 0
    assert abs(curve["model_mean"]) < 3 / np.sqrt(200) and not curve["reached"]
    warmup = table.loc[("warmup", "spearman")]  # a noisier copy: in between
    assert curve["model_mean"] < warmup["model_mean"] < spearman["model_mean"]


def test_calibration_improves_with_trained_pairs_and_has_a_zero_shot_point():
    features = _meta_features(n_pairs=150)
    reliability = gain_reliability(features, bootstrap=50)
    predictors = resolve_predictors(["warmup", "all"], "meta.targets")
    curve = calibration_curve(features, reliability, predictors, (3, 10, 80, 500), SETTINGS)
    rho = curve.loc[curve["metric"] == "spearman"].set_index(["predictor", "k"])["model_mean"]
    assert set(rho.index) == {("warmup", 0), ("warmup", 3), ("warmup", 10), ("warmup", 80)} | {
        ("all", 3),
        ("all", 10),
        ("all", 80),
    }
    assert "k [500] left out" in curve.loc[curve["k"] == 80, "note"].iloc[0]
    assert rho[("all", 3)] < rho[("all", 10)] < rho[("all", 80)]
    # the zero-shot affinity ranks as well as its calibrated map (one feature, monotone)
    assert rho[("warmup", 0)] == pytest.approx(rho[("warmup", 80)], abs=0.08)


def test_few_or_constant_pairs_and_a_missing_group_are_degenerate():
    predictors = resolve_predictors(["dataset", "warmup"], "meta.targets")
    few = _meta_features(n_pairs=5)
    table = target_scores(few, gain_reliability(few, bootstrap=10), predictors, SETTINGS)
    assert (table["status"] == "degenerate").all() and "fewer than 8" in table["note"].iloc[0]
    flat = _meta_features(n_pairs=20).assign(gain=0.0, improved=False)
    table = target_scores(flat, None, predictors, SETTINGS)
    assert (table["status"] == "degenerate").all() and "do not vary" in table["note"].iloc[0]
    no_warmup = _meta_features(n_pairs=30).drop(
        columns=["cross_affinity_aux_to_main", "cross_grad_cosine"]
    )
    table = _table(target_scores(no_warmup, None, predictors, SETTINGS))
    assert (table.loc["warmup", "status"] == "degenerate").all()
    assert "no column of predictor 'warmup'" in table.loc[("warmup", "spearman"), "note"]
    dataset = table.loc[("dataset", "spearman")]
    assert dataset["status"] == "ok" and np.isnan(dataset["ceiling"]) and not dataset["reached"]
    assert "no ceiling" in dataset["note"]


def test_predictors_are_chosen_by_name_from_one_registry():
    assert [p.name for p in resolve_predictors(["all", "curve"], "x")] == ["all", "curve"]
    columns = ["main_jsd_classes", "cross_jsd_a_c", "aux_curve_fit_a", "cross_grad_cosine"]
    assert PREDICTORS["dataset"].columns(columns) == ["main_jsd_classes", "cross_jsd_a_c"]
    assert PREDICTORS["dataset_warmup"].columns(columns) == [
        "main_jsd_classes",
        "cross_jsd_a_c",
        "cross_grad_cosine",
    ]
    assert PREDICTORS["all"].columns(columns) == columns
    with pytest.raises(ParameterError, match="nearest known value is 'warmup'"):
        resolve_predictors(["warmpu"], "meta.targets.predictors")
    with pytest.raises(ParameterError, match="non-empty list"):
        resolve_predictors("all", "meta.targets.predictors")
