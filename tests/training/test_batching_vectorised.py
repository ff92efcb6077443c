"""The vectorised epoch planning equals the per-model loop it replaced, exactly: rows, labels and
update masks of every epoch, for random chunks of every schedule (the loop is kept verbatim in
batching_reference.py)."""

from __future__ import annotations

import numpy as np
import pytest

from mtl_pipeline.training import ModelJob, TaskSplit
from mtl_pipeline.training.batching import ChunkScheduler

from .batching_reference import ReferenceChunkScheduler

SCHEDULES = ("joint", "alternating", "proportional", "pooled")


def _random_jobs(rng: np.random.Generator, n_models: int, n_tasks: int) -> list[ModelJob]:
    jobs = []
    for m in range(n_models):
        tasks = []
        for t in range(n_tasks):
            n = int(rng.integers(1, 90))
            # rows may repeat across tasks (pooled unions them) and, rarely, within a task
            rows = rng.choice(150, size=n, replace=bool(rng.random() < 0.2))
            labels = rng.integers(-1 if rng.random() < 0.3 else 0, 3, size=n)
            tasks.append(TaskSplit(f"t{t}", rows, labels, rows[:2], labels[:2], n_classes=3))
        kind = "stl" if n_tasks == 1 else "mtl"
        jobs.append(ModelJob(f"m{m}", kind, int(rng.integers(0, 2**40)), tuple(tasks)))
    return jobs


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("case", range(6))
def test_vectorised_plan_equals_the_per_model_loop(schedule, case):
    rng = np.random.default_rng(100 * case + SCHEDULES.index(schedule))
    n_models, n_tasks = int(rng.integers(1, 9)), int(rng.integers(1, 4))
    batch_size = int(rng.choice([1, 4, 7, 16]))
    jobs = _random_jobs(rng, n_models, n_tasks)
    new = ChunkScheduler(jobs, schedule, batch_size, pad_row=150)
    ref = ReferenceChunkScheduler(jobs, schedule, batch_size, pad_row=150)
    np.testing.assert_array_equal(new.steps_per_model, ref.steps_per_model)
    assert (new.R, new.n_steps) == (ref.R, ref.n_steps)
    for _ in range(3):  # later epochs continue each model's streams
        got, want = new.next_epoch(), ref.next_epoch()
        for field in ("rows", "labels", "update"):
            a, b = getattr(got, field), getattr(want, field)
            assert a.dtype == b.dtype and a.flags.c_contiguous, field
            np.testing.assert_array_equal(a, b, err_msg=f"{schedule}, {field}")
