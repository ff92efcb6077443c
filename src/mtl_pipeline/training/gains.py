"""STL vs MTL scores on the main task, per pair and seed (Kerinec et al. 2018, Table 1)."""

from __future__ import annotations

import pandas as pd

from mtl_pipeline.tasks.hierarchy import pair_seeds

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
        raise ValueError(f"{parameter}={epoch} is outside the trained epochs 1..{final} ({kind})")
    return part[part["epoch"] == chosen]


def compute_gains(
    task_pairs: pd.DataFrame,
    learning_curves: pd.DataFrame,
    metric: str = "test_f1",
    stl_epoch: int | None = None,
    mtl_epoch: int | None = None,
) -> pd.DataFrame:
    """One row per ``task_pairs`` row × seed: STL and MTL score of the main task and the gain.

    ``stl_epoch``/``mtl_epoch`` None = the final epoch (the paper); the released code judged the
    gain on test accuracy at epoch 80.
    """
    if metric not in learning_curves.columns:
        raise ValueError(
            f"newsgroups.training.gain_metric '{metric}' is not a learning-curve column; "
            f"choose one of test_f1, test_macro_f1, test_accuracy"
        )
    stl = _at_epoch(learning_curves, stl_epoch, "stl", "newsgroups.training.stl_eval_epoch")
    mtl = _at_epoch(learning_curves, mtl_epoch, "mtl", "newsgroups.training.mtl_eval_epoch")
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
        raise ValueError(
            f"learning_curves cover {len(gains)} of {expected} pair × seed rows: train the STL "
            "and MTL models of every pair and seed before computing gains"
        )
    gains["metric"] = metric
    gains["gain"] = gains["mtl_score"] - gains["stl_score"]
    gains["improved"] = gains["gain"] > 0
    return gains[GAIN_COLUMNS].sort_values(["problem", "pair_id", "seed"]).reset_index(drop=True)


def summarise_gains(gains: pd.DataFrame) -> pd.DataFrame:
    """Table 1 of the paper per problem: mean STL and MTL score, share of pairs improved.

    ``improved_share`` counts pair × seed runs; ``improved_pair_share`` counts pairs whose mean
    gain over seeds is positive (the paper does not say which it reports).
    """
    rows = []
    for problem, frame in gains.groupby("problem", sort=True):
        by_pair = frame.groupby("pair_id")["gain"].mean()
        rows.append(
            {
                "problem": problem,
                "metric": frame["metric"].iloc[0],
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
