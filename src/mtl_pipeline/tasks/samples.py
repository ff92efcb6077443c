"""Seeded training samples and test sets of the binary newsgroup tasks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mtl_pipeline.params import ParameterError, degenerate_message
from mtl_pipeline.tasks.hierarchy import task_classes

SAMPLE_COLUMNS = ["task", "seed", "split", "doc_id", "row", "label"]
SAMPLING_MODES = ("per_class", "per_task")


@dataclass(frozen=True)
class SampleNames:
    """How errors name the three sampling settings: the arguments' own names here; the spec
    layer passes the parameters' (``newsgroups.train_per_class``, ...)."""

    sampling: str = "sampling"
    train_size: str = "train_size"
    test_size: str = "test_size"


@dataclass(frozen=True)
class SampleSpec:
    """The arguments of :func:`sample_tasks` besides the documents and the (task, seed)s."""

    train_size: int
    sampling: str = "per_class"
    test_size: int | None = None
    names: SampleNames = SampleNames()

    def draw(self, documents: pd.DataFrame, task_seeds: Sequence[tuple[str, int]]) -> pd.DataFrame:
        return sample_tasks(
            documents, task_seeds, self.train_size, self.sampling, self.test_size, self.names
        )


def sample_tasks(
    documents: pd.DataFrame,
    task_seeds: Sequence[tuple[str, int]],
    train_size: int,
    sampling: str = "per_class",
    test_size: int | None = None,
    names: SampleNames = SampleNames(),
) -> pd.DataFrame:
    """Sample training (and optionally test) documents per task and seed.

    Args:
        documents: the ``newsgroups_documents`` table (its row position is the feature row).
        task_seeds: the (task, seed) samples to draw; tasks are canonical names ``"X vs Y"``
            (label 1 = X); each sample is drawn with ``numpy.random.default_rng(seed)``.
        train_size: documents per class (``per_class``, the paper: 200) or per task
            (``per_task``, the released code: 200 drawn from both classes together).
        sampling: ``per_class`` or ``per_task``.
        test_size: None = every test document of the task; an integer = that many test
            documents drawn per task and seed from both classes together (all of them when the
            task has fewer; the released code: 700, ``run_models.py: nb_ex``).

    Raises:
        ValueError: naming the setting as ``names`` says when ``sampling`` is unknown, a size is not positive,
            or a class has fewer training documents than asked.
    """
    _check_sampling(sampling, train_size, test_size, names)
    seeds_of: dict[str, list[int]] = {}
    for task, seed in task_seeds:
        seeds_of.setdefault(task, []).append(seed)
    # (newsgroup, split) -> ascending row positions in ``documents``
    by_group_split = documents.groupby(["newsgroup", "split"], sort=True).indices
    doc_ids = documents["doc_id"].to_numpy()
    parts = []
    for task, seeds in seeds_of.items():
        pools = _task_pools(task, by_group_split, train_size, sampling, names)
        for seed in seeds:
            rng = np.random.default_rng(seed)
            train = _draw_train(pools, rng, task, train_size, sampling, names)
            test = _draw_test(pools, rng, test_size)
            for split, (rows, labels) in (("train", train), ("test", test)):
                parts.append(
                    pd.DataFrame(
                        {
                            "task": task,
                            "seed": seed,
                            "split": split,
                            "doc_id": doc_ids[rows],
                            "row": rows.astype("int64"),
                            "label": labels.astype("int64"),
                        }
                    )
                )
    return pd.concat(parts, ignore_index=True)[SAMPLE_COLUMNS]


def _check_sampling(
    sampling: str, train_size: int, test_size: int | None, names: SampleNames
) -> None:
    if sampling not in SAMPLING_MODES:
        raise ParameterError(f"{names.sampling} must be one of {SAMPLING_MODES}, got '{sampling}'")
    if isinstance(train_size, bool) or not isinstance(train_size, int) or train_size < 1:
        raise ParameterError(f"{names.train_size} must be an integer ≥ 1, got {train_size!r}")
    if test_size is not None and (
        isinstance(test_size, bool) or not isinstance(test_size, int) or test_size < 1
    ):
        raise ParameterError(f"{names.test_size} must be null or an integer ≥ 1, got {test_size!r}")


@dataclass(frozen=True)
class _Pools:
    """The rows a task's samples are drawn from (label 1 = its first class)."""

    class_rows: list[np.ndarray]  # training rows of each class
    pool: np.ndarray  # every training row (per_task), the same for every seed
    pool_labels: np.ndarray
    test_pool: np.ndarray
    test_pool_labels: np.ndarray


def _labelled(parts: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The rows of (class 1, class 0) together, and their labels."""
    labels = [np.full(len(r), label) for r, label in zip(parts, (1, 0), strict=True)]
    return np.concatenate(parts), np.concatenate(labels)


def _task_pools(
    task: str, by_group_split, train_size: int, sampling: str, names: SampleNames
) -> _Pools:
    classes = task_classes(task)
    class_rows = [by_group_split.get((group, "train"), np.array([], int)) for group in classes]
    test_rows = [by_group_split.get((group, "test"), np.array([], int)) for group in classes]
    for group, rows in zip(classes, class_rows, strict=True):
        needed = train_size if sampling == "per_class" else 1
        if len(rows) < needed:
            raise ParameterError(
                f"Task '{task}': newsgroup '{group}' has {len(rows)} training documents, "
                f"fewer than {names.train_size}={train_size}"
            )
    test_pool, test_pool_labels = _labelled(test_rows)
    pool, pool_labels = _labelled(class_rows)
    return _Pools(class_rows, pool, pool_labels, test_pool, test_pool_labels)


def _draw_train(
    pools: _Pools,
    rng: np.random.Generator,
    task: str,
    train_size: int,
    sampling: str,
    names: SampleNames,
) -> tuple[np.ndarray, np.ndarray]:
    if sampling == "per_class":
        picked = [
            np.sort(rng.choice(rows, size=train_size, replace=False)) for rows in pools.class_rows
        ]
        return np.concatenate(picked), np.concatenate(
            [np.full(train_size, 1), np.full(train_size, 0)]
        )
    if len(pools.pool) < train_size:
        raise ParameterError(
            f"Task '{task}' has {len(pools.pool)} training documents, fewer than "
            f"{names.train_size}={train_size} (sampling per_task)"
        )
    chosen = np.sort(rng.choice(len(pools.pool), size=train_size, replace=False))
    return pools.pool[chosen], pools.pool_labels[chosen]


def _draw_test(
    pools: _Pools, rng: np.random.Generator, test_size: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Every test row, or (``test_size`` smaller than the pool) a seeded draw of them; drawn
    after the training sample from the same generator."""
    if test_size is None or test_size >= len(pools.test_pool):
        return pools.test_pool, pools.test_pool_labels
    kept = np.sort(rng.choice(len(pools.test_pool), size=test_size, replace=False))
    return pools.test_pool[kept], pools.test_pool_labels[kept]


def degenerate_samples(samples: pd.DataFrame) -> list[str]:
    """One problem per (task, seed, split) of ``samples`` that holds fewer than two classes."""
    problems = []
    for (task, seed, split), labels in samples.groupby(["task", "seed", "split"], sort=True)[
        "label"
    ]:
        positive, negative = task_classes(str(task))
        counts = {1: int((labels == 1).sum()), 0: int((labels == 0).sum())}
        problem = degenerate_message(
            str(task),
            f"the {split} set of seed {seed}",
            {positive: counts[1], negative: counts[0]},
        )
        if problem:
            problems.append(problem)
    return problems
