"""STL vs MTL scores on the main task, per pair and seed (Kerinec et al. 2018, Table 1): the
20NG study's outcome, next to the pairs it scores (``hierarchy``) and their jobs (``jobs``)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mtl_pipeline.params import InputError, ParameterError
from mtl_pipeline.tasks.hierarchy import pair_seeds

#: Learning-curve columns a gain can be read on (binary F1 of the positive class, macro F1,
#: accuracy; the released code: accuracy).
GAIN_METRICS = ("test_f1", "test_macro_f1", "test_accuracy")


@dataclass(frozen=True)
class GainNames:
    """How errors name the settings of :func:`compute_gains` (the spec layer passes the
    parameters' names)."""

    metric: str = "gain_metric"
    stl_epoch: str = "stl_eval_epoch"
    mtl_epoch: str = "mtl_eval_epoch"


GAIN_COLUMNS = [
    "pair_id",
    "problem",
    "seed",
    "main_task",
    "aux_task",
    "metric",
    "stl_epoch",
    "mtl_epoch",
    "stl_score",
    "mtl_score",
    "gain",
    "improved",
]


def _at_epoch(curves: pd.DataFrame, epoch: int | None, kind: str, parameter: str) -> pd.DataFrame:
    part = curves[curves["kind"] == kind]
    final = int(part["epoch"].max())
    chosen = final if epoch is None else int(epoch)
    if not 1 <= chosen <= final:
        raise ParameterError(
            f"{parameter}={epoch} is outside the trained epochs 1..{final} ({kind})"
        )
    return part[part["epoch"] == chosen]


def compute_gains(
    task_pairs: pd.DataFrame,
    learning_curves: pd.DataFrame,
    metric: str = "test_f1",
    stl_epoch: int | None = None,
    mtl_epoch: int | None = None,
    names: GainNames = GainNames(),
) -> pd.DataFrame:
    """One row per ``task_pairs`` row × seed: STL and MTL score of the main task and the gain.

    ``stl_epoch``/``mtl_epoch`` None = the final epoch (the paper); the released code judged the
    gain on test accuracy at epoch 80.
    """
    if metric not in learning_curves.columns:
        raise ParameterError(
            f"{names.metric} '{metric}' is not a learning-curve column; "
            f"choose one of {', '.join(GAIN_METRICS)}"
        )
    stl = _at_epoch(learning_curves, stl_epoch, "stl", names.stl_epoch)
    mtl = _at_epoch(learning_curves, mtl_epoch, "mtl", names.mtl_epoch)
    stl = stl[["task", "seed", "epoch", metric]].rename(
        columns={"task": "main_task", "epoch": "stl_epoch", metric: "stl_score"}
    )
    mtl = mtl[["pair_id", "seed", "epoch", metric]].rename(
        columns={"epoch": "mtl_epoch", metric: "mtl_score"}
    )
    pairs = pair_seeds(task_pairs)[["pair_id", "problem", "seed", "main_task", "aux_task"]]
    gains = pairs.merge(mtl, on=["pair_id", "seed"], how="inner").merge(
        stl, on=["main_task", "seed"], how="inner"
    )
    expected = len(pairs)
    if len(gains) != expected:
        raise InputError(
            f"learning_curves cover {len(gains)} of {expected} pair × seed rows: train the STL "
            "and MTL models of every pair and seed before computing gains"
        )
    gains["metric"] = metric
    gains["gain"] = gains["mtl_score"] - gains["stl_score"]
    gains["improved"] = gains["gain"] > 0
    return gains[GAIN_COLUMNS].sort_values(["problem", "pair_id", "seed"]).reset_index(drop=True)


def summarise_gains(gains: pd.DataFrame) -> pd.DataFrame:
    """Table 1 of the paper per problem: mean STL and MTL score, share of pairs improved.

    The one place Table 1 is computed (the gains node and the report both call it).
    ``improved_share`` counts pair × seed runs; ``improved_pair_share`` counts pairs whose mean
    gain over seeds is positive (the paper does not say which it reports). ``stl_epoch`` /
    ``mtl_epoch``: the (1-based) epochs the scores were read at.
    """
    rows = []
    for problem, frame in gains.groupby("problem", sort=True):
        by_pair = frame.groupby("pair_id")["gain"].mean()
        rows.append(
            {
                "problem": problem,
                "metric": frame["metric"].iloc[0],
                "stl_epoch": int(frame["stl_epoch"].iloc[0]),
                "mtl_epoch": int(frame["mtl_epoch"].iloc[0]),
                "n_pairs": frame["pair_id"].nunique(),
                "n_seeds": frame["seed"].nunique(),
                "stl_mean": frame["stl_score"].mean(),
                "mtl_mean": frame["mtl_score"].mean(),
                "gain_mean": frame["gain"].mean(),
                "improved_share": frame["improved"].mean(),
                "improved_pair_share": (by_pair > 0).mean(),
            }
        )
    return pd.DataFrame(rows)


def rescore_gains(
    gains: pd.DataFrame,
    learning_curves: pd.DataFrame,
    metric: str,
    stl_epoch: int | None = None,
    mtl_epoch: int | None = None,
    names: GainNames = GainNames(),
) -> pd.DataFrame:
    """The same pair × seed rows as ``gains``, scored on another learning-curve ``metric``.

    Epochs None = those ``gains`` were read at. Rows whose curve lacks the epoch are an error.
    """
    if metric not in learning_curves.columns:
        raise ValueError(f"learning_curves have no column {metric!r}")
    out = gains.drop(columns=["stl_score", "mtl_score", "gain", "improved"]).copy()
    if stl_epoch is not None:
        out["stl_epoch"] = int(stl_epoch)
    if mtl_epoch is not None:
        out["mtl_epoch"] = int(mtl_epoch)
    stl = learning_curves.loc[learning_curves["kind"] == "stl", ["task", "seed", "epoch", metric]]
    mtl = learning_curves.loc[
        learning_curves["kind"] == "mtl", ["pair_id", "task", "aux_task", "seed", "epoch", metric]
    ]
    out = out.merge(
        stl.rename(columns={"task": "main_task", "epoch": "stl_epoch", metric: "stl_score"}),
        on=["main_task", "seed", "stl_epoch"],
        how="left",
    ).merge(
        mtl.rename(columns={"task": "main_task", "epoch": "mtl_epoch", metric: "mtl_score"}),
        on=["pair_id", "main_task", "aux_task", "seed", "mtl_epoch"],
        how="left",
    )
    if len(out) != len(gains):
        raise ValueError("learning_curves hold several curves for one pair × seed")
    missing = out["stl_score"].isna() | out["mtl_score"].isna()
    if missing.any():
        r = out.loc[missing].iloc[0]
        raise InputError(
            f"learning_curves lack {metric!r} for pair {r['pair_id']!r} seed {r['seed']} at STL "
            f"epoch {r['stl_epoch']} / MTL epoch {r['mtl_epoch']} ({int(missing.sum())} rows)"
        )
    out["metric"] = metric
    out["gain"] = out["mtl_score"] - out["stl_score"]
    out["improved"] = out["gain"] > 0
    return out[[c for c in GAIN_COLUMNS if c in out.columns]]
