"""The README's table numbers as flat ``{metric name: value}`` dicts, for run tracking.

Names are stable and readable in ``mlflow ui``: ``table1.related.stl_score``,
``table2.unrelated.meta_f1.only_curve``, ``tweets.flu.flu_relevance.cnn.mtl_accuracy``.
Missing (NaN) numbers are left out: a metric that was not computed is never logged as a value.
"""

from __future__ import annotations

import math

import pandas as pd

from mtl_pipeline.features.ratios import require_columns

TWEET_METRIC_COLUMNS = ("stl_accuracy", "mtl_accuracy", "stl_f1", "mtl_f1")


def _name(*parts: object) -> str:
    return ".".join(str(p).replace(" ", "_") for p in parts if p is not None and p == p)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(float(value))


def paper_comparison_metrics(paper_comparison: pd.DataFrame) -> dict[str, float]:
    """Our numbers of Tables 1 and 2 (column ``ours``), one metric per row of the table."""
    require_columns(paper_comparison, ["table", "problem", "quantity", "ours"], "paper_comparison")
    subset = (
        paper_comparison["feature_subset"]
        if "feature_subset" in paper_comparison
        else pd.Series(None, index=paper_comparison.index)
    )
    out = {}
    for (table, problem, quantity, ours), feature_subset in zip(
        paper_comparison[["table", "problem", "quantity", "ours"]].itertuples(index=False),
        subset,
        strict=True,
    ):
        if _finite(ours):
            key = _name(str(table).lower().replace(" ", ""), problem, quantity, feature_subset)
            out[key] = float(ours)
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


# Catalog entries whose saved tables become run metrics, and how.
METRIC_TABLES = {
    "paper_comparison": paper_comparison_metrics,
    "tweet_results": tweet_results_metrics,
}
