"""Task samples and pairs → the trainer's model jobs (one STL job per task × seed, one MTL job
per pair × seed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mtl_pipeline.tasks.hierarchy import tasks_of_pairs
from mtl_pipeline.training import ModelJob, TaskSplit


def _task_splits(task_samples: pd.DataFrame) -> dict[tuple[str, int], TaskSplit]:
    splits = {}
    for (task, seed), frame in task_samples.groupby(["task", "seed"], sort=True):
        train = frame[frame["split"] == "train"]
        test = frame[frame["split"] == "test"]
        splits[(str(task), int(seed))] = TaskSplit(
            name=str(task),
            train_rows=train["row"].to_numpy(np.int64),
            train_labels=train["label"].to_numpy(np.int64),
            test_rows=test["row"].to_numpy(np.int64),
            test_labels=test["label"].to_numpy(np.int64),
        )
    return splits


def _split(splits: dict[tuple[str, int], TaskSplit], task: str, seed: int) -> TaskSplit:
    try:
        return splits[(task, seed)]
    except KeyError:
        raise ValueError(
            f"task_samples has no sample of task '{task}' for seed {seed}; rebuild task_samples "
            "from the same task_pairs and newsgroups.seeds"
        ) from None


def stl_jobs(task_pairs: pd.DataFrame, task_samples: pd.DataFrame) -> list[ModelJob]:
    """One single-task job per task the pairs use and per seed of the samples."""
    splits = _task_splits(task_samples)
    seeds = sorted({seed for _, seed in splits})
    return [
        ModelJob(
            model_id=f"stl|{task}|s{seed}",
            kind="stl",
            seed=seed,
            tasks=(_split(splits, task, seed),),
            meta={"pair_id": None, "aux_task": None},
        )
        for task in tasks_of_pairs(task_pairs)
        for seed in seeds
    ]


def mtl_jobs(task_pairs: pd.DataFrame, task_samples: pd.DataFrame) -> list[ModelJob]:
    """One multi-task job per distinct pair (a related pair is trained once) and per seed."""
    splits = _task_splits(task_samples)
    seeds = sorted({seed for _, seed in splits})
    distinct = task_pairs.drop_duplicates("pair_id").sort_values("pair_id")
    return [
        ModelJob(
            model_id=f"mtl|{pair.pair_id}|s{seed}",
            kind="mtl",
            seed=seed,
            tasks=(_split(splits, pair.main_task, seed), _split(splits, pair.aux_task, seed)),
            meta={"pair_id": pair.pair_id, "aux_task": pair.aux_task},
        )
        for pair in distinct.itertuples(index=False)
        for seed in seeds
    ]
