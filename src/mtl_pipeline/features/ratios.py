"""Joining per-task statistics onto task pairs, and main/auxiliary ratio features.

Statistics that describe one task (its vocabulary, its loss curve, ...) are computed once per
(task, seed) and then joined onto every pair that uses the task as main or auxiliary task, so a
task that appears in hundreds of pairs is never recomputed. Column naming convention of the pair
tables (the meta-model selects feature subsets by these prefixes):

- ``main_<stat>``: the statistic of the pair's main task,
- ``aux_<stat>``: the statistic of the pair's auxiliary task,
- ``ratio_<stat>``: ``main_<stat> / aux_<stat>``; where the auxiliary value is 0 the ratio is NaN
  (``when_aux_is_zero="nan"``) or 0 (``"zero"``: the released code, ``utils.py: charge_params``,
  which leaves its zero-initialised entry untouched); NaN where a value is missing,
- ``cross_<stat>``: statistics that compare the two tasks directly (e.g. JSD of A vs C).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mtl_pipeline.frames import require_columns
from mtl_pipeline.tasks.hierarchy import pair_seeds

logger = logging.getLogger(__name__)

PAIR_KEY = ("pair_id", "problem", "seed")
AUX_ZERO_POLICIES = ("nan", "zero")
TASK_KEY = ("task", "seed")


def pair_seed_grid(
    task_pairs: pd.DataFrame, columns: Sequence[str], seeds: Sequence[int]
) -> pd.DataFrame:
    """One row per pair row × seed it is judged with: its ``seeds`` list column when present
    (per-problem seeds), else every seed in ``seeds``."""
    if "seeds" in task_pairs.columns:
        return pair_seeds(task_pairs[[*columns, "seeds"]])
    grid = task_pairs[list(columns)].merge(pd.DataFrame({"seed": list(seeds)}), how="cross")
    return grid.astype({"seed": "int64"})


def join_task_statistics(
    pairs: pd.DataFrame,
    task_stats: pd.DataFrame,
    stat_columns: Sequence[str],
    ratio_columns: Sequence[str] | None = None,
    when_aux_is_zero: str = "nan",
) -> pd.DataFrame:
    """Attach per-(task, seed) statistics to pair × seed rows as main_/aux_/ratio_ columns.

    Args:
        pairs: one row per pair × seed with at least ``main_task``, ``aux_task`` and ``seed``.
        task_stats: one row per (task, seed) with the columns in ``stat_columns``.
        stat_columns: statistics to attach for both tasks.
        ratio_columns: statistics (a subset of ``stat_columns``) whose main/aux ratio is added;
            defaults to every numeric, non-boolean statistic.
        when_aux_is_zero: ``"nan"`` or ``"zero"`` (see the module docstring).

    Returns:
        ``pairs`` with ``main_<stat>``, ``aux_<stat>`` and ``ratio_<stat>`` columns appended.
        Pairs whose task statistics are missing keep NaN (a warning says how many).
    """
    if when_aux_is_zero not in AUX_ZERO_POLICIES:
        raise ValueError(
            f"ratio_when_aux_is_zero must be one of {AUX_ZERO_POLICIES}, got {when_aux_is_zero!r}"
        )
    require_columns(pairs, ["main_task", "aux_task", "seed"], "pairs")
    require_columns(task_stats, [*TASK_KEY, *stat_columns], "task statistics")
    if task_stats.duplicated(list(TASK_KEY)).any():
        dup = task_stats.loc[task_stats.duplicated(list(TASK_KEY)), list(TASK_KEY)].head(3)
        raise ValueError(
            f"task statistics hold several rows per (task, seed), e.g. {dup.to_dict('records')}"
        )
    stats = task_stats[[*TASK_KEY, *stat_columns]]
    out = pairs.copy()
    for role in ("main", "aux"):
        renamed = stats.rename(columns={c: f"{role}_{c}" for c in stat_columns})
        renamed = renamed.rename(columns={"task": f"{role}_task"})
        out = out.merge(renamed, on=[f"{role}_task", "seed"], how="left", validate="many_to_one")
        n_missing = int(out[f"{role}_{stat_columns[0]}"].isna().sum()) if stat_columns else 0
        if n_missing:
            logger.warning(
                "%d pair rows have no %s-task statistics (NaN kept): task/seed absent",
                n_missing,
                role,
            )
    if ratio_columns is None:
        ratio_columns = [
            c
            for c in stat_columns
            if pd.api.types.is_numeric_dtype(stats[c]) and not pd.api.types.is_bool_dtype(stats[c])
        ]
    for c in ratio_columns:
        out[f"ratio_{c}"] = safe_ratio(out[f"main_{c}"], out[f"aux_{c}"], when_aux_is_zero)
    return out


def safe_ratio(numerator: pd.Series, denominator: pd.Series, when_zero: str = "nan") -> pd.Series:
    """``numerator / denominator``, never ±inf: where the denominator is 0 the result is NaN
    (``when_zero="nan"``) or 0 (``"zero"``); NaN where either value is missing."""
    num = numerator.astype(float).to_numpy()
    den = denominator.astype(float).to_numpy()
    fill = 0.0 if when_zero == "zero" else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(den != 0, num / np.where(den != 0, den, 1.0), fill)
        ratio = np.where(np.isnan(num) | np.isnan(den), np.nan, ratio)
    return pd.Series(ratio, index=numerator.index, dtype=float)
