"""Our Tables 1 and 2 beside the numbers Kerinec, Braud & Søgaard (2018) report, like for like.

What the paper's numbers are (checked against the result logs stored with the authors' released
code, ``exp1_0``…``exp1_4`` and ``exp2_0``):

- Table 1: mean main-task test ACCURACY of the STL and MTL models read at epoch index 80 of the
  Keras logs (0-based, = our 1-based epoch 81), and the share of pair × seed runs where MTL beat
  STL. Related: 52 pairs × 5 seeds; unrelated: 516 pairs × 1 seed.
- Table 2: meta-model ACCURACY, the mean over seeds of one meta-model per seed (100 × unstratified
  5-fold CV, fold-mean accuracy), for the subsets as the released code built them (see
  :mod:`mtl_pipeline.meta.model`: its "only curve" row holds every non-curve feature, etc.).
- The majority-class baseline of Table 2 (accuracy of always predicting "improved"), from the
  same logs: 0.719 related (32, 41, 38, 38, 38 of 52 pairs improved over seeds 0–4), 0.572
  unrelated (seed 0).

``paper_comparison`` puts the paper's number beside ours only where both are the same quantity:
Table 1 rows of the same metric read at the same epochs; Table 2 rows of the same metric over
the same feature set (whatever its label). Everything else keeps ``paper`` NaN.

Table 1 rows carry their uncertainty (:mod:`.uncertainty`): a 95 % bootstrap interval over main
tasks for ours and, from the released logs (:mod:`.released_logs`), for the paper's; the pairs
improved per run (seed) of each; and a ``verdict`` judged on the intervals, not on the point
difference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mtl_pipeline.frames import require_columns
from mtl_pipeline.meta.columns import subset_content
from mtl_pipeline.meta.config import STATUS_OK
from mtl_pipeline.tasks.gains import rescore_gains, summarise_gains

from .released_logs import load_released_gains
from .uncertainty import QUANTITIES, bootstrap_intervals, runs_improved, verdict

# The epoch the paper's Table 1 was read at, on our 1-based epoch scale (index 80 of the logs).
PAPER_EPOCH = 81
PAPER_METRIC = "test_accuracy"
# Table 1 of the paper: mean main-task test accuracy of STL and MTL, share of runs improved.
PAPER_TABLE1: dict[str, dict[str, float]] = {
    "related": {"stl_mean": 0.834, "mtl_mean": 0.843, "improved_share": 0.719},
    "unrelated": {"stl_mean": 0.893, "mtl_mean": 0.897, "improved_share": 0.572},
}
# Table 2 of the paper: meta-model accuracy per published row label and problem.
PAPER_TABLE2: dict[str, dict[str, float]] = {
    "related": {"all": 0.67, "no_curve": 0.66, "only_curve": 0.71, "only_ratio": 0.69},
    "unrelated": {"all": 0.57, "no_curve": 0.53, "only_curve": 0.58, "only_ratio": 0.57},
}
# Majority-class accuracy of the paper's meta-examples (from the released logs).
PAPER_MAJORITY_BASELINE: dict[str, float] = {"related": 0.719, "unrelated": 0.572}
PAPER_META_PROTOCOL = "per_seed, kfold, fold_mean, standard all_data"
TABLE1_METRICS = ("test_accuracy", "test_f1")
TABLE2_METRICS = ("accuracy", "balanced_accuracy", "f1")
INTERVAL_COLUMNS = ("ours_ci_low", "ours_ci_high", "paper_ci_low", "paper_ci_high")
COMPARISON_COLUMNS = [
    "table",
    "problem",
    "quantity",
    "metric",
    "stl_epoch",
    "mtl_epoch",
    "feature_subset",
    "feature_set",
    "paper_row",
    "ours",
    "ours_baseline",
    "paper",
    "paper_baseline",
    "difference",
    *INTERVAL_COLUMNS,
    "ours_runs",
    "paper_runs",
    "verdict",
    "status",
    "note",
]


def summary_with_uncertainty(gains: pd.DataFrame) -> pd.DataFrame:
    """``summarise_gains`` + per quantity its bootstrap interval (``<quantity>_ci_low`` /
    ``_ci_high``) and ``improved_runs``, the pairs improved per seed (:mod:`.uncertainty`)."""
    summary = summarise_gains(gains)
    intervals = bootstrap_intervals(gains).pivot(
        index="problem", columns="quantity", values=["ci_low", "ci_high"]
    )
    for quantity in QUANTITIES:
        for side in ("ci_low", "ci_high"):
            summary[f"{quantity}_{side}"] = summary["problem"].map(intervals[(side, quantity)])
    summary["improved_runs"] = summary["problem"].map(runs_improved(gains))
    return summary


def paper_table1() -> pd.DataFrame:
    """The paper's Table 1 with its uncertainty, rebuilt from the released logs."""
    return summary_with_uncertainty(load_released_gains())


def table1(
    mtl_gains: pd.DataFrame,
    learning_curves: pd.DataFrame | None = None,
    metrics: tuple[str, ...] = TABLE1_METRICS,
    paper_epoch: int = PAPER_EPOCH,
) -> pd.DataFrame:
    """Table 1 per problem, metric and reading epoch (rows of :func:`summarise_gains`).

    Without ``learning_curves``: the gains' own metric and epochs only. With them: every metric
    in ``metrics`` at the epochs the gains were read at and, where the curves reach it and it
    differs, at the paper's epoch too; always over the same pair × seed rows as ``mtl_gains``.
    """
    require_columns(
        mtl_gains,
        ["pair_id", "problem", "seed", "main_task", "stl_score", "mtl_score", "improved"],
        "mtl_gains",
    )
    if learning_curves is None:
        return summary_with_uncertainty(mtl_gains)
    readings = [(None, None)]
    last = {
        k: int(learning_curves.loc[learning_curves["kind"] == k, "epoch"].max())
        for k in ("stl", "mtl")
    }
    own = {
        (int(a), int(b))
        for a, b in mtl_gains[["stl_epoch", "mtl_epoch"]].drop_duplicates().itertuples(index=False)
    }
    if (paper_epoch, paper_epoch) not in own and min(last.values()) >= paper_epoch:
        readings.append((paper_epoch, paper_epoch))
    parts = []
    for metric in metrics:
        if metric not in learning_curves.columns:
            continue
        for stl_epoch, mtl_epoch in readings:
            gains = rescore_gains(mtl_gains, learning_curves, metric, stl_epoch, mtl_epoch)
            parts.append(summary_with_uncertainty(gains))
    return pd.concat(parts, ignore_index=True)


def _table1_rows(t1: pd.DataFrame) -> list[dict]:
    rows = []
    paper_t1 = paper_table1().set_index("problem")
    for r in t1.itertuples(index=False):
        same = (
            r.metric == PAPER_METRIC
            and r.stl_epoch == PAPER_EPOCH
            and r.mtl_epoch == PAPER_EPOCH
            and r.problem in PAPER_TABLE1
        )
        for quantity in QUANTITIES:
            paper = PAPER_TABLE1[r.problem][quantity] if same else np.nan
            ours = getattr(r, quantity)
            ours_interval = (getattr(r, f"{quantity}_ci_low"), getattr(r, f"{quantity}_ci_high"))
            paper_interval = (
                tuple(
                    paper_t1.at[r.problem, f"{quantity}_{side}"] for side in ("ci_low", "ci_high")
                )
                if same
                else (np.nan, np.nan)
            )
            runs = quantity == "improved_share"
            note = (
                f"{r.n_pairs} pairs x {r.n_seeds} seeds"
                if same
                else f"{r.n_pairs} pairs x {r.n_seeds} seeds; the paper reports "
                f"{PAPER_METRIC} at epoch {PAPER_EPOCH} (index 80): not the same quantity"
            )
            rows.append(
                {
                    "table": "Table 1",
                    "problem": r.problem,
                    "quantity": quantity,
                    "metric": r.metric,
                    "stl_epoch": r.stl_epoch,
                    "mtl_epoch": r.mtl_epoch,
                    "ours": ours,
                    "paper": paper,
                    "ours_ci_low": ours_interval[0],
                    "ours_ci_high": ours_interval[1],
                    "paper_ci_low": paper_interval[0],
                    "paper_ci_high": paper_interval[1],
                    "ours_runs": r.improved_runs if runs else None,
                    "paper_runs": paper_t1.at[r.problem, "improved_runs"]
                    if runs and same
                    else None,
                    "verdict": verdict(ours, ours_interval, paper, paper_interval),
                    "status": STATUS_OK,
                    "note": note,
                }
            )
    return rows


def _protocol(row: pd.Series) -> str:
    fields = ("evaluation", "cv", "fold_scoring")
    if not all(f in row.index for f in fields):
        return ""
    scaling = f"{row.get('scaler', '')} {row.get('scaling', '')}".strip()
    return ", ".join([*(str(row[f]) for f in fields), scaling])


def _table2_rows(meta_scores: pd.DataFrame) -> list[dict]:
    paper_by_set = {
        (problem, subset_content(label, "as_released")): (label, value)
        for problem, labels in PAPER_TABLE2.items()
        for label, value in labels.items()
    }
    rows = []
    for _, r in meta_scores.iterrows():
        feature_set = r.get("feature_set") or subset_content(r["feature_subset"])
        status = r.get("status", STATUS_OK)
        protocol = _protocol(r)
        for metric in TABLE2_METRICS:
            if f"{metric}_mean" not in r.index:
                continue
            ours = float(r[f"{metric}_mean"])
            if metric == "accuracy" and "majority_share" in r.index:
                ours_baseline = float(r["majority_share"])
                baseline_note = "baseline: majority-class share"
            else:
                ours_baseline = float(r.get(f"baseline_{metric}_mean", np.nan))
                baseline_note = "baseline: training-fold majority class, cross-validated"
            paper_row, paper, paper_baseline = None, np.nan, np.nan
            notes = [baseline_note]
            if metric == "accuracy" and (r["problem"], feature_set) in paper_by_set:
                paper_row, paper = paper_by_set[(r["problem"], feature_set)]
                paper_baseline = PAPER_MAJORITY_BASELINE.get(r["problem"], np.nan)
                if protocol and protocol != PAPER_META_PROTOCOL:
                    notes.append(f"protocol differs: ours {protocol}; paper {PAPER_META_PROTOCOL}")
            if status != STATUS_OK:
                notes.insert(0, f"degenerate, not a finding: {r.get('note', '')}")
                ours, ours_baseline = np.nan, np.nan
            rows.append(
                {
                    "table": "Table 2",
                    "problem": r["problem"],
                    "quantity": "meta_model",
                    "metric": metric,
                    "feature_subset": r["feature_subset"],
                    "feature_set": feature_set,
                    "paper_row": paper_row,
                    "ours": ours,
                    "ours_baseline": ours_baseline,
                    "paper": paper,
                    "paper_baseline": paper_baseline,
                    "status": status,
                    "note": "; ".join(notes),
                }
            )
    return rows


def _unmatched_table1_rows(seen: set[tuple]) -> list[dict]:
    """The paper's Table 1 numbers that none of ours matches, with ``ours`` NaN."""
    rows = []
    paper_t1 = paper_table1().set_index("problem")
    for problem, values in PAPER_TABLE1.items():
        for quantity, value in values.items():
            if ("Table 1", problem, quantity) not in seen:
                rows.append(
                    {
                        "table": "Table 1",
                        "problem": problem,
                        "quantity": quantity,
                        "metric": PAPER_METRIC,
                        "stl_epoch": PAPER_EPOCH,
                        "mtl_epoch": PAPER_EPOCH,
                        "ours": np.nan,
                        "paper": value,
                        "paper_ci_low": paper_t1.at[problem, f"{quantity}_ci_low"],
                        "paper_ci_high": paper_t1.at[problem, f"{quantity}_ci_high"],
                        "paper_runs": paper_t1.at[problem, "improved_runs"]
                        if quantity == "improved_share"
                        else None,
                        "status": "not_computed",
                        "note": f"ours not read at epoch {PAPER_EPOCH} on {PAPER_METRIC}",
                    }
                )
    return rows


def _unmatched_table2_rows(seen: set[tuple]) -> list[dict]:
    """The paper's Table 2 rows over feature sets none of our meta-models used."""
    rows = []
    for problem, labels in PAPER_TABLE2.items():
        for label, value in labels.items():
            if ("Table 2", problem, label) not in seen:
                rows.append(
                    {
                        "table": "Table 2",
                        "problem": problem,
                        "quantity": "meta_model",
                        "metric": "accuracy",
                        "feature_set": subset_content(label, "as_released"),
                        "paper_row": label,
                        "ours": np.nan,
                        "paper": value,
                        "paper_baseline": PAPER_MAJORITY_BASELINE[problem],
                        "status": "not_computed",
                        "note": "no meta-model of ours over this feature set",
                    }
                )
    return rows


def paper_comparison(
    mtl_gains: pd.DataFrame,
    meta_scores: pd.DataFrame,
    learning_curves: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Long table of our Tables 1 and 2 with the paper's numbers where they are the same quantity.

    Columns: ``table``, ``problem``, ``quantity`` (Table 1: stl_mean, mtl_mean, improved_share —
    a fraction; Table 2: meta_model), ``metric`` and, for Table 1, ``stl_epoch``/``mtl_epoch``
    (1-based) it was read at; for Table 2 ``feature_subset`` (our label), ``feature_set`` (what
    it selected) and ``paper_row`` (the published row over the same features); ``ours``,
    ``ours_baseline`` (majority class; Table 2 only), ``paper``, ``paper_baseline``,
    ``difference`` = ours − paper, ``status`` and ``note``. A degenerate meta-model score is
    left out (``ours`` NaN, ``status`` degenerate). Paper rows that none of ours matches are
    listed with ``ours`` NaN, so every published number appears.
    """
    require_columns(meta_scores, ["problem", "feature_subset"], "meta_scores")
    rows = _table1_rows(table1(mtl_gains, learning_curves)) + _table2_rows(meta_scores)
    seen = {
        (r["table"], r["problem"], r.get("paper_row") or r["quantity"])
        for r in rows
        if not np.isnan(r["paper"])
    }
    rows += _unmatched_table1_rows(seen) + _unmatched_table2_rows(seen)
    out = pd.DataFrame(rows).reindex(columns=COMPARISON_COLUMNS)
    for c in ("ours", "ours_baseline", "paper", "paper_baseline", *INTERVAL_COLUMNS):
        out[c] = out[c].astype(float)
    for c in ("stl_epoch", "mtl_epoch"):
        out[c] = out[c].astype("Int64")
    out["difference"] = out["ours"] - out["paper"]
    return out.sort_values(["table", "problem"], kind="stable").reset_index(drop=True)


def table1_wide(comparison: pd.DataFrame) -> pd.DataFrame:
    """Table 1 of ``paper_comparison`` one row per (problem, metric, epochs), ours and the
    paper's side by side (for the README): per quantity and side the value and its interval
    (``ours_stl_mean``, ``ours_stl_mean_ci_low``, …), the improved counts per run
    (``ours_runs``, ``paper_runs``) and the ``verdict_<quantity>``."""
    t1 = comparison.loc[comparison["table"] == "Table 1"]
    keys = ["problem", "metric", "stl_epoch", "mtl_epoch"]
    values = ["ours", "paper", *INTERVAL_COLUMNS, "ours_runs", "paper_runs", "verdict"]
    wide = t1.pivot_table(
        index=keys, columns="quantity", values=values, aggfunc="first", dropna=False
    )
    wide.columns = [f"{value}_{quantity}" for value, quantity in wide.columns]
    wide = wide.reset_index()
    out = wide[keys].copy()
    numbers = []
    for side in ("ours", "paper"):
        for q in QUANTITIES:
            for suffix in ("", "_ci_low", "_ci_high"):
                column = f"{side}_{q}{suffix}"
                out[column] = wide.get(f"{side}{suffix}_{q}", np.nan)
                numbers.append(column)
        out[f"{side}_runs"] = wide.get(f"{side}_runs_improved_share")
    for q in QUANTITIES:
        out[f"verdict_{q}"] = wide.get(f"verdict_{q}")
    out = out.dropna(subset=[c for c in numbers if "_ci_" not in c], how="all")
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def table2_wide(comparison: pd.DataFrame) -> pd.DataFrame:
    """Table 2 of ``paper_comparison``: one row per (problem, our subset or unmatched paper row),
    accuracy, balanced accuracy and F1 each with its baseline, and the paper's accuracy and
    baseline where the feature set is the same (for the README)."""
    t2 = comparison.loc[comparison["table"] == "Table 2"].copy()
    t2["row"] = t2["feature_subset"].fillna("(paper: " + t2["paper_row"].fillna("") + ")")
    keys = ["problem", "row", "feature_set"]
    out = t2[keys].drop_duplicates().reset_index(drop=True)
    for metric in TABLE2_METRICS:
        part = t2.loc[t2["metric"] == metric, [*keys, "ours", "ours_baseline"]]
        part = part.rename(columns={"ours": metric, "ours_baseline": f"{metric}_baseline"})
        out = out.merge(part, on=keys, how="left")
    acc = t2.loc[
        t2["metric"] == "accuracy", [*keys, "paper_row", "paper", "paper_baseline", "status"]
    ]
    out = out.merge(acc, on=keys, how="left")
    return out.rename(columns={"paper": "paper_accuracy"})
