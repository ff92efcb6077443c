"""The honest goal: grouped-CV ablation of predictor groups, held-out pairs, goal table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mtl_pipeline.features.groups import feature_group as predictor_group
from mtl_pipeline.meta.goal import (
    ablation_table,
    goal_table,
    held_out_pairs,
    honest_config,
)
from mtl_pipeline.meta.model import MetaModelConfig

CONFIG = MetaModelConfig(repetitions=4, folds=3, evaluation="per_seed", cv="kfold")


def _meta_features(informative: bool, n_pairs: int = 30, seed: int = 0) -> pd.DataFrame:
    """Two seeds per pair; with ``informative`` the divergence decides the outcome."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_pairs):
        jsd = rng.normal()
        improved = (jsd > 0) if informative else bool(rng.integers(2))
        for s in (0, 1):
            rows.append(
                {
                    "pair_id": f"p{i:03d}",
                    "problem": "related",
                    "seed": s,
                    "gain": 0.01 if improved else -0.01,
                    "improved": improved,
                    "main_jsd_classes": jsd + 0.05 * rng.normal(),
                    "aux_oov_rate": rng.normal(),
                    "main_curve_grad_10": rng.normal(),
                    "main_label_entropy": 1.0,  # constant: dropped, no label group
                }
            )
    return pd.DataFrame(rows)


def test_groups_are_read_from_the_statistic_whatever_the_role():
    assert predictor_group("ratio_jsd_classes") == "divergence"
    assert predictor_group("cross_jsd_a_c") == "cross_divergence"
    assert predictor_group("aux_curve_fit_a") == "curve"
    assert predictor_group("main_affinity") == "warmup"
    honest = honest_config(CONFIG)
    assert (honest.evaluation, honest.cv, honest.scaling, honest.group_by_pair) == (
        "pooled",
        "stratified",
        "in_fold",
        True,
    )


def test_an_informative_group_reaches_the_goal_and_its_ablation_shows_it():
    features = _meta_features(informative=True)
    ablation = ablation_table(features, CONFIG).set_index("variant")
    assert set(ablation.index) == {
        "all",
        "only_divergence",
        "only_vocabulary",
        "only_curve",
        "without_divergence",
        "without_vocabulary",
        "without_curve",
    }
    assert (ablation["status"] == "ok").all() and (ablation["repetitions"] == 4).all()
    assert ablation.loc["only_divergence", "balanced_accuracy_mean"] > 0.9
    assert ablation.loc["without_divergence", "delta_balanced_accuracy_mean"] < 0.25
    assert (ablation["baseline_balanced_accuracy_mean"] >= 0.5).all()  # never an easier goal
    p = features["improved"].mean()
    assert (ablation["baseline_f1_mean"] >= 2 * p / (1 + p) - 1e-12).all()  # always "improved"
    held = held_out_pairs(features, CONFIG, share=0.3, repetitions=5)
    assert held.loc[0, "n_held_out_pairs"] == 9 and held.loc[0, "balanced_accuracy_mean"] > 0.8
    goal = goal_table(ablation.reset_index(), held)
    assert len(goal) == 4 and goal["reached"].all()


def test_noise_does_not_reach_the_goal():
    features = _meta_features(informative=False, seed=3)
    goal = goal_table(
        ablation_table(features, CONFIG), held_out_pairs(features, CONFIG, repetitions=5)
    )
    bacc = goal.loc[goal["metric"] == "balanced_accuracy"]
    assert not bacc["reached"].any()
    assert (bacc["difference"].abs() < 0.2).all()


def test_too_few_pairs_are_degenerate_never_a_finding():
    features = _meta_features(informative=True, n_pairs=3)
    held = held_out_pairs(features, CONFIG)
    assert held.loc[0, "status"] == "degenerate"
    goal = goal_table(ablation_table(features, CONFIG), held)
    assert not goal["reached"].any()
