"""The README's table numbers as flat ``{metric name: value}`` dicts, for run tracking.

kedro-mlflow's metric datasets (``table1_metrics``, ``table2_metrics``, ``tweet_results_metrics``
in the catalog) log them; :func:`for_metrics_dataset` gives one table's share in their format.

Names are stable and readable in ``mlflow ui``: ``table1.related.test_f1.epoch100.stl_mean``,
``table2.unrelated.only_curve.accuracy``, ``tweets.flu.flu_relevance.cnn.mtl_accuracy``.
Missing (NaN) numbers are left out: a metric that was not computed is never logged as a value.
"""

from __future__ import annotations

import math

import pandas as pd

from mtl_pipeline.frames import require_columns

TWEET_METRIC_COLUMNS = ("stl_accuracy", "mtl_accuracy", "stl_f1", "mtl_f1")


def _name(*parts: object) -> str:
    return ".".join(str(p).replace(" ", "_") for p in parts if p is not None and not pd.isna(p))


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def paper_comparison_metrics(paper_comparison: pd.DataFrame) -> dict[str, float]:
    """Our numbers of Tables 1 and 2 (column ``ours``; Table 2 also ``ours_baseline``).

    Table 1: ``table1.<problem>.<metric>.epoch<stl>[_<mtl>].<quantity>``, e.g.
    ``table1.related.test_f1.epoch100.improved_share``; Table 2:
    ``table2.<problem>.<feature_subset>.<metric>`` and ``….<metric>_baseline`` (majority class).
    Rows without a number of ours (degenerate, not computed) give no metric.
    """
    require_columns(
        paper_comparison, ["table", "problem", "quantity", "metric", "ours"], "paper_comparison"
    )
    out: dict[str, float] = {}
    for row in paper_comparison.to_dict("records"):
        table = str(row["table"]).lower().replace(" ", "")
        if table == "table1":
            stl, mtl = row.get("stl_epoch"), row.get("mtl_epoch")
            stl = int(stl)
            epoch = f"epoch{stl}" if pd.isna(mtl) or mtl == stl else f"epoch{stl}_{int(mtl)}"
            names = {"ours": _name(table, row["problem"], row["metric"], epoch, row["quantity"])}
        else:
            base = _name(table, row["problem"], row.get("feature_subset"), row["metric"])
            names = {"ours": base, "ours_baseline": f"{base}_baseline"}
        for column, name in names.items():
            value = row.get(column)
            if _finite(value):
                if name in out:
                    raise ValueError(f"paper_comparison: two rows give the metric '{name}'")
                out[name] = float(value)
    return out


def tweet_results_metrics(tweet_results: pd.DataFrame) -> dict[str, float]:
    """STL/MTL accuracy and F1 (mean over folds) per pair, task and encoder."""
    require_columns(
        tweet_results, ["pair", "task", "encoder", *TWEET_METRIC_COLUMNS], "tweet_results"
    )
    out = {}
    for row in tweet_results.itertuples(index=False):
        for column in TWEET_METRIC_COLUMNS:
            value = getattr(row, column)
            if _finite(value):
                out[_name("tweets", row.pair, row.task, row.encoder, column)] = float(value)
    return out


def for_metrics_dataset(metrics: dict[str, float], prefix: str) -> dict[str, dict[str, float]]:
    """The metrics named ``<prefix>.…`` as kedro-mlflow's ``MlflowMetricsHistoryDataset`` takes
    them: ``{name without the prefix: {"value": v, "step": 0}}`` (the dataset adds the prefix)."""
    start = f"{prefix}."
    return {
        name.removeprefix(start): {"value": value, "step": 0}
        for name, value in metrics.items()
        if name.startswith(start)
    }
