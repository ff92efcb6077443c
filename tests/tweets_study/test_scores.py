"""Results table and paired t-test on known numbers."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mtl_pipeline.tweets_study.scores import (
    accuracy_f1,
    paired_ttest,
    results_table,
    score_predictions,
    significance_table,
)

STL = [0.70, 0.72, 0.68, 0.71]
MTL = [0.74, 0.73, 0.72, 0.76]


def _fold_scores():
    rows = []
    for fold in range(4):
        for setting, acc in (("stl", STL[fold]), ("mtl", MTL[fold])):
            rows.append(
                {
                    "pair": "p",
                    "encoder": "cnn",
                    "fold": fold,
                    "setting": setting,
                    "task": "a",
                    "role": "main",
                    "n_test": 10,
                    "accuracy": acc,
                    "f1": 0.5,
                }
            )
    return pd.DataFrame(rows)


def test_results_table_means_and_deltas():
    table = results_table(_fold_scores())
    row = table.iloc[0]
    assert row["stl_accuracy"] == pytest.approx(np.mean(STL))
    assert row["mtl_accuracy"] == pytest.approx(np.mean(MTL))
    assert row["delta_accuracy"] == pytest.approx(np.mean(MTL) - np.mean(STL))
    assert row["delta_f1"] == 0 and row["n_folds"] == 4


def test_significance_table_matches_scipy_and_handles_no_difference():
    table = significance_table(_fold_scores(), alpha=0.05).set_index("metric")
    expected = stats.ttest_rel(MTL, STL)
    assert table.loc["accuracy", "t_statistic"] == pytest.approx(expected.statistic)
    assert table.loc["accuracy", "p_value"] == pytest.approx(expected.pvalue)
    assert table.loc["accuracy", "p_value"] < 0.05
    assert table.loc["accuracy", "significant"] and table.loc["accuracy", "better"] == "mtl"
    assert table.loc["f1", "p_value"] == 1.0 and not table.loc["f1", "significant"]
    assert paired_ttest(np.array([0.5]), np.array([0.4])) != paired_ttest(MTL, STL)


def test_unpaired_scores_are_an_error():
    scores = _fold_scores()
    with pytest.raises(ValueError, match="no STL/MTL partner"):
        results_table(scores.iloc[:-1])


def test_score_predictions_binary_f1_of_positive_class():
    preds = pd.DataFrame(
        {
            "model_id": ["m"] * 4,
            "task": ["a"] * 4,
            "row": range(4),
            "label": [1, 1, 0, 0],
            "pred": [1, 0, 0, 0],
        }
    )
    meta = {
        "m": {"pair": "p", "encoder": "cnn", "fold": 0, "setting": "stl", "roles": {"a": "main"}}
    }
    out = score_predictions(preds, meta, {"a": (2, 1)})
    assert out["accuracy"].iat[0] == 0.75 and out["f1"].iat[0] == pytest.approx(2 / 3)
    assert accuracy_f1(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]), 2, 0)[1] == pytest.approx(
        0.8
    )
