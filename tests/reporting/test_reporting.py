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
    meta_coefficients_plotly,
    relative_gains_by_class_pair,
    relative_gains_figure,
    relative_gains_plotly,
)
from mtl_pipeline.reporting.tables import PAPER_TABLE2, paper_comparison, table1


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


def _meta_scores(labels="as_released", status="ok"):
    from mtl_pipeline.meta.model import subset_content

    subsets = ["all", "no_curve", "only_curve", "only_ratio"]
    return pd.DataFrame(
        {
            "problem": "related",
            "feature_subset": subsets,
            "feature_set": [subset_content(s, labels) for s in subsets],
            "majority_share": 0.6,
            "accuracy_mean": [0.6, 0.62, 0.75, 0.7],
            "balanced_accuracy_mean": 0.55,
            "f1_mean": 0.5,
            "baseline_accuracy_mean": 0.58,
            "baseline_balanced_accuracy_mean": 0.5,
            "baseline_f1_mean": 0.7,
            "evaluation": "per_seed",
            "cv": "kfold",
            "fold_scoring": "fold_mean",
            "scaler": "standard",
            "scaling": "all_data",
            "status": status,
            "note": "" if status == "ok" else "folds reduced from 5 to 2",
        }
    )


def _gains_at(metric="test_accuracy", epoch=81):
    return _gains().assign(metric=metric, stl_epoch=epoch, mtl_epoch=epoch)


def _accuracy_curves(last=90):
    """STL / MTL curves whose scores are known: STL = 0.5 + epoch/1000, MTL = STL ± 0.01."""
    rows = []
    for seed in (0, 1):
        for task in ("a vs b", "a vs c"):
            for epoch in range(1, last + 1):
                v = 0.5 + epoch / 1000
                rows.append(("stl", seed, task, None, None, epoch, v, v - 0.1))
        for pid, main, aux, sign in (
            ("q0", "a vs b", "c vs d", 1),
            ("q1", "a vs c", "b vs d", -1),
            ("q0", "a vs b", "x vs y", 1),
        ):
            for epoch in range(1, last + 1):
                v = 0.5 + epoch / 1000 + sign * 0.01
                rows.append(("mtl", seed, main, pid, aux, epoch, v, v - 0.1))
    cols = ["kind", "seed", "task", "pair_id", "aux_task", "epoch", "test_accuracy", "test_f1"]
    return pd.DataFrame(rows, columns=cols)


def test_table1_values():
    t = table1(_gains_at()).set_index("problem")
    assert t.loc["related", "stl_mean"] == pytest.approx(0.65)
    assert t.loc["related", "mtl_mean"] == pytest.approx((0.9 + 0.4 + 0.92 + 0.42) / 4)
    assert t.loc["related", "improved_share"] == pytest.approx(0.5)
    assert t.loc["unrelated", "improved_share"] == pytest.approx(0.5)  # 0.0 gain is not improved
    assert t.loc["related", "n_pairs"] == 2 and t.loc["related", "n_seeds"] == 2
    assert t.loc["related", "stl_epoch"] == 81 and t.loc["related", "metric"] == "test_accuracy"


def test_table1_is_the_gains_summary_for_every_metric_and_the_papers_epoch():
    from mtl_pipeline.tasks.gains import rescore_gains, summarise_gains

    gains = _gains_at("test_f1", epoch=90)  # the study's own reading: F1 at the last epoch
    t = table1(gains, _accuracy_curves(90))
    readings = set(zip(t["metric"], t["stl_epoch"], t["mtl_epoch"], strict=True))
    assert readings == {
        ("test_accuracy", 90, 90),
        ("test_f1", 90, 90),
        ("test_accuracy", 81, 81),
        ("test_f1", 81, 81),
    }
    acc81 = t.query("metric == 'test_accuracy' and stl_epoch == 81").set_index("problem")
    assert acc81.loc["related", "stl_mean"] == pytest.approx(0.581)
    assert acc81.loc["related", "mtl_mean"] == pytest.approx(0.581)  # +0.01 and -0.01 pairs
    assert acc81.loc["related", "improved_share"] == pytest.approx(0.5)
    assert acc81.loc["unrelated", "improved_share"] == pytest.approx(1.0)
    # one implementation: the same numbers as the gains node's summary of the same reading
    own = t.query("metric == 'test_f1' and stl_epoch == 90").reset_index(drop=True)
    direct = summarise_gains(rescore_gains(gains, _accuracy_curves(90), "test_f1"))
    pd.testing.assert_frame_equal(own[direct.columns], direct)
    with pytest.raises(ValueError, match="epoch 95"):
        rescore_gains(gains, _accuracy_curves(90), "test_f1", stl_epoch=95)


def test_paper_table1_only_beside_accuracy_at_epoch_81():
    cmp = paper_comparison(_gains_at("test_f1", 90), _meta_scores(), _accuracy_curves(90))
    t1 = cmp.query("table == 'Table 1'")
    beside = t1.dropna(subset=["paper", "ours"])
    assert set(beside["metric"]) == {"test_accuracy"}
    assert set(beside["stl_epoch"]) == {81} and set(beside["mtl_epoch"]) == {81}
    row = beside.set_index(["problem", "quantity"])
    assert row.loc[("related", "stl_mean"), "paper"] == 0.834
    assert row.loc[("related", "stl_mean"), "difference"] == pytest.approx(0.581 - 0.834)
    assert row.loc[("unrelated", "improved_share"), "paper"] == 0.572
    f1 = t1.query("metric == 'test_f1'")
    assert f1["paper"].isna().all() and f1["ours"].notna().all()
    # curves that stop before epoch 81: the paper's numbers are listed, ours left empty
    short = paper_comparison(_gains_at("test_f1", 20), _meta_scores(), _accuracy_curves(20))
    t1 = short.query("table == 'Table 1'")
    assert t1.dropna(subset=["paper", "ours"]).empty
    assert {0.834, 0.843, 0.893, 0.897} <= set(t1["paper"].dropna())


def test_paper_table2_beside_the_same_feature_set_with_baselines():
    cmp = paper_comparison(_gains_at(), _meta_scores("as_released"))
    t2 = cmp.query("table == 'Table 2' and metric == 'accuracy'").set_index("feature_subset")
    for subset, value in PAPER_TABLE2["related"].items():
        assert t2.loc[subset, "paper"] == value and t2.loc[subset, "paper_row"] == subset
        assert t2.loc[subset, "paper_baseline"] == 0.719
        assert t2.loc[subset, "ours_baseline"] == 0.6  # majority share
    assert t2.loc["only_curve", "difference"] == pytest.approx(0.75 - 0.71)
    other = cmp.query("table == 'Table 2' and metric != 'accuracy'")
    assert set(other["metric"]) == {"balanced_accuracy", "f1"}
    assert other["paper"].isna().all() and other["ours_baseline"].notna().all()
    # as named, our "no_curve" holds the features of the paper's "only curve" row
    named = paper_comparison(_gains_at(), _meta_scores("as_named"))
    t2 = named.query("table == 'Table 2' and metric == 'accuracy' and ours == ours")
    t2 = t2.set_index("feature_subset")
    assert t2.loc["no_curve", "paper_row"] == "only_curve" and t2.loc["no_curve", "paper"] == 0.71
    assert np.isnan(t2.loc["only_curve", "paper"])  # curve only: the paper has no such row
    listed = named.query("table == 'Table 2' and ours != ours")
    assert {0.66, 0.69} <= set(listed.query("problem == 'related'")["paper"])


def test_degenerate_meta_model_is_not_reported_as_a_finding():
    cmp = paper_comparison(_gains_at(), _meta_scores(status="degenerate"))
    t2 = cmp.query("table == 'Table 2' and feature_subset == feature_subset")
    assert t2["ours"].isna().all() and (t2["status"] == "degenerate").all()
    assert t2["note"].str.contains("not a finding").all()


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
    # a degenerate meta-model: no bars, the reason instead
    scores = pd.DataFrame(
        {
            "problem": ["related"],
            "feature_subset": ["all"],
            "status": ["degenerate"],
            "note": ["folds reduced from 5 to 2"],
        }
    )
    fig = meta_coefficients_figure(coefs.assign(status="degenerate"), top_n=3, meta_scores=scores)
    assert not fig.axes[0].patches
    assert any("folds reduced" in t.get_text() for t in fig.axes[0].texts)
    # the title and caption say there is no finding, not what bars would mean
    assert fig.get_suptitle().endswith(": no finding")
    assert "no bars" in fig.get_supxlabel() and "error bar" not in fig.get_supxlabel()
    assert _png(fig).startswith(b"\x89PNG")
    plotly_fig = meta_coefficients_plotly(
        coefs.assign(status="degenerate"), top_n=3, meta_scores=scores
    )
    assert plotly_fig.layout.title.text.endswith(": no finding") and not plotly_fig.data


def test_wide_tables_for_the_readme():
    from mtl_pipeline.reporting.tables import table1_wide, table2_wide

    cmp = paper_comparison(_gains_at("test_f1", 90), _meta_scores(), _accuracy_curves(90))
    t1 = table1_wide(cmp).set_index(["problem", "metric", "stl_epoch"])
    row = t1.loc[("related", "test_accuracy", 81)]
    assert row["ours_stl_mean"] == pytest.approx(0.581) and row["paper_stl_mean"] == 0.834
    assert np.isnan(t1.loc[("related", "test_f1", 90), "paper_stl_mean"])
    # Table 1 carries its uncertainty: intervals over main tasks, runs, the verdict
    assert row["ours_stl_mean_ci_low"] <= 0.581 <= row["ours_stl_mean_ci_high"]
    low, high = row["paper_improved_share_ci_low"], row["paper_improved_share_ci_high"]
    assert 0.62 < low < 0.719 < high < 0.80  # the released logs' bootstrap
    assert row["paper_runs"] == "32, 41, 38, 38, 38 of 52"
    assert row["ours_runs"].endswith(" of 2")
    assert row["verdict_stl_mean"] == "not reproduced"  # 0.581 against 0.834
    assert pd.isna(t1.loc[("related", "test_f1", 90), "verdict_stl_mean"]) or (
        t1.loc[("related", "test_f1", 90), "verdict_stl_mean"] == ""
    )
    from mtl_pipeline.readme_tables import table1_markdown
    from mtl_pipeline.tasks.gains import summarise_gains

    text = table1_markdown(cmp, summarise_gains(_gains_at("test_f1", 90)))
    line = next(x for x in text.splitlines() if "| accuracy | 81 / 81 |" in x and "related" in x)
    assert "71.9 % [" in line and "32, 41, 38, 38, 38 of 52" in line
    assert "not reproduced / " in line
    t2 = table2_wide(cmp).set_index(["problem", "row"])
    r = t2.loc[("related", "only_curve")]
    assert (r["accuracy"], r["accuracy_baseline"], r["paper_accuracy"]) == (0.75, 0.6, 0.71)
    assert r["paper_baseline"] == 0.719 and r["f1_baseline"] == 0.7
    assert t2.loc[("unrelated", "(paper: all)"), "paper_accuracy"] == 0.57  # listed, not ours


def _pdf(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf")
    return buf.getvalue()


def test_figures_are_titled_with_worded_axes_and_shared_ranges():
    fig = f1_over_epochs_figure(_curves(), _pairs())
    related, unrelated = fig.axes
    assert fig.get_suptitle().startswith("Main-task test F1 over training")
    assert related.get_ylabel() == "mean main-task test F1"
    assert related.get_xlabel() == "training epoch"
    assert related.get_ylim() == unrelated.get_ylim()  # panels compared on one range
    assert "standard deviation" in fig.get_supxlabel()  # the band is explained
    assert _pdf(fig).startswith(b"%PDF")


def test_relative_gains_matrix_is_compact_and_interactive_version_names_the_pair():
    fig = relative_gains_figure(_gains(), _pairs())
    matrix_axes = [ax for ax in fig.axes if ax.get_title()]
    related = next(ax for ax in matrix_axes if ax.get_title() == "related pairs")
    rows = [t.get_text() for t in related.get_yticklabels()]
    cols = [t.get_text() for t in related.get_xticklabels()]
    assert rows == ["a"] and cols == ["b", "c"]  # only classes that occur, no mirrored half
    assert min(t.get_fontsize() for t in related.get_xticklabels()) >= 8
    interactive = relative_gains_plotly(_gains(), _pairs())
    hover = [text for trace in interactive.data for text in np.ravel(trace.text) if text]
    assert any(text.startswith("main task: a vs b") for text in hover)


def test_heatmap_cells_without_a_pair_cannot_be_read_as_a_small_gain():
    """An empty cell (no main task with those classes) looks nothing like a near-zero gain, and
    the figure says what it is; the plotly version draws no grid lines through its cells."""
    from matplotlib.colors import to_rgba

    from mtl_pipeline.reporting import style

    # a related main task "b vs c" beside "a vs b" and "a vs c": rows a, b × columns b, c leave
    # the cell (b, b) without a pair
    extra_pair = {"pair_id": "q2", "problem": "related", "main_a": "b", "main_b": "c"}
    extra_pair |= {"aux_c": "a", "aux_d": "d", "main_task": "b vs c", "aux_task": "a vs d"}
    pairs = pd.concat([_pairs(), pd.DataFrame([extra_pair])], ignore_index=True)
    extra_gain = {"pair_id": "q2", "problem": "related", "seed": 0, "main_task": "b vs c"}
    extra_gain |= {"aux_task": "a vs d", "stl_score": 0.7, "mtl_score": 0.7001}
    gains = pd.concat([_gains(), pd.DataFrame([extra_gain])], ignore_index=True)
    gains["gain"] = gains["mtl_score"] - gains["stl_score"]
    gains["improved"] = gains["gain"] > 0
    fig = relative_gains_figure(gains, pairs)
    related = next(ax for ax in fig.axes if ax.get_title() == "related pairs")
    (image,) = related.get_images()
    assert np.ma.getmaskarray(image.get_array()).sum() == 1  # the one cell without a pair
    assert image.get_cmap().get_bad()[3] == 0.0  # transparent: the hatched background shows
    assert related.patch.get_hatch() == style.MISSING_CELL_HATCH
    near_zero = image.get_cmap()(0.5)  # the colour of a gain of 0
    assert to_rgba(style.MISSING_CELL_COLOR) != pytest.approx(near_zero, abs=0.1)
    assert "hatched cell: no main task" in fig.get_supxlabel()
    interactive = relative_gains_plotly(gains, pairs)
    for axis in (interactive.layout.xaxis, interactive.layout.yaxis):
        assert axis.showgrid is False and axis.zeroline is False
    assert interactive.layout.plot_bgcolor == style.MISSING_CELL_COLOR
    assert "grey: no pair" in interactive.layout.title.text


def pdf_font_types(pdf: bytes) -> set[str]:
    """The ``/Subtype`` of every font a PDF embeds (matplotlib writes font dictionaries as plain,
    uncompressed objects): ``Type3`` for matplotlib's default, ``Type0`` / ``CIDFontType2`` /
    ``TrueType`` for Type 42."""
    import re

    found = set()
    for obj in re.findall(rb"<<(.*?)>>", pdf, flags=re.S):
        if re.search(rb"/Type\s*/Font\b", obj):
            subtype = re.search(rb"/Subtype\s*/(\w+)", obj)
            found.add(subtype.group(1).decode() if subtype else "?")
    return found


def _two_coefficients() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "problem": "related",
            "feature_subset": "all",
            "feature": ["f1", "f2"],
            "coef_mean": [0.5, -0.2],
            "coef_std": 0.1,
            "inverse_rank_mean": [1.0, 0.5],
            "n_models": 10,
        }
    )


def test_every_figure_pdf_embeds_truetype_fonts_not_type3():
    """ACL's and IEEE's submission checks reject Type 3 fonts (matplotlib's default)."""
    coefs = _two_coefficients()
    figures = {
        "f1_over_epochs": f1_over_epochs_figure(_curves(), _pairs()),
        "relative_gains": relative_gains_figure(_gains(), _pairs()),
        "meta_coefficients": meta_coefficients_figure(coefs, top_n=2),
    }
    for name, fig in figures.items():
        fonts = pdf_font_types(_pdf(fig))
        assert fonts and "Type3" not in fonts, (name, fonts)
        assert fonts <= {"Type0", "CIDFontType2", "TrueType"}, (name, fonts)


def test_coefficient_plotly_hover_has_feature_and_rank():
    coefs = _two_coefficients()
    fig = meta_coefficients_plotly(coefs, top_n=2)
    (bar,) = fig.data
    assert list(bar.y) == ["f2", "f1"] and "inverse rank" in bar.hovertemplate


def test_table_numbers_become_named_metrics_and_nan_is_left_out():
    from mtl_pipeline.reporting.run_metrics import paper_comparison_metrics, tweet_results_metrics

    comparison = pd.DataFrame(
        {
            "table": ["Table 1", "Table 1", "Table 2", "Table 2"],
            "problem": ["related", "related", "related", "unrelated"],
            "quantity": ["stl_mean", "stl_mean", "meta_model", "meta_model"],
            "metric": ["test_f1", "test_accuracy", "accuracy", "f1"],
            "stl_epoch": [100, 81, None, None],
            "mtl_epoch": [100, 81, None, None],
            "feature_subset": [None, None, "only_curve", "all"],
            "ours": [0.9, float("nan"), 0.5, float("nan")],
            "ours_baseline": [float("nan"), float("nan"), 0.55, 0.6],
            "paper": [float("nan"), 0.834, 0.71, 0.57],
        }
    )
    assert paper_comparison_metrics(comparison) == {
        "table1.related.test_f1.epoch100.stl_mean": 0.9,
        "table2.related.only_curve.accuracy": 0.5,
        "table2.related.only_curve.accuracy_baseline": 0.55,
        "table2.unrelated.all.f1_baseline": 0.6,
    }
    results = pd.DataFrame(
        {
            "pair": ["flu"],
            "task": ["flu_relevance"],
            "encoder": ["cnn"],
            "stl_accuracy": [0.7],
            "mtl_accuracy": [0.75],
            "stl_f1": [0.6],
            "mtl_f1": [float("nan")],
        }
    )
    assert tweet_results_metrics(results) == {
        "tweets.flu.flu_relevance.cnn.stl_accuracy": 0.7,
        "tweets.flu.flu_relevance.cnn.mtl_accuracy": 0.75,
        "tweets.flu.flu_relevance.cnn.stl_f1": 0.6,
    }
