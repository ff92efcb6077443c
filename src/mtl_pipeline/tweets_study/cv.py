"""K-fold cross-validation of STL vs. MTL on tweet task pairs with the ONE stacked trainer.

For one encoder, every model of every fold of every pair (STL main, STL aux, MTL main+aux with
the "pooled" masked loss) becomes a ``ModelJob`` and all of them are trained in ONE
``train_stacked`` call: M small models train as one batched model, which is what makes 10-fold
CV x 3 encoders affordable. The same holds for the aux-share ablation.

Rows: the feature matrix holds every pair's tweets (pairs stacked); a ``PairData`` knows its
global rows and both label vectors (-1 = the task has no label for that tweet).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mtl_pipeline.params import (
    OnDegenerate,
    class_counts,
    degenerate_message,
    without_degenerate,
)
from mtl_pipeline.tasks.tweets import TweetTask
from mtl_pipeline.training import ModelJob, TaskSplit, TrainingResult
from mtl_pipeline.training.executor import WorkGroup, train_durably
from mtl_pipeline.tweets_study.ablation import aux_share_subsets, check_shares
from mtl_pipeline.tweets_study.folds import stratified_folds
from mtl_pipeline.tweets_study.scores import accuracy_f1, score_predictions
from mtl_pipeline.tweets_study.settings import AblationSpec, CVSpec, TrainingSettings

Fold = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class PairData:
    """One pair's tweets: global row indices into the feature matrix and both label vectors."""

    name: str
    main: TweetTask
    aux: TweetTask
    rows: np.ndarray
    main_labels: np.ndarray
    aux_labels: np.ndarray


def pairs_from_table(table: pd.DataFrame, tasks: Mapping[str, TweetTask]) -> list[PairData]:
    """Pairs of a stacked examples table (``pair, main_task, aux_task, main_label, aux_label``).

    Row i of the table is row i of the feature matrix.
    """
    out = []
    for name, idx in table.groupby("pair", sort=False).indices.items():
        g = table.iloc[idx]
        main, aux = str(g["main_task"].iat[0]), str(g["aux_task"].iat[0])
        for t in (main, aux):
            if t not in tasks:
                raise ValueError(f"pair {name}: task {t!r} is not among the tasks {sorted(tasks)}")
        out.append(
            PairData(
                str(name),
                tasks[main],
                tasks[aux],
                np.asarray(idx, dtype=np.int64),
                g["main_label"].to_numpy(np.int64),
                g["aux_label"].to_numpy(np.int64),
            )
        )
    return out


def pair_folds(
    pairs: Sequence[PairData], n_folds: int, seed: int, parameter: str = "n_folds"
) -> dict[str, list[Fold]]:
    """Stratified, seeded folds (local indices) of each pair (``parameter``: the fold count's
    name, for errors)."""
    return {
        p.name: stratified_folds(p.main_labels, p.aux_labels, n_folds, seed, parameter)
        for p in pairs
    }


def _split(
    task: TweetTask,
    pair: PairData,
    labels: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    train_subset: np.ndarray | None = None,
):
    tr = train[labels[train] >= 0] if train_subset is None else train_subset
    te = test[labels[test] >= 0]
    return TaskSplit(
        name=task.name,
        train_rows=pair.rows[tr],
        train_labels=labels[tr],
        test_rows=pair.rows[te],
        test_labels=labels[te],
        n_classes=task.n_classes,
        positive_class=task.positive_class,
    )


def cv_jobs(
    pairs: Sequence[PairData],
    folds: Mapping[str, Sequence[Fold]],
    encoder: str,
    model_seed: int = 0,
) -> list:
    """STL main, STL aux and MTL (main, aux) jobs of every fold of every pair.

    Model seed = ``model_seed + fold``: the STL and MTL models of one fold start from the same
    seed, so the paired comparison differs only by the auxiliary task.
    """
    jobs = []
    for p in pairs:
        for k, (train, test) in enumerate(folds[p.name]):
            main = _split(p.main, p, p.main_labels, train, test)
            aux = _split(p.aux, p, p.aux_labels, train, test)
            base = {"pair": p.name, "fold": k, "encoder": encoder}
            for kind, tasks, mid in (
                ("stl", (main,), f"stl|{p.name}|{p.main.name}|{encoder}|f{k}"),
                ("stl", (aux,), f"stl|{p.name}|{p.aux.name}|{encoder}|f{k}"),
                ("mtl", (main, aux), f"mtl|{p.name}|{encoder}|f{k}"),
            ):
                meta = {**base, "setting": kind, "main_task": tasks[0].name}
                jobs.append(
                    ModelJob(model_id=mid, kind=kind, seed=model_seed + k, tasks=tasks, meta=meta)
                )
    return jobs


def ablation_jobs(
    pairs: Sequence[PairData],
    folds: Mapping[str, Sequence[Fold]],
    encoder: str,
    shares: Sequence[float],
    seed: int = 0,
    model_seed: int = 0,
    both_directions: bool = True,
    shares_parameter: str = "shares",
) -> list:
    """Main task + a seeded share of the aux task's training rows, per fold and share.

    Share 0 is the main task alone (an STL job: no aux rows means no aux head to train). With
    ``both_directions`` each task of a pair is in turn the main task.
    """
    shares = check_shares(shares, shares_parameter)
    jobs = []
    for p in pairs:
        directions = [(p.main, p.main_labels, p.aux, p.aux_labels)]
        if both_directions:
            directions.append((p.aux, p.aux_labels, p.main, p.main_labels))
        for d, (mt, ml, at, al) in enumerate(directions):
            for k, (train, test) in enumerate(folds[p.name]):
                main = _split(mt, p, ml, train, test)
                aux_train = train[al[train] >= 0]
                subsets = aux_share_subsets(aux_train, shares, [seed, k, d], shares_parameter)
                for share, subset in subsets.items():
                    mid = f"abl|{p.name}|{mt.name}|{encoder}|s{share:.2f}|f{k}"
                    meta = {
                        "pair": p.name,
                        "fold": k,
                        "encoder": encoder,
                        "main_task": mt.name,
                        "aux_task": at.name,
                        "aux_share": share,
                    }
                    if len(subset) == 0:
                        tasks = (main,)
                        kind = "stl"
                    else:
                        tasks = (main, _split(at, p, al, train, test, subset))
                        kind = "mtl"
                    jobs.append(
                        ModelJob(
                            model_id=mid,
                            kind=kind,
                            seed=model_seed + k,
                            tasks=tasks,
                            meta={**meta, "setting": kind},
                        )
                    )
    return jobs


def degenerate_folds(pairs: Sequence[PairData], folds: Mapping[str, Sequence[Fold]]) -> dict:
    """Per pair, the problems of its folds where a task has < 2 classes in train or test."""
    out: dict[str, list[str]] = {}
    for p in pairs:
        for k, (train, test) in enumerate(folds[p.name]):
            for task, labels in ((p.main, p.main_labels), (p.aux, p.aux_labels)):
                for split, rows in (("training", train), ("test", test)):
                    problem = degenerate_message(
                        task.name,
                        f"the {split} set of fold {k} (pair {p.name})",
                        class_counts(labels[rows]),
                        task.class_names,
                    )
                    if problem:
                        out.setdefault(p.name, []).append(problem)
    return out


def usable_pairs(
    pairs: Sequence[PairData], folds: Mapping[str, Sequence[Fold]], on_degenerate: OnDegenerate
) -> list[PairData]:
    """The pairs whose every fold has two classes per task and split; the others stop the run
    or are dropped with a warning (``on_degenerate``)."""
    bad = degenerate_folds(pairs, folds)
    return without_degenerate(
        pairs,
        [(p.name, m) for p in pairs for m in bad.get(p.name, [])],
        lambda p: p.name,
        on_degenerate,
        f"every pair was dropped ({sorted(bad)}): no result to report",
    )


def _without_degenerate_subsets(
    jobs: Sequence,
    tasks: Mapping[str, TweetTask],
    ablation: AblationSpec,
    on_degenerate: OnDegenerate,
) -> list:
    """Ablation jobs whose auxiliary share holds two classes; a one-class share stops the run,
    or ('drop') its pair is left out of the ablation with a warning."""
    problems = []
    for job in jobs:
        if len(job.tasks) < 2:
            continue
        aux = job.tasks[1]
        problem = degenerate_message(
            aux.name,
            f"the auxiliary training share {job.meta['aux_share']:g} of fold {job.meta['fold']} "
            f"(pair {job.meta['pair']}, parameter {ablation.shares_parameter})",
            class_counts(aux.train_labels),
            tasks[aux.name].class_names,
        )
        if problem:
            problems.append((job.meta["pair"], problem))
    return without_degenerate(
        jobs,
        problems,
        lambda job: job.meta["pair"],
        on_degenerate,
        "every pair was dropped from the ablation: nothing to report",
    )


def _train_groups(
    features: np.ndarray,
    jobs_by_encoder: Mapping[str, Sequence[ModelJob]],
    embedding: np.ndarray,
    settings: TrainingSettings,
) -> list[TrainingResult]:
    """Every encoder's jobs in one durable training call: one progress bar over all shards,
    one summary line, models already in the shard store reused."""
    groups = [
        WorkGroup(encoder, jobs, settings.model.model_spec(encoder, embedding), settings.train)
        for encoder, jobs in jobs_by_encoder.items()
    ]
    results, _ = train_durably(features, groups, settings.execution)
    return results


def run_cross_validation(
    features: np.ndarray,
    pairs: Sequence[PairData],
    embedding: np.ndarray,
    settings: TrainingSettings,
    cv: CVSpec,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-fold STL/MTL scores of every pair, task and encoder; and the training curves.

    One durable training call trains (or reuses) all encoders' models of all folds and pairs.
    A pair with a one-class fold split is never scored (see ``usable_pairs``).
    """
    folds = pair_folds(pairs, cv.n_folds, cv.seed, cv.n_folds_parameter)
    pairs = usable_pairs(pairs, folds, cv.on_degenerate)
    task_classes = {t.name: (t.n_classes, t.positive_class) for p in pairs for t in (p.main, p.aux)}
    scores, curves = [], []
    jobs_by_encoder = {
        encoder: cv_jobs(pairs, folds, encoder, cv.model_seed) for encoder in settings.encoders
    }
    results = _train_groups(features, jobs_by_encoder, embedding, settings)
    for jobs, result in zip(jobs_by_encoder.values(), results, strict=True):
        roles = {p.name: {p.main.name: "main", p.aux.name: "aux"} for p in pairs}
        meta = {j.model_id: {**j.meta, "roles": roles[str(j.meta["pair"])]} for j in jobs}
        scores.append(score_predictions(result.predictions, meta, task_classes))
        curves.append(result.curves)
    fold_scores = pd.concat(scores, ignore_index=True)
    order = ["pair", "task", "encoder", "setting", "fold"]
    return (
        fold_scores.sort_values(order, kind="stable").reset_index(drop=True),
        pd.concat(curves, ignore_index=True),
    )


def run_aux_ablation(
    features: np.ndarray,
    pairs: Sequence[PairData],
    embedding: np.ndarray,
    settings: TrainingSettings,
    cv: CVSpec,
    ablation: AblationSpec,
) -> pd.DataFrame:
    """Main-task test accuracy/F1 per pair, direction, encoder, aux share and fold."""
    folds = pair_folds(pairs, cv.n_folds, cv.seed, cv.n_folds_parameter)
    pairs = usable_pairs(pairs, folds, cv.on_degenerate)
    tasks = {t.name: t for p in pairs for t in (p.main, p.aux)}
    rows = []
    jobs_by_encoder = {
        encoder: _without_degenerate_subsets(
            ablation_jobs(
                pairs,
                folds,
                encoder,
                ablation.shares,
                ablation.seed,
                cv.model_seed,
                ablation.both_directions,
                ablation.shares_parameter,
            ),
            tasks,
            ablation,
            cv.on_degenerate,
        )
        for encoder in ablation.encoders
    }
    results = _train_groups(features, jobs_by_encoder, embedding, settings)
    for jobs, result in zip(jobs_by_encoder.values(), results, strict=True):
        by_id = {j.model_id: j for j in jobs}
        preds = result.predictions
        for model_id, g in preds.groupby("model_id", sort=False):
            job = by_id[str(model_id)]
            main = job.meta["main_task"]
            g = g[g["task"] == main]
            t = tasks[main]
            acc, f1 = accuracy_f1(
                g["label"].to_numpy(), g["pred"].to_numpy(), t.n_classes, t.positive_class
            )
            rows.append(
                {
                    **{
                        k: job.meta[k]
                        for k in ("pair", "main_task", "aux_task", "encoder", "aux_share", "fold")
                    },
                    "n_aux_train": len(job.tasks[1].train_rows) if len(job.tasks) > 1 else 0,
                    "n_test": len(g),
                    "accuracy": acc,
                    "f1": f1,
                }
            )
    out = pd.DataFrame(rows)
    return out.sort_values(
        ["pair", "main_task", "encoder", "aux_share", "fold"], kind="stable"
    ).reset_index(drop=True)
