"""The per-model loop that planned a chunk's epochs before it was vectorised (batching.py at
ee2e141), kept verbatim as the reference the vectorised ChunkScheduler must equal exactly
(tests/training/test_batching_vectorised.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mtl_pipeline.training.batching import EpochPlan, TaskStream
from mtl_pipeline.training.specs import ModelJob


def _padded_steps(
    stream: TaskStream, n: int, n_steps: int, batch_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Take ``n`` positions from ``stream`` laid out as (n_steps, batch_size), -1 past the end.

    Returns the positions and the mask of the real (non-padding) slots.
    """
    r = np.full(n_steps * batch_size, -1, dtype=np.int64)
    r[:n] = stream.take(n)
    r = r.reshape(n_steps, batch_size)
    return r, r >= 0


class _ModelSchedule:
    def __init__(self, job: ModelJob, schedule: str, batch_size: int) -> None:
        self.schedule = schedule
        self.B = batch_size
        self.rng = np.random.default_rng(job.random_seed)
        self.T = len(job.tasks)
        self.rows = [t.train_rows for t in job.tasks]
        self.labels = [t.train_labels for t in job.tasks]
        self.sizes = np.array([r.size for r in self.rows], dtype=np.int64)
        if schedule == "pooled":
            union, inverse = np.unique(np.concatenate(self.rows), return_inverse=True)
            lab = np.full((union.size, self.T), -1, dtype=np.int64)
            start = 0
            for t in range(self.T):
                idx = inverse[start : start + self.sizes[t]]
                lab[idx, t] = self.labels[t]
                start += self.sizes[t]
            self.pool_rows, self.pool_labels = union, lab
            self.streams = [TaskStream(union.size, self.rng)]
        else:
            self.streams = [TaskStream(int(n), self.rng) for n in self.sizes]

    @property
    def width(self) -> int:
        """Rows per step (R)."""
        return self.T * self.B if self.schedule == "joint" else self.B

    def n_steps(self) -> int:
        B = self.B
        if self.schedule == "joint":
            return math.ceil(int(self.sizes.max()) / B)
        if self.schedule == "alternating":
            return math.ceil(int(self.sizes.max()) / B) * self.T
        if self.schedule == "proportional":
            return int(sum(math.ceil(int(n) / B) for n in self.sizes))
        return math.ceil(self.pool_rows.size / B)

    def fill(self, rows: np.ndarray, labels: np.ndarray, update: np.ndarray) -> None:
        """Write this model's epoch into (S, R), (S, R, T), (S, 1 + T) views (pre-padded)."""
        B, T = self.B, self.T
        S = self.n_steps()
        if self.schedule == "joint":
            n_max = int(self.sizes.max())
            for t in range(T):
                r, ok = _padded_steps(self.streams[t], n_max, S, B)
                rows[:S, t * B : (t + 1) * B][ok] = self.rows[t][r[ok]]
                labels[:S, t * B : (t + 1) * B, t][ok] = self.labels[t][r[ok]]
            update[:S] = True
        elif self.schedule == "alternating":
            n_max = int(self.sizes.max())
            per_task = S // T
            for t in range(T):
                r, ok = _padded_steps(self.streams[t], n_max, per_task, B)
                steps = np.arange(per_task) * T + t
                blk_rows = rows[steps]
                blk_lab = labels[steps]
                blk_rows[ok] = self.rows[t][r[ok]]
                blk_lab[..., t][ok] = self.labels[t][r[ok]]
                rows[steps] = blk_rows
                labels[steps] = blk_lab
                update[steps, 0] = True
                update[steps, 1 + t] = True
        elif self.schedule == "proportional":
            p = self.sizes / self.sizes.sum()
            choice = self.rng.choice(T, size=S, p=p)
            for t in range(T):
                steps = np.flatnonzero(choice == t)
                if steps.size == 0:
                    continue
                pos = self.streams[t].take(steps.size * B).reshape(steps.size, B)
                rows[steps] = self.rows[t][pos]
                blk_lab = labels[steps]
                blk_lab[..., t] = self.labels[t][pos]
                labels[steps] = blk_lab
                update[steps, 0] = True
                update[steps, 1 + t] = True
        else:  # pooled
            r, ok = _padded_steps(self.streams[0], self.pool_rows.size, S, B)
            rows[:S][ok] = self.pool_rows[r[ok]]
            labels[:S][ok] = self.pool_labels[r[ok]]
            update[:S] = True


class ReferenceChunkScheduler:
    """Builds the padded epoch plans of a chunk of models that share the number of tasks."""

    def __init__(
        self, jobs: Sequence[ModelJob], schedule: str, batch_size: int, pad_row: int
    ) -> None:
        self.models = [_ModelSchedule(job, schedule, batch_size) for job in jobs]
        Ts = {m.T for m in self.models}
        if len(Ts) != 1:
            raise ValueError(f"a chunk must hold models with the same number of tasks, got {Ts}")
        self.T = Ts.pop()
        self.R = self.models[0].width
        self.pad_row = pad_row
        self.steps_per_model = np.array([m.n_steps() for m in self.models], dtype=np.int64)

    @property
    def n_steps(self) -> int:
        return int(self.steps_per_model.max())

    def next_epoch(self) -> EpochPlan:
        S, M, R, T = self.n_steps, len(self.models), self.R, self.T
        rows = np.full((M, S, R), self.pad_row, dtype=np.int64)
        labels = np.full((M, S, R, T), -1, dtype=np.int64)
        update = np.zeros((M, S, 1 + T), dtype=bool)
        for m, model in enumerate(self.models):
            model.fill(rows[m], labels[m], update[m])
        return EpochPlan(
            rows=np.ascontiguousarray(rows.transpose(1, 0, 2)),
            labels=np.ascontiguousarray(labels.transpose(1, 0, 2, 3)),
            update=np.ascontiguousarray(update.transpose(1, 0, 2)),
        )
