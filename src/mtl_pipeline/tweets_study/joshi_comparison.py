"""Our MTL − STL differences per shared layer, beside the direction Joshi et al. (2019) report.

Joshi et al.'s Tables 1–3 (six health-tweet tasks, three pairs): with a shared BiLSTM (B) or
BiLSTM+CNN (B+C) layer MTL raises F1 on all six tasks; with a shared CNN (C) it lowers F1 on all
six. Their pairs' data are not redistributable, so ours are other pairs (Lamb et al.'s flu sets,
VADER); what can be compared is the *direction* per shared layer, not the numbers.
"""

from __future__ import annotations

import math

import pandas as pd

from mtl_pipeline.frames import require_columns

# +1: MTL raised F1 on every one of the paper's six tasks; -1: lowered it on every one.
PAPER_F1_DIRECTION: dict[str, int] = {"bilstm": +1, "cnn": -1, "bilstm_cnn": +1}
ENCODER_LABELS: dict[str, str] = {"bilstm": "B", "cnn": "C", "bilstm_cnn": "B+C"}

COLUMNS = [
    "pair",
    "task",
    "role",
    "encoder",
    "delta_accuracy",
    "p_accuracy",
    "delta_f1",
    "p_f1",
    "n_folds",
    "paper_f1_direction",
    "agreement",
]


def _direction(value: float) -> int:
    return 0 if value == 0 or math.isnan(value) else (1 if value > 0 else -1)


def agreement(delta: float, p_value: float, paper_direction: int, alpha: float) -> str:
    """How our F1 difference stands against the paper's direction.

    ``agrees`` / ``opposes``: same / opposite sign and significant (paired t-test, ``p <
    alpha``); ``same sign, n.s.`` / ``opposite sign, n.s.``: the sign alone, not significant;
    ``no difference``: identical in every fold; ``not comparable``: no paper direction or no
    score (NaN), never counted as either.
    """
    ours = _direction(delta)
    if paper_direction == 0 or math.isnan(delta):
        return "not comparable"
    if ours == 0:
        return "no difference"
    significant = not math.isnan(p_value) and p_value < alpha
    if ours == paper_direction:
        return "agrees" if significant else "same sign, n.s."
    return "opposes" if significant else "opposite sign, n.s."


def paper_comparison_table(
    results: pd.DataFrame, significance: pd.DataFrame, alpha: float = 0.05
) -> pd.DataFrame:
    """One row per pair × task × encoder: MTL − STL in accuracy and F1 (mean over folds), each
    with its paired t-test's p-value, beside the paper's F1 direction for that shared layer."""
    require_columns(
        results, ["pair", "task", "role", "encoder", "delta_accuracy", "delta_f1", "n_folds"],
        "tweet_results",
    )  # fmt: skip
    require_columns(
        significance, ["pair", "task", "encoder", "metric", "p_value"], "tweet_significance"
    )
    p = significance.pivot_table(
        index=["pair", "task", "encoder"], columns="metric", values="p_value", aggfunc="first"
    )
    rows = []
    for r in results.itertuples(index=False):
        key = (r.pair, r.task, r.encoder)
        p_acc = float(p.at[key, "accuracy"]) if key in p.index else math.nan
        p_f1 = float(p.at[key, "f1"]) if key in p.index else math.nan
        paper = PAPER_F1_DIRECTION.get(str(r.encoder), 0)
        rows.append(
            {
                "pair": r.pair,
                "task": r.task,
                "role": r.role,
                "encoder": r.encoder,
                "delta_accuracy": float(r.delta_accuracy),
                "p_accuracy": p_acc,
                "delta_f1": float(r.delta_f1),
                "p_f1": p_f1,
                "n_folds": int(r.n_folds),
                "paper_f1_direction": paper,
                "agreement": agreement(float(r.delta_f1), p_f1, paper, alpha),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def agreement_summary(comparison: pd.DataFrame) -> pd.DataFrame:
    """Per shared layer: how many of our tasks fall in each agreement class."""
    require_columns(comparison, ["encoder", "agreement"], "tweet_paper_comparison")
    counts = comparison.groupby(["encoder", "agreement"], sort=False).size()
    return counts.unstack(fill_value=0).reset_index()
