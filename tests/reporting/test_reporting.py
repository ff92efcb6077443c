"""Reporting: the paper comparison table and the figures' data and PNG rendering."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from mtl_pipeline.reporting.figures import (
    f1_over_epochs,
    f1_over_epochs_figure,
    meta_coefficients_figure,
    relative_gains_by_class_pair,
    relative_gains_figure,
)
from mtl_pipeline.reporting.tables import PAPER_TABLE1, PAPER_TABLE2, paper_comparison, table1


def _pairs():
    return pd.DataFrame(
        {
            "pair_id": ["q0", "q1", "q0"],
            "problem": ["related", "related", "unrelated"],
            "main_a": ["a", "a", "a"],
            "main_b": ["b", "c", "b"],
            "aux_c": ["c", "b", "x"],
            "aux_d": ["d", "d", "y"],
            "main_task": ["a vs b", "a vs c", "a vs b"],
            "aux_task": ["c vs d", "b vs d", "x vs y"],
        }
    )


def _gains():
    rows = []
    for seed in (0, 1):
        for pid, problem, main, aux, stl, mtl in (
            ("q0", "related", "a vs b", "c vs d", 0.8, 0.9),
            ("q1", "related", "a vs c", "b vs d", 0.5, 0.4),
            ("q0", "unrelated", "a vs b", "x vs y", 0.8, 0.8),
        ):
            rows.append(
                {
                    "pair_id": pid,
                    "problem": problem,
                    "seed": seed,
                    "main_task": main,
                    "aux_task": aux,
                    "stl_score": stl,
                    "mtl_score": mtl + 0.02 * seed,
                }
            )
    g = pd.DataFrame(rows)
    g["gain"] = g["mtl_score"] - g["stl_score"]
    g["improved"] = g["gain"] > 0
    return g


def _meta_scores():
    return pd.DataFrame(
        {
            "problem": ["related", "related"],
            "feature_subset": ["all", "only_curve"],
            "f1_mean": [0.6, 0.75],
        }
    )


def test_table1_values():
    t = table1(_gains()).set_index("problem")
    assert t.loc["related", "stl_score"] == pytest.approx(0.65)
    assert t.loc["related", "mtl_score"] == pytest.approx((0.9 + 0.4 + 0.92 + 0.42) / 4)
    assert t.loc["related", "improved_share"] == pytest.approx(0.5)
    assert t.loc["unrelated", "improved_share"] == pytest.approx(0.5)  # 0.0 gain is not improved
    assert t.loc["related", "n_pairs"] == 2 and t.loc["related", "n_seeds"] == 2


def test_paper_comparison_has_every_paper_number_and_differences():
    cmp = paper_comparison(_gains(), _meta_scores())
    assert list(cmp.columns) == [
        "table",
        "problem",
        "quantity",
        "feature_subset",
        "ours",
        "paper",
        "difference",
    ]
    assert len(cmp) == 2 * 3 + 2 * 4  # Table 1: 2 problems x 3; Table 2: 2 problems x 4 subsets
    t1 = cmp.loc[cmp["table"] == "Table 1"].set_index(["problem", "quantity"])
    assert t1.loc[("related", "stl_score"), "paper"] == 0.834
    assert t1.loc[("unrelated", "improved_share"), "paper"] == 0.572
    assert t1.loc[("related", "stl_score"), "difference"] == pytest.approx(0.65 - 0.834)
    t2 = cmp.loc[cmp["table"] == "Table 2"].set_index(["problem", "feature_subset"])
    for problem, subsets in PAPER_TABLE2.items():
        for subset, value in subsets.items():
            assert t2.loc[(problem, subset), "paper"] == value
    assert t2.loc[("related", "only_curve"), "difference"] == pytest.approx(0.75 - 0.71)
    assert np.isnan(t2.loc[("unrelated", "all"), "ours"])  # not computed: NaN, paper kept
    assert set(PAPER_TABLE1) == {"related", "unrelated"}


def test_paper_comparison_does_not_compare_accuracy_with_paper_f1():
    gains = _gains().assign(metric="test_accuracy")
    t1 = paper_comparison(gains, _meta_scores()).query("table == 'Table 1'")
    t1 = t1.set_index(["problem", "quantity"])
    assert np.isnan(t1.loc[("related", "stl_score"), "paper"])
    assert np.isnan(t1.loc[("related", "mtl_score"), "difference"])
    assert t1.loc[("related", "improved_share"), "paper"] == 0.719  # a share is comparable


def _curves():
    rows = []
    for seed in (0, 1):
        for task in ("a vs b", "a vs c"):
            for epoch in (1, 2):
                rows.append(
                    {
                        "model_id": f"stl|{task}|{seed}",
                        "kind": "stl",
                        "seed": seed,
                        "task": task,
                        "epoch": epoch,
                        "test_f1": 0.5 + 0.1 * epoch,
                        "pair_id": None,
                        "aux_task": None,
                    }
                )
        for pid, main, aux, base in (
            ("q0", "a vs b", "c vs d", 0.6),
            ("q1", "a vs c", "b vs d", 0.7),
            ("q0", "a vs b", "x vs y", 0.9),
        ):
            for epoch in (1, 2):
                rows.append(
                    {
                        "model_id": f"mtl|{pid}|{aux}|{seed}",
                        "kind": "mtl",
                        "seed": seed,
                        "task": main,
                        "epoch": epoch,
                        "test_f1": base + 0.01 * epoch,
                        "pair_id": pid,
                        "aux_task": aux,
                    }
                )
    return pd.DataFrame(rows)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_f1_over_epochs_data_and_figure():
    d = f1_over_epochs(_curves(), _pairs()).set_index(["problem", "kind", "epoch"])
    assert d.loc[("related", "mtl", 1), "mean"] == pytest.approx(0.66)
    assert d.loc[("unrelated", "mtl", 2), "mean"] == pytest.approx(0.92)
    assert d.loc[("related", "stl", 2), "mean"] == pytest.approx(0.7)
    assert d.loc[("related", "stl", 2), "count"] == 4  # 2 pairs x 2 seeds
    fig = f1_over_epochs_figure(_curves(), _pairs())
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert _png(fig).startswith(b"\x89PNG")


def test_relative_gains_data_and_figure():
    d = relative_gains_by_class_pair(_gains(), _pairs()).set_index(["problem", "main_a", "main_b"])
    assert d.loc[("related", "a", "b"), "relative_gain_mean"] == pytest.approx(
        np.mean([0.1 / 0.8, 0.12 / 0.8])
    )
    assert d.loc[("related", "a", "c"), "relative_gain_mean"] == pytest.approx(
        np.mean([-0.1 / 0.5, -0.08 / 0.5])
    )
    fig = relative_gains_figure(_gains(), _pairs())
    assert isinstance(fig, Figure) and _png(fig).startswith(b"\x89PNG")


def test_coefficient_figure_renders_top_features():
    coefs = pd.DataFrame(
        {
            "problem": "related",
            "feature_subset": "all",
            "feature": [f"ratio_f{i}" for i in range(5)],
            "coef_mean": [0.5, -0.2, 0.1, 0.0, 1.0],
            "coef_std": 0.1,
            "inverse_rank_mean": [0.5, 0.33, 0.25, 0.2, 1.0],
            "n_models": 10,
        }
    )
    fig = meta_coefficients_figure(coefs, top_n=3)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert set(labels) == {"ratio_f4", "ratio_f0", "ratio_f1"}
    assert _png(fig).startswith(b"\x89PNG")
