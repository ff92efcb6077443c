"""Join the MTL outcome of each pair × seed with its dataset and curve features."""

from __future__ import annotations

import logging

import pandas as pd

from mtl_pipeline.features.ratios import PAIR_KEY
from mtl_pipeline.frames import require_columns

logger = logging.getLogger(__name__)


def join_meta_features(
    mtl_gains: pd.DataFrame,
    dataset_features: pd.DataFrame,
    curve_features: pd.DataFrame,
    warmup_features: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One meta-example per ``mtl_gains`` row (pair × seed): outcome columns plus features.

    Keeps ``pair_id, problem, seed, main_task, aux_task, stl_score, mtl_score, gain, improved`` from
    ``mtl_gains`` and appends every feature column (all but the key and task-name columns) of the
    feature tables (``warmup_features`` when given), joined on (pair_id, problem, seed). Rows whose features are missing keep NaN
    (a warning reports how many); the meta-model imputes them inside each fold.
    """
    outcome = [
        "pair_id",
        "problem",
        "seed",
        "main_task",
        "aux_task",
        "stl_score",
        "mtl_score",
        "gain",
        "improved",
    ]
    require_columns(mtl_gains, outcome, "mtl_gains")
    out = mtl_gains[outcome].copy()
    out["seed"] = out["seed"].astype("int64")
    tables = [("dataset_features", dataset_features), ("curve_features", curve_features)]
    if warmup_features is not None:
        tables.append(("warmup_features", warmup_features))
    for name, table in tables:
        require_columns(table, list(PAIR_KEY), name)
        cols = [c for c in table.columns if c not in (*PAIR_KEY, "main_task", "aux_task")]
        clash = [c for c in cols if c in out.columns]
        if clash:
            raise ValueError(f"{name} repeats columns already joined: {clash}")
        right = table[[*PAIR_KEY, *cols]].astype({"seed": "int64"})
        out = out.merge(right, on=list(PAIR_KEY), how="left", validate="one_to_one")
        if cols:
            n_missing = int(out[cols].isna().all(axis=1).sum())
            if n_missing:
                logger.warning("%d of %d meta-examples have no %s", n_missing, len(out), name)
    return out.reset_index(drop=True)
