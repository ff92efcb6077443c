"""How sure Table 1 is: bootstrap intervals over main tasks, counts per run, and a verdict.

A pair × seed run is not an independent draw: the pairs of one main task share its STL model and
its data, and one seed's runs share their samples. The bootstrap therefore resamples **main
tasks** (all their pairs and seeds go together), with replacement, ``resamples`` times, and
takes the percentile interval of each Table 1 quantity (STL mean, MTL mean, improved share).

``verdict`` compares our estimate with the paper's, both with 95 % intervals (the paper's from
its released logs, :mod:`.released_logs`):

- ``reproduced``: each interval contains the other's estimate;
- ``overlapping``: the intervals overlap, but an estimate lies outside the other's interval;
- ``not reproduced``: the intervals are disjoint.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Table 1's quantities and the gains column each one averages over pair × seed runs.
QUANTITIES = {"stl_mean": "stl_score", "mtl_mean": "mtl_score", "improved_share": "improved"}
RESAMPLES = 2000
LEVEL = 0.95
SEED = 0
REPRODUCED, OVERLAPPING, NOT_REPRODUCED = "reproduced", "overlapping", "not reproduced"


def bootstrap_intervals(
    gains: pd.DataFrame, resamples: int = RESAMPLES, level: float = LEVEL, seed: int = SEED
) -> pd.DataFrame:
    """Per problem and quantity: ``ci_low``, ``ci_high`` (percentile interval over main-task
    resamples) and ``n_main_tasks``. ``gains``: rows of ``compute_gains`` (one metric and
    reading), or the released logs' table."""
    rng = np.random.default_rng(seed)
    alpha = (1 - level) / 2
    rows = []
    for problem, frame in gains.groupby("problem", sort=True):
        by_task = frame.groupby("main_task")
        n_rows = by_task.size().to_numpy(float)
        # each resample: how often every main task is drawn → weighted sums over its rows
        draws = rng.multinomial(len(n_rows), np.full(len(n_rows), 1 / len(n_rows)), resamples)
        weight = draws @ n_rows
        for quantity, column in QUANTITIES.items():
            sums = by_task[column].sum().astype(float).to_numpy()
            values = (draws @ sums) / weight
            low, high = np.quantile(values, [alpha, 1 - alpha])
            rows.append(
                {
                    "problem": problem,
                    "quantity": quantity,
                    "ci_low": float(low),
                    "ci_high": float(high),
                    "n_main_tasks": len(n_rows),
                }
            )
    return pd.DataFrame(rows)


def runs_improved(gains: pd.DataFrame) -> dict[str, str]:
    """Per problem, pairs improved per run (seed), e.g. ``"32, 41, 38, 38, 38 of 52"``."""
    out = {}
    for problem, frame in gains.groupby("problem", sort=True):
        per_run = frame.groupby("seed")["improved"].agg(["sum", "size"])
        sizes = per_run["size"].unique()
        counts = ", ".join(str(int(v)) for v in per_run["sum"])
        of = str(int(sizes[0])) if len(sizes) == 1 else "/".join(map(str, per_run["size"]))
        out[str(problem)] = f"{counts} of {of}"
    return out


def verdict(
    ours: float,
    ours_interval: tuple[float, float],
    paper: float,
    paper_interval: tuple[float, float],
) -> str:
    """The module's rule: reproduced, overlapping or not reproduced (NaN anywhere: "")."""
    values = [ours, *ours_interval, paper, *paper_interval]
    if any(pd.isna(v) for v in values):
        return ""
    (o_low, o_high), (p_low, p_high) = ours_interval, paper_interval
    if o_low <= paper <= o_high and p_low <= ours <= p_high:
        return REPRODUCED
    if o_low <= p_high and p_low <= o_high:
        return OVERLAPPING
    return NOT_REPRODUCED
