"""The sweep plan: which pairs, which sweep points, and the STL and MTL model jobs of each.

Three sweeps vary one thing of a pair's tasks at a time, everything else as in the base study:

- ``main_size``: the main task's training documents per class (``factors.data_balance.
  per_class``), the auxiliary task at the base study's ``newsgroups.train_per_class``;
- ``aux_size``: the mirror, the auxiliary task's documents per class, the main task fixed;
- ``main_ratio``: the main task's class ratio at a fixed total (``factors.label_distribution``),
  so that its label entropy and kurtosis change by design.

Every sweep sample is a **nested subsample of the base study's sample** of the same task and
seed (:func:`subsample`): per class, a seeded permutation of the base sample's documents, of
which the first n are kept. So the 10 documents of a class are among its 25, and so on, and a
point asking for the base sizes *is* the base sample: its jobs are the base study's jobs
(``tasks.jobs.stl_jobs`` / ``mtl_jobs``: same model ids, rows and seeds), their fingerprints
the same, and the shard store returns the base study's models instead of training them again.
Jobs of other points carry the base job's id plus a tag of the sizes they were trained on
(``|main=p10n10``), so a model needed by two points (the 50:50 ratio point at total 200 and the
100-per-class point) is one job, trained once.

Pairs: every related pair (or a seeded subset, ``factors.related_pairs``) and a seeded sample
of the pairs that are unrelated only (``factors.unrelated_pairs``; the base study's unrelated
problem also holds the related pairs, which would blur the contrast).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from mtl_pipeline.factors.settings import FactorsSpec
from mtl_pipeline.tasks.hierarchy import assign_seeds, pair_seeds
from mtl_pipeline.tasks.jobs import mtl_jobs, stl_jobs
from mtl_pipeline.training import ModelJob, TaskSplit

#: sweep → the factor it varies (the x axis of its figure and trend test).
SWEEPS = {
    "main_size": "main_per_class",
    "aux_size": "aux_per_class",
    "main_ratio": "minority_share",
}
GROUPS = ("related", "unrelated")
OK, DEGENERATE = "ok", "degenerate"
RUN_COLUMNS = [
    "sweep",
    "factor",
    "value",
    "group",
    "pair_id",
    "seed",
    "main_task",
    "aux_task",
    "main_positive",
    "main_negative",
    "aux_positive",
    "aux_negative",
    "base_point",
    "stl_model_id",
    "mtl_model_id",
    "status",
    "note",
]


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: the training documents of each task as (label 1, label 0)."""

    sweep: str
    value: float
    main_counts: tuple[int, int]
    aux_counts: tuple[int, int]


def sweep_points(spec: FactorsSpec, base_per_class: int) -> list[SweepPoint]:
    """Every point of the three sweeps, in sweep order and factor order."""
    base = (base_per_class, base_per_class)
    points = [SweepPoint("main_size", float(n), (n, n), base) for n in sorted(spec.per_class)]
    points += [SweepPoint("aux_size", float(n), base, (n, n)) for n in sorted(spec.per_class)]
    for share in sorted(spec.minority_shares, reverse=True):
        minority = round(spec.total * share)
        counts = [spec.total - minority, spec.total - minority]
        counts[1 - spec.minority_label] = minority  # (label 1, label 0)
        points.append(SweepPoint("main_ratio", float(share), (counts[0], counts[1]), base))
    return points


def select_factor_pairs(pairs: pd.DataFrame, spec: FactorsSpec) -> pd.DataFrame:
    """The sweep's pairs (``generate_task_pairs`` rows) with ``group`` and ``seeds``: related
    pairs (all, or ``related_pairs`` of them) and ``unrelated_pairs`` pairs of the unrelated
    problem that are not related, each sample seeded by ``pair_selection_seed``."""
    related = pairs[pairs["problem"] == "related"]
    only_unrelated = pairs[
        (pairs["problem"] == "unrelated") & ~pairs["pair_id"].isin(related["pair_id"])
    ]
    parts = []
    for group, frame, wanted in (
        ("related", related, spec.related_pairs),
        ("unrelated", only_unrelated, spec.unrelated_pairs),
    ):
        n = len(frame) if wanted is None else min(wanted, len(frame))
        if n:
            parts.append(
                frame.sample(n=n, random_state=spec.pair_selection_seed).assign(group=group)
            )
    if not parts:
        raise ValueError(
            "no factor pair selected: the hierarchy has no related pair and unrelated_pairs is 0"
        )
    chosen = pd.concat(parts).sort_values(["group", "pair_id"]).reset_index(drop=True)
    return assign_seeds(chosen, spec.seeds)


def _stream(seed: int, task: str, label: int) -> np.random.Generator:
    """The random stream of one (seed, task, class): the same on every machine and rerun."""
    digest = hashlib.sha256(f"factors|{int(seed)}|{task}|{int(label)}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def subsample(split: TaskSplit, counts: tuple[int, int], seed: int) -> TaskSplit:
    """``split`` with its training documents cut to ``counts`` = (label 1, label 0), a nested
    subsample: per class the first n of a seeded permutation of the class's documents (so a
    smaller n keeps a subset of a larger one's). The test set is unchanged. Counts equal to the
    split's own return the split itself (the base study's job stays the base study's job).

    Raises:
        ValueError: a count above the class's documents in ``split``.
    """
    have = tuple(int((split.train_labels == label).sum()) for label in (1, 0))
    if tuple(counts) == have:
        return split
    rows, labels = [], []
    for label, wanted, available in zip((1, 0), counts, have, strict=True):
        if wanted > available:
            raise ValueError(
                f"task {split.name!r}: {wanted} training documents of label {label} asked, "
                f"the base sample has {available}"
            )
        members = split.train_rows[split.train_labels == label]
        kept = np.sort(members[_stream(seed, split.name, label).permutation(available)[:wanted]])
        rows.append(kept)
        labels.append(np.full(wanted, label, dtype=np.int64))
    return replace(split, train_rows=np.concatenate(rows), train_labels=np.concatenate(labels))


def counts_tag(counts: tuple[int, int]) -> str:
    """``p<label-1 documents>n<label-0 documents>``, e.g. ``p10n10``."""
    return f"p{counts[0]}n{counts[1]}"


@dataclass
class SweepPlan:
    """Distinct STL and MTL jobs of every sweep point (each trained once) and one run row per
    (sweep point, pair, seed) naming the two models its gain compares (:data:`RUN_COLUMNS`)."""

    stl: list[ModelJob]
    mtl: list[ModelJob]
    runs: pd.DataFrame


def plan_sweeps(
    factor_pairs: pd.DataFrame,
    task_samples: pd.DataFrame,
    points: Sequence[SweepPoint],
    random_draws: str = "per_seed",
    cut_test_to_shorter_task: bool = False,
) -> SweepPlan:
    """The jobs of every point: the base study's jobs (``stl_jobs`` / ``mtl_jobs`` of the same
    pairs and samples) with the varied task's training documents subsampled. A point whose
    varied task would have a class without documents is a ``degenerate`` run row with no
    model (never trained, never scored)."""
    base_stl = {
        (job.tasks[0].name, job.seed): job for job in stl_jobs(factor_pairs, task_samples, random_draws)
    }  # fmt: skip
    base_mtl = {
        (job.meta["pair_id"], job.seed): job
        for job in mtl_jobs(factor_pairs, task_samples, cut_test_to_shorter_task, random_draws)
    }
    stl: dict[str, ModelJob] = {}
    mtl: dict[str, ModelJob] = {}
    rows = []
    for pair in pair_seeds(factor_pairs).itertuples(index=False):
        seed = int(pair.seed)
        pair_job = base_mtl[(pair.pair_id, seed)]
        for point in points:
            row = _run_row(point, pair, seed)
            empty = _empty_roles(point)
            if empty:
                row["status"] = DEGENERATE
                row["note"] = f"the {' and '.join(empty)} task has a class without documents"
                row["base_point"] = False
                rows.append(row)
                continue
            stl_job, mtl_job = _point_jobs(point, pair_job, base_stl[(pair.main_task, seed)], seed)
            stl.setdefault(stl_job.model_id, stl_job)
            mtl.setdefault(mtl_job.model_id, mtl_job)
            row.update(
                stl_model_id=stl_job.model_id,
                mtl_model_id=mtl_job.model_id,
                base_point=mtl_job is pair_job,
            )
            rows.append(row)
    runs = pd.DataFrame(rows, columns=RUN_COLUMNS).astype({"seed": "int64", "base_point": bool})
    return SweepPlan(stl=list(stl.values()), mtl=list(mtl.values()), runs=runs)


def _run_row(point: SweepPoint, pair, seed: int) -> dict[str, object]:
    """The run row of one (point, pair, seed), before its models are known."""
    return {
        "sweep": point.sweep,
        "factor": SWEEPS[point.sweep],
        "value": point.value,
        "group": pair.group,
        "pair_id": pair.pair_id,
        "seed": seed,
        "main_task": pair.main_task,
        "aux_task": pair.aux_task,
        "main_positive": point.main_counts[0],
        "main_negative": point.main_counts[1],
        "aux_positive": point.aux_counts[0],
        "aux_negative": point.aux_counts[1],
        "stl_model_id": None,
        "mtl_model_id": None,
        "status": OK,
        "note": "",
    }


def _empty_roles(point: SweepPoint) -> list[str]:
    """The roles (main, aux) whose task would have a class without documents at ``point``."""
    return [
        role
        for role, counts in (("main", point.main_counts), ("aux", point.aux_counts))
        if min(counts) == 0
    ]


def _point_jobs(
    point: SweepPoint, pair_job: ModelJob, stl_base: ModelJob, seed: int
) -> tuple[ModelJob, ModelJob]:
    """The STL job of the main task and the pair's MTL job at ``point``: the base study's
    jobs themselves where the point keeps a task's documents, else their subsampled copies
    (model ids tagged with the counts)."""
    main_base, aux_base = pair_job.tasks
    main = subsample(main_base, point.main_counts, seed)
    aux = subsample(aux_base, point.aux_counts, seed)
    stl_job = (
        stl_base
        if main is main_base
        else replace(
            stl_base,
            model_id=f"{stl_base.model_id}|{counts_tag(point.main_counts)}",
            tasks=(subsample(stl_base.tasks[0], point.main_counts, seed),),
        )
    )
    tags = []
    if main is not main_base:
        tags.append(f"main={counts_tag(point.main_counts)}")
    if aux is not aux_base:
        tags.append(f"aux={counts_tag(point.aux_counts)}")
    mtl_job = (
        pair_job
        if not tags
        else replace(pair_job, model_id="|".join([pair_job.model_id, *tags]), tasks=(main, aux))
    )  # fmt: skip
    return stl_job, mtl_job


def sweep_task_samples(plan: SweepPlan) -> pd.DataFrame:
    """The training and test documents of every task variant the sweep trains (one per MTL
    model's main and auxiliary task), as a ``task_samples``-shaped table whose ``task`` is the
    variant's name ``"<task>|<counts tag>"`` (for the dataset features of the meta-examples)."""
    parts, seen = [], set()
    for job in plan.mtl:
        for split in job.tasks:
            counts = tuple(int((split.train_labels == label).sum()) for label in (1, 0))
            key = (variant_name(split.name, counts), job.seed)
            if key in seen:
                continue
            seen.add(key)
            for name, rows, labels in (
                ("train", split.train_rows, split.train_labels),
                ("test", split.test_rows, split.test_labels),
            ):
                parts.append(
                    pd.DataFrame(
                        {"task": key[0], "seed": int(job.seed), "split": name, "row": rows,
                         "label": labels}
                    )
                )  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def variant_name(task: str, counts: tuple[int, int]) -> str:
    """The name of one task variant: ``"<task>|p<n1>n<n0>"``."""
    return f"{task}|{counts_tag(counts)}"
