"""What every call of the trainer agrees on, written once: the columns of the learning curves
it returns, and how jobs group by task signature (jobs that stack into one batched model).

``train_stacked`` builds its curves in this layout and the executor reassembles stored shards
into it, so that a group's curves have the same columns whether trained at once or in shards.
"""

from __future__ import annotations

from collections.abc import Sequence

from .specs import ModelJob

METRICS = ("test_loss", "test_accuracy", "test_f1", "test_macro_f1")
#: The auxiliary task's scores (second task of an MTL job; NaN on STL rows).
AUX_METRICS = tuple("aux_" + m for m in METRICS[:3])
BASE_CURVE_COLUMNS = ("model_id", "kind", "seed", "task", "epoch", "train_loss", "main_train_loss")


def meta_keys(jobs: Sequence[ModelJob]) -> list[str]:
    """The keys of the jobs' ``meta``, in the order they are first met."""
    keys: list[str] = []
    for job in jobs:
        keys += [k for k in job.meta if k not in keys]
    return keys


def has_aux(jobs: Sequence[ModelJob]) -> bool:
    """Whether any job trains a second task (then the curves carry ``AUX_METRICS``)."""
    return any(len(j.tasks) > 1 for j in jobs)


def curve_columns(jobs: Sequence[ModelJob]) -> list[str]:
    """The columns, in order, of the learning curves ``train_stacked`` returns for ``jobs``."""
    cols = [*BASE_CURVE_COLUMNS, *METRICS]
    if has_aux(jobs):
        cols += AUX_METRICS
    return cols + [k for k in meta_keys(jobs) if k not in cols]


def task_signature(job: ModelJob) -> tuple[int, ...]:
    """The number of classes of each of a job's tasks: jobs that share it stack together."""
    return tuple(t.n_classes for t in job.tasks)


def by_task_signature(jobs: Sequence[ModelJob]) -> dict[tuple[int, ...], list[int]]:
    """Positions of ``jobs`` per task signature; signatures and positions in the jobs' order."""
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, job in enumerate(jobs):
        groups.setdefault(task_signature(job), []).append(i)
    return groups
