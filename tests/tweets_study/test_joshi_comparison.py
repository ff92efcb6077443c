"""MTL − STL per shared layer beside Joshi et al.'s reported F1 direction."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from mtl_pipeline.tweets_study.joshi_comparison import (
    PAPER_F1_DIRECTION,
    agreement,
    agreement_summary,
    paper_comparison_table,
)
from mtl_pipeline.tweets_study.scores import results_table, significance_table


def fold_scores() -> pd.DataFrame:
    """Two tasks × three encoders × 4 folds with known MTL − STL differences."""
    shift = {  # (task, encoder) -> MTL − STL in F1 per fold
        ("a", "bilstm"): [0.02, 0.03, 0.02, 0.04],  # raises, significant
        ("a", "cnn"): [-0.05, -0.04, -0.06, -0.05],  # lowers, significant
        ("a", "bilstm_cnn"): [0.01, -0.02, 0.03, -0.01],  # ~0, n.s.
        ("b", "bilstm"): [-0.03, -0.04, -0.02, -0.03],  # lowers: opposes B's raise
        ("b", "cnn"): [0.0, 0.0, 0.0, 0.0],  # identical
        ("b", "bilstm_cnn"): [0.02, 0.01, 0.03, 0.02],
    }
    rows = []
    for (task, encoder), deltas in shift.items():
        for fold, d in enumerate(deltas):
            base = 0.7 + 0.01 * fold
            for setting, f1 in (("stl", base), ("mtl", base + d)):
                rows.append(
                    dict(pair="p", encoder=encoder, fold=fold, setting=setting, task=task,
                         role="main" if task == "a" else "aux", n_test=10, accuracy=f1, f1=f1)
                )  # fmt: skip
    return pd.DataFrame(rows)


def test_table_puts_our_differences_and_t_tests_beside_the_papers_direction() -> None:
    scores = fold_scores()
    table = paper_comparison_table(results_table(scores), significance_table(scores), 0.05)
    got = table.set_index(["task", "encoder"])
    assert got.at[("a", "bilstm"), "agreement"] == "agrees"
    assert got.at[("a", "cnn"), "agreement"] == "agrees"  # the paper: C lowers F1
    assert got.at[("a", "bilstm_cnn"), "agreement"] == "same sign, n.s."
    assert got.at[("b", "bilstm"), "agreement"] == "opposes"
    assert got.at[("b", "cnn"), "agreement"] == "no difference"
    assert got.at[("a", "cnn"), "delta_f1"] == pytest.approx(-0.05)
    assert got.at[("a", "cnn"), "p_f1"] < 0.05
    assert got.at[("a", "bilstm_cnn"), "p_f1"] > 0.05
    assert (table["paper_f1_direction"] == table["encoder"].map(PAPER_F1_DIRECTION)).all()
    summary = agreement_summary(table).set_index("encoder")
    assert summary.at["bilstm", "agrees"] == 1 and summary.at["bilstm", "opposes"] == 1


@pytest.mark.parametrize(
    ("delta", "p", "paper", "expected"),
    [
        (0.01, 0.01, 1, "agrees"),
        (-0.01, 0.01, 1, "opposes"),
        (-0.01, 0.5, 1, "opposite sign, n.s."),
        (0.01, 0.5, -1, "opposite sign, n.s."),
        (0.0, 1.0, 1, "no difference"),
        (math.nan, math.nan, 1, "not comparable"),
        (0.01, 0.01, 0, "not comparable"),
        (0.01, math.nan, 1, "same sign, n.s."),  # one fold: no test, never "agrees"
    ],
)
def test_agreement_classes(delta: float, p: float, paper: int, expected: str) -> None:
    assert agreement(delta, p, paper, 0.05) == expected


def test_missing_columns_name_the_table() -> None:
    with pytest.raises(Exception, match="tweet_results"):
        paper_comparison_table(pd.DataFrame({"pair": []}), pd.DataFrame(), 0.05)
