"""Per-model data order and the padded step plans of a stacked chunk (host side, numpy).

Every model owns one ``numpy.random.Generator(seed)``; all its shuffles and task draws come
from it in a fixed order, so its batches are the same whether it trains alone or stacked.
A chunk's epoch has as many steps as its longest model epoch; a model whose own epoch is over
gets padded steps (rows = pad row, labels = -1) and an all-False update mask, so neither its
weights nor its Adam moments or step counts move on them.

An epoch is planned in two passes: the draws (one loop over the models, since each model has
its own generator: a permutation per task pass, the proportional schedule's task choices),
written as positions into one (models x tasks x slots) array; then every model's rows, labels
and update masks at once, by indexing the chunk's concatenated training rows and labels with
those positions (no per-model indexing or layout).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .specs import ModelJob


class TaskStream:
    """Endless stream of positions ``0..n-1``: one fresh permutation per pass (cycling)."""

    def __init__(self, n: int, rng: np.random.Generator) -> None:
        self.n = n
        self.rng = rng
        self.buffer = np.empty(0, dtype=np.int64)

    def take(self, k: int) -> np.ndarray:
        parts = [self.buffer]
        have = self.buffer.size
        while have < k:
            perm = self.rng.permutation(self.n)
            parts.append(perm)
            have += perm.size
        stream = np.concatenate(parts) if len(parts) > 1 else self.buffer
        self.buffer = stream[k:]
        return stream[:k]


@dataclass
class EpochPlan:
    """One epoch of a chunk: S steps x M models x R rows.

    rows: (S, M, R) int64 feature-matrix rows (pad row where unused);
    labels: (S, M, R, T) int64, -1 = no label for that task;
    update: (S, M, 1 + T) bool, group 0 = shared trunk, 1 + t = head of task t.
    """

    rows: np.ndarray
    labels: np.ndarray
    update: np.ndarray


class _ModelDraws:
    """One model's random source: its generator and one stream per task (one over the union of
    its tasks' rows for the pooled schedule), used in a fixed order every epoch."""

    def __init__(self, job: ModelJob, schedule: str, batch_size: int) -> None:
        self.schedule = schedule
        self.B = batch_size
        self.rng = np.random.default_rng(job.random_seed)
        self.T = len(job.tasks)
        self.sizes = np.array([t.train_rows.size for t in job.tasks], dtype=np.int64)
        if schedule == "pooled":
            rows = np.concatenate([t.train_rows for t in job.tasks])
            union, inverse = np.unique(rows, return_inverse=True)
            lab = np.full((union.size, self.T), -1, dtype=np.int64)
            start = 0
            for t, task in enumerate(job.tasks):  # a row listed twice keeps its last label
                lab[inverse[start : start + self.sizes[t]], t] = task.train_labels
                start += self.sizes[t]
            self.pool_rows, self.pool_labels = union, lab
            self.streams = [TaskStream(union.size, self.rng)]
        else:
            self.streams = [TaskStream(int(n), self.rng) for n in self.sizes]

    def n_steps(self) -> int:
        B = self.B
        if self.schedule == "joint":
            return math.ceil(int(self.sizes.max()) / B)
        if self.schedule == "alternating":
            return math.ceil(int(self.sizes.max()) / B) * self.T
        if self.schedule == "proportional":
            return int(sum(math.ceil(int(n) / B) for n in self.sizes))
        return math.ceil(self.pool_rows.size / B)

    def draw(self, pos: np.ndarray, task: np.ndarray | None) -> None:
        """This epoch's draws: positions into ``pos`` (this model's -1-filled part of the chunk's
        position array) and, proportional schedule, the task of each step into ``task``."""
        if self.schedule in ("joint", "alternating"):  # pos (T, slots): each task's pass
            n_max = int(self.sizes.max())
            for t, stream in enumerate(self.streams):
                pos[t, :n_max] = stream.take(n_max)
        elif self.schedule == "proportional":  # pos (S * B,): grouped by task, in task order
            choice = self.rng.choice(self.T, size=self.n_steps(), p=self.sizes / self.sizes.sum())
            task[: choice.size] = choice
            start = 0
            for t, n in enumerate(np.bincount(choice, minlength=self.T) * self.B):
                pos[start : start + n] = self.streams[t].take(int(n))
                start += n
        else:  # pooled: pos (S * B,)
            pos[: self.pool_rows.size] = self.streams[0].take(self.pool_rows.size)


class ChunkScheduler:
    """Builds the padded epoch plans of a chunk of models that share the number of tasks."""

    def __init__(
        self, jobs: Sequence[ModelJob], schedule: str, batch_size: int, pad_row: int
    ) -> None:
        self.models = [_ModelDraws(job, schedule, batch_size) for job in jobs]
        Ts = {m.T for m in self.models}
        if len(Ts) != 1:
            raise ValueError(f"a chunk must hold models with the same number of tasks, got {Ts}")
        self.T = Ts.pop()
        self.schedule = schedule
        self.B = batch_size
        self.R = self.T * batch_size if schedule == "joint" else batch_size
        self.pad_row = pad_row
        self.steps_per_model = np.array([m.n_steps() for m in self.models], dtype=np.int64)
        # every model's training rows and labels end to end, then one padding entry that
        # position -1 maps to: model m's task t starts at base[m, t] (pooled: its union, base[m])
        if schedule == "pooled":
            parts_rows = [m.pool_rows for m in self.models]
            parts_labels = [m.pool_labels for m in self.models]
            pad_labels = np.full((1, self.T), -1, dtype=np.int64)
        else:
            parts_rows = [t.train_rows for job in jobs for t in job.tasks]
            parts_labels = [t.train_labels for job in jobs for t in job.tasks]
            pad_labels = np.full(1, -1, dtype=np.int64)
        lengths = np.array([p.shape[0] for p in parts_rows], dtype=np.int64)
        self._base = (np.cumsum(lengths) - lengths).reshape(len(self.models), -1)
        self._rows = np.concatenate([*parts_rows, [pad_row]]).astype(np.int64)
        self._labels = np.concatenate([*parts_labels, pad_labels]).astype(np.int64)
        self._pad = self._rows.size - 1
        if schedule == "proportional":  # task T = the "no task" of a padded step
            no_task = np.full((len(self.models), 1), self._pad)
            self._base = np.concatenate([self._base, no_task], axis=1)

    @property
    def n_steps(self) -> int:
        return int(self.steps_per_model.max())

    def _index(self, base: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Entries of the concatenated rows/labels: base + position, the padding entry at -1."""
        return np.where(pos >= 0, base + pos, self._pad)

    def next_epoch(self) -> EpochPlan:
        S, M, B, T = self.n_steps, len(self.models), self.B, self.T
        live = np.arange(S)[:, None] < self.steps_per_model[None, :]  # (S, M): in its epoch
        if self.schedule in ("joint", "alternating"):
            per_task = S // T if self.schedule == "alternating" else S
            pos = np.full((M, T, per_task * B), -1, dtype=np.int64)
            for m, model in enumerate(self.models):
                model.draw(pos[m], None)
            idx = self._index(self._base[:, :, None], pos).reshape(M, T, per_task, B)
            rows, labels = self._rows[idx], self._labels[idx]  # (M, T, K, B)
            own = np.eye(T, dtype=bool)  # a slot's label is its own task's only
            if self.schedule == "joint":  # step k: every task's k-th batch side by side
                rows = rows.transpose(2, 0, 1, 3).reshape(S, M, T * B)
                labels = labels.transpose(2, 0, 1, 3)[..., None]  # (S, M, T, B, 1)
                labels = np.where(own[:, None, :], labels, -1).reshape(S, M, T * B, T)
                update = np.repeat(live[:, :, None], 1 + T, axis=2)
            else:  # step k * T + t: task t's k-th batch
                rows = rows.transpose(2, 1, 0, 3).reshape(S, M, B)
                labels = labels.transpose(2, 1, 0, 3)[..., None]  # (K, T, M, B, 1)
                labels = np.where(own[:, None, None, :], labels, -1).reshape(S, M, B, T)
                head = np.tile(own, (per_task, 1))[:, None, :]  # (S, 1, T): step s is task s % T
                update = np.concatenate([live[:, :, None], head & live[:, :, None]], axis=2)
        elif self.schedule == "proportional":
            pos = np.full((M, S * B), -1, dtype=np.int64)
            task = np.full((M, S), T, dtype=np.int64)  # T = no task (padded step)
            for m, model in enumerate(self.models):
                model.draw(pos[m], task[m])
            # the draws are grouped by task: a model's i-th step of task t takes that task's
            # i-th batch, i.e. the batches in the order of a stable sort of the steps by task
            order = np.argsort(task, axis=1, kind="stable")
            step_pos = np.empty((M, S, B), dtype=np.int64)
            step_pos[np.arange(M)[:, None], order] = pos.reshape(M, S, B)
            base = np.take_along_axis(self._base, task, axis=1)[:, :, None]
            idx = self._index(base, step_pos).transpose(1, 0, 2)  # (S, M, B)
            rows = self._rows[idx]
            head = task.T[:, :, None] == np.arange(T)  # (S, M, T)
            labels = np.where(head[:, :, None, :], self._labels[idx][..., None], -1)
            update = np.concatenate([live[:, :, None], head], axis=2)
        else:  # pooled
            pos = np.full((M, S * B), -1, dtype=np.int64)
            for m, model in enumerate(self.models):
                model.draw(pos[m], None)
            idx = self._index(self._base, pos).reshape(M, S, B).transpose(1, 0, 2)
            rows, labels = self._rows[idx], self._labels[idx]
            update = np.repeat(live[:, :, None], 1 + T, axis=2)
        return EpochPlan(
            rows=np.ascontiguousarray(rows),
            labels=np.ascontiguousarray(labels),
            update=np.ascontiguousarray(update),
        )
