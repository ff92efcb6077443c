"""Per-fold scores -> Joshi et al.-style results table and paired t-tests of MTL vs. STL."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import f1_score

from mtl_pipeline.frames import require_columns

METRICS = ("accuracy", "f1")
FOLD_SCORE_COLUMNS = (
    "pair",
    "encoder",
    "fold",
    "setting",
    "task",
    "role",
    "n_test",
    "accuracy",
    "f1",
)
KEYS = ["pair", "task", "role", "encoder"]


def accuracy_f1(
    labels: np.ndarray, preds: np.ndarray, n_classes: int = 2, positive_class: int = 1
) -> tuple[float, float]:
    """Accuracy and F1: binary F1 of the positive class for 2 classes, else macro F1."""
    labels, preds = np.asarray(labels), np.asarray(preds)
    if len(labels) == 0:
        return float("nan"), float("nan")
    acc = float((labels == preds).mean())
    if n_classes == 2:
        f1 = f1_score(labels, preds, pos_label=positive_class, average="binary", zero_division=0)
    else:
        f1 = f1_score(
            labels, preds, labels=list(range(n_classes)), average="macro", zero_division=0
        )
    return acc, float(f1)


def results_table(fold_scores: pd.DataFrame) -> pd.DataFrame:
    """Rows task x encoder (per pair); columns STL/MTL mean accuracy and F1 over folds, deltas.

    The shape of Joshi et al.'s Tables 1-3; ``*_std`` are the standard deviations over folds.
    """
    require_columns(fold_scores, FOLD_SCORE_COLUMNS, "tweet_fold_scores")
    wide = _paired(fold_scores)
    rows = []
    for key, g in wide.groupby(KEYS, sort=False):
        row = dict(zip(KEYS, key, strict=True))
        for m in METRICS:
            for s in ("stl", "mtl"):
                row[f"{s}_{m}"] = float(g[f"{s}_{m}"].mean())
                row[f"{s}_{m}_std"] = float(g[f"{s}_{m}"].std(ddof=1)) if len(g) > 1 else 0.0
        row["delta_accuracy"] = row["mtl_accuracy"] - row["stl_accuracy"]
        row["delta_f1"] = row["mtl_f1"] - row["stl_f1"]
        row["n_folds"] = len(g)
        rows.append(row)
    cols = [
        *KEYS,
        "stl_accuracy",
        "stl_f1",
        "mtl_accuracy",
        "mtl_f1",
        "delta_accuracy",
        "delta_f1",
        "stl_accuracy_std",
        "stl_f1_std",
        "mtl_accuracy_std",
        "mtl_f1_std",
        "n_folds",
    ]
    return pd.DataFrame(rows, columns=cols)


def paired_ttest(mtl: np.ndarray, stl: np.ndarray) -> tuple[float, float]:
    """``scipy.stats.ttest_rel`` of MTL vs. STL over folds (two-sided).

    Identical scores in every fold carry no evidence of a difference: t = 0, p = 1 (scipy would
    return NaN). Fewer than two folds: NaN.
    """
    mtl, stl = np.asarray(mtl, dtype=float), np.asarray(stl, dtype=float)
    if len(mtl) < 2:
        return float("nan"), float("nan")
    diff = mtl - stl
    if np.allclose(diff, 0.0):
        return 0.0, 1.0
    res = stats.ttest_rel(mtl, stl)
    return float(res.statistic), float(res.pvalue)


def significance_table(fold_scores: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Paired t-test across folds of MTL vs. STL, per pair x task x encoder x metric."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    require_columns(fold_scores, FOLD_SCORE_COLUMNS, "tweet_fold_scores")
    wide = _paired(fold_scores)
    rows = []
    for key, g in wide.groupby(KEYS, sort=False):
        for m in METRICS:
            t, p = paired_ttest(g[f"mtl_{m}"].to_numpy(), g[f"stl_{m}"].to_numpy())
            diff = float((g[f"mtl_{m}"] - g[f"stl_{m}"]).mean())
            significant = bool(not math.isnan(p) and p < alpha)
            rows.append(
                {
                    **dict(zip(KEYS, key, strict=True)),
                    "metric": m,
                    "stl_mean": float(g[f"stl_{m}"].mean()),
                    "mtl_mean": float(g[f"mtl_{m}"].mean()),
                    "mean_difference": diff,
                    "t_statistic": t,
                    "p_value": p,
                    "n_folds": len(g),
                    "alpha": alpha,
                    "significant": significant,
                    "better": ("mtl" if diff > 0 else "stl") if significant else "none",
                }
            )
    return pd.DataFrame(rows)


def _paired(fold_scores: pd.DataFrame) -> pd.DataFrame:
    """One row per pair x task x encoder x fold with stl_* and mtl_* metrics side by side."""
    idx = [*KEYS, "fold"]
    parts = []
    for setting in ("stl", "mtl"):
        part = fold_scores[fold_scores["setting"] == setting].set_index(idx)[list(METRICS)]
        if part.index.duplicated().any():
            raise ValueError(f"fold scores hold two {setting} rows for one task/encoder/fold")
        parts.append(part.add_prefix(f"{setting}_"))
    wide = parts[0].join(parts[1], how="inner")
    n_unpaired = len(parts[0]) + len(parts[1]) - 2 * len(wide)
    if n_unpaired:
        raise ValueError(f"{n_unpaired} fold scores have no STL/MTL partner in the same fold")
    return wide.reset_index()


def score_predictions(
    predictions: pd.DataFrame,
    job_meta: Mapping[str, Mapping[str, object]],
    task_classes: Mapping[str, tuple[int, int]],
) -> pd.DataFrame:
    """Fold scores from the trainer's test predictions (``model_id, task, row, label, pred``).

    ``job_meta`` maps each model id to its pair, encoder, fold, setting and task roles;
    ``task_classes`` maps a task to (n_classes, positive_class).
    """
    rows = []
    for (model_id, task), g in predictions.groupby(["model_id", "task"], sort=False):
        meta = job_meta[str(model_id)]
        n_classes, positive = task_classes[str(task)]
        acc, f1 = accuracy_f1(g["label"].to_numpy(), g["pred"].to_numpy(), n_classes, positive)
        rows.append(
            {
                **{k: meta[k] for k in ("pair", "encoder", "fold", "setting")},
                "task": str(task),
                "role": meta["roles"][str(task)],
                "n_test": len(g),
                "accuracy": acc,
                "f1": f1,
                "model_id": str(model_id),
            }
        )
    return pd.DataFrame(rows, columns=[*FOLD_SCORE_COLUMNS, "model_id"])
