"""Task samples and pairs → the trainer's model jobs (one STL job per task × seed, one MTL job
per pair × seed)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pandas as pd

from mtl_pipeline.tasks.hierarchy import pair_seeds, task_seeds
from mtl_pipeline.training import ModelJob, TaskSplit

#: How the models of one seed draw their initial weights, data order and dropout masks
#: (``newsgroups.training.random_draws``): ``per_seed`` = every model from the seed itself, so
#: the STL model of task A and the MTL models (A, C) start from the same trunk and main head and
#: see the same first-epoch order of A (the differences MTL − STL are less noisy); ``per_model``
#: = each model from its own stream, derived from (seed, model id), independent of every other
#: model, as in the released code of Kerinec et al., which sets no seed (run_models.py:83,99:
#: each model built and fitted afresh by an unseeded Keras).
RANDOM_DRAWS = ("per_seed", "per_model")


def model_draw_seed(seed: int, model_id: str) -> int:
    """The seed of a model's own random stream (``per_model``): a hash of (seed, model id), so
    that it is the same on every machine and rerun, and different for every model."""
    digest = hashlib.sha256(f"{int(seed)}|{model_id}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def _draws(job: ModelJob, random_draws: str) -> ModelJob:
    if random_draws not in RANDOM_DRAWS:
        raise ValueError(f"random_draws must be one of {RANDOM_DRAWS}, got {random_draws!r}")
    if random_draws == "per_seed":
        return job
    return replace(job, draw_seed=model_draw_seed(job.seed, job.model_id))


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
            "from the same task_pairs and seeds"
        ) from None


def stl_jobs(
    task_pairs: pd.DataFrame, task_samples: pd.DataFrame, random_draws: str = "per_seed"
) -> list[ModelJob]:
    """One single-task job per (task, seed) the pairs need (main and auxiliary tasks); each
    model's random draws as ``random_draws`` says (``RANDOM_DRAWS``)."""
    splits = _task_splits(task_samples)
    return [
        _draws(
            ModelJob(
                model_id=f"stl|{task}|s{seed}",
                kind="stl",
                seed=seed,
                tasks=(_split(splits, task, seed),),
                meta={"pair_id": None, "aux_task": None},
            ),
            random_draws,
        )
        for task, seed in task_seeds(task_pairs)
    ]


def _cut_to_shorter(main: TaskSplit, aux: TaskSplit, seed: int) -> tuple[TaskSplit, TaskSplit]:
    """Both test sets cut to the shorter one's length, as the released code does
    (``run_models.py``: ``MtestX[:len(AtestX)]``). The kept documents are a seeded random subset:
    our test rows are sorted by newsgroup, so a plain head would drop one class first."""
    size = min(len(main.test_rows), len(aux.test_rows))

    def cut(split: TaskSplit) -> TaskSplit:
        if len(split.test_rows) == size:
            return split
        kept = np.sort(
            np.random.default_rng(seed).choice(len(split.test_rows), size, replace=False)
        )
        return replace(split, test_rows=split.test_rows[kept], test_labels=split.test_labels[kept])

    return cut(main), cut(aux)


def mtl_jobs(
    task_pairs: pd.DataFrame,
    task_samples: pd.DataFrame,
    cut_test_to_shorter_task: bool = False,
    random_draws: str = "per_seed",
) -> list[ModelJob]:
    """One multi-task job per distinct pair (a related pair is trained once) and per seed; each
    model's random draws as ``random_draws`` says (``RANDOM_DRAWS``)."""
    splits = _task_splits(task_samples)
    distinct = (
        pair_seeds(task_pairs).drop_duplicates(["pair_id", "seed"]).sort_values(["pair_id", "seed"])
    )
    jobs = []
    for pair in distinct.itertuples(index=False):
        main = _split(splits, pair.main_task, pair.seed)
        aux = _split(splits, pair.aux_task, pair.seed)
        if cut_test_to_shorter_task:
            main, aux = _cut_to_shorter(main, aux, pair.seed)
        job = ModelJob(
            model_id=f"mtl|{pair.pair_id}|s{pair.seed}",
            kind="mtl",
            seed=int(pair.seed),
            tasks=(main, aux),
            meta={"pair_id": pair.pair_id, "aux_task": pair.aux_task},
        )
        jobs.append(_draws(job, random_draws))
    return jobs
