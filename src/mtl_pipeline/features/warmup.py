"""Warm-up features of task pairs: TAG inter-task affinity and the shared-layer gradient cosine,
measured by the stacked trainer over a short joint warm-up of each pair's MTL model
(:mod:`mtl_pipeline.training.affinity`), and, when enabled, the Grad-TAG-style gain estimate
from the warmed-up model (:mod:`mtl_pipeline.training.gradtag`). Pair-level statistics, so
named ``cross_*``."""

from __future__ import annotations

import pandas as pd

from mtl_pipeline.frames import require_columns
from mtl_pipeline.tasks.hierarchy import pair_seeds

#: probe column → meta-feature column (TAG: always measured by the warm-up)
AFFINITY_FEATURES = {
    "affinity_aux_to_main": "cross_affinity_aux_to_main",
    "affinity_main_to_aux": "cross_affinity_main_to_aux",
    "grad_cosine": "cross_grad_cosine",
}
#: the Grad-TAG estimate's columns (only with ``meta.warmup.gradtag.enabled``)
GRADTAG_FEATURES = {
    "gradtag_loss_gain": "cross_gradtag_loss_gain",
    "gradtag_accuracy_gain": "cross_gradtag_accuracy_gain",
}
WARMUP_FEATURES = AFFINITY_FEATURES | GRADTAG_FEATURES
#: The statistics these columns hold, by group (:mod:`.groups`): ``cross_<statistic>[_...]``.
AFFINITY_STATISTICS = ("affinity", "grad_cosine")
GRADTAG_STATISTICS = ("gradtag",)


def warmup_features(task_pairs: pd.DataFrame, probes: pd.DataFrame) -> pd.DataFrame:
    """One row per (pair_id, problem, seed) of ``task_pairs`` with the warm-up columns.

    ``probes``: one row per MTL model with ``pair_id``, ``seed`` and the probe's columns (a
    related pair is trained once and serves both problems)."""
    require_columns(probes, ["pair_id", "seed", *AFFINITY_FEATURES], "warm-up probes")
    grid = pair_seeds(task_pairs)[["pair_id", "problem", "seed", "main_task", "aux_task"]]
    measured = [c for c in WARMUP_FEATURES if c in probes.columns]
    values = probes[["pair_id", "seed", *measured]].rename(columns=WARMUP_FEATURES)
    values = values.astype({"seed": "int64"})
    out = grid.merge(values, on=["pair_id", "seed"], how="left", validate="many_to_one")
    return out.reset_index(drop=True)


def empty_warmup_features() -> pd.DataFrame:
    """The warm-up table when the warm-up is disabled: the keys, no rows, no feature column."""
    return pd.DataFrame(columns=["pair_id", "problem", "seed", "main_task", "aux_task"])
