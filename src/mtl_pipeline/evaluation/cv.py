"""K-fold cross-validation of STL vs. MTL on tweet task pairs with the ONE stacked trainer.

For one encoder, every model of every fold of every pair (STL main, STL aux, MTL main+aux with
the "pooled" masked loss) becomes a ``ModelJob``; all encoders' jobs go to ONE durable training
call (``training.executor.train_durably``), which trains them in shards of stacked models (M
small models as one batched model: what makes 10-fold CV x 3 encoders affordable) and reuses
those the shard store already holds. The same holds for the aux-share ablation.

Rows: the feature matrix holds every pair's tweets (pairs stacked); a ``PairData`` knows its
global rows and both label vectors (-1 = the task has no label for that tweet).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mtl_pipeline.evaluation.ablation import aux_share_subsets, check_shares
from mtl_pipeline.evaluation.folds import stratified_folds
from mtl_pipeline.evaluation.scores import accuracy_f1, score_predictions
from mtl_pipeline.tasks.tweets import TweetTask
from mtl_pipeline.training import ModelJob, ModelSpec, TaskSplit, TrainingResult, TrainSpec
from mtl_pipeline.training.executor import ExecutionSpec, WorkGroup, train_durably
from mtl_pipeline.training.specs import SEQUENCE_ENCODERS as ENCODERS

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
                raise ValueError(f"pair {name}: task {t!r} is not defined under tweets.tasks")
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


def pair_folds(pairs: Sequence[PairData], n_folds: int, seed: int) -> dict[str, list[Fold]]:
    """Stratified, seeded folds (local indices) of each pair."""
    return {p.name: stratified_folds(p.main_labels, p.aux_labels, n_folds, seed) for p in pairs}


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
) -> list:
    """Main task + a seeded share of the aux task's training rows, per fold and share.

    Share 0 is the main task alone (an STL job: no aux rows means no aux head to train). With
    ``both_directions`` each task of a pair is in turn the main task.
    """
    shares = check_shares(shares)
    jobs = []
    for p in pairs:
        directions = [(p.main, p.main_labels, p.aux, p.aux_labels)]
        if both_directions:
            directions.append((p.aux, p.aux_labels, p.main, p.main_labels))
        for d, (mt, ml, at, al) in enumerate(directions):
            for k, (train, test) in enumerate(folds[p.name]):
                main = _split(mt, p, ml, train, test)
                aux_train = train[al[train] >= 0]
                subsets = aux_share_subsets(aux_train, shares, [seed, k, d])
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


def model_spec(params: Mapping[str, Any], encoder: str, embedding: np.ndarray):
    """The trainer's ModelSpec from ``tweets.model`` for one encoder."""
    if encoder not in ENCODERS:
        raise ValueError(f"parameter tweets.model.encoders: {encoder!r} is not one of {ENCODERS}")
    return ModelSpec(
        encoder=encoder,
        units=int(params.get("units", 25)),
        head_hidden=int(params.get("head_hidden", 25)),
        dropout=float(params.get("dropout", 0.25)),
        activation=str(params.get("activation", "relu")),
        kernel_sizes=tuple(int(k) for k in params.get("kernel_sizes", (3,))),
        embedding=np.ascontiguousarray(embedding, dtype=np.float32),
        train_embedding=bool(params.get("train_embedding", False)),
    )


def train_spec(params: Mapping[str, Any]):
    """The trainer's TrainSpec from ``tweets.train``."""
    return TrainSpec(
        epochs=int(params["epochs"]),
        batch_size=int(params["batch_size"]),
        learning_rate=float(params.get("learning_rate", 1e-3)),
        schedule=str(params.get("schedule", "pooled")),
        eval_every=int(params.get("eval_every", 1)),
    )


def _train_groups(
    features: np.ndarray,
    jobs_by_encoder: Mapping[str, Sequence[ModelJob]],
    embedding: np.ndarray,
    params: Mapping[str, Any],
) -> list[TrainingResult]:
    """Every encoder's jobs in one durable training call: one progress bar over all shards,
    one summary line, models already in the shard store reused."""
    groups = [
        WorkGroup(
            encoder,
            jobs,
            model_spec(params["model"], encoder, embedding),
            train_spec(params["train"]),
        )
        for encoder, jobs in jobs_by_encoder.items()
    ]
    execution = ExecutionSpec.from_params(
        {"device": params.get("device", "auto"), **params.get("training", {})}, "tweets.training"
    )
    results, _ = train_durably(features, groups, execution)
    return results


def run_cross_validation(
    features: np.ndarray,
    pairs: Sequence[PairData],
    embedding: np.ndarray,
    params: Mapping[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-fold STL/MTL scores of every pair, task and encoder; and the training curves.

    ``params`` is the ``tweets`` parameter block (``cv``, ``model``, ``train``, ``device``).
    One durable training call trains (or reuses) all encoders' models of all folds and pairs.
    """
    folds = pair_folds(pairs, int(params["cv"]["n_folds"]), int(params["cv"]["seed"]))
    task_classes = {t.name: (t.n_classes, t.positive_class) for p in pairs for t in (p.main, p.aux)}
    scores, curves = [], []
    model_seed = int(params["cv"].get("model_seed", 0))
    jobs_by_encoder = {
        encoder: cv_jobs(pairs, folds, encoder, model_seed)
        for encoder in params["model"]["encoders"]
    }
    results = _train_groups(features, jobs_by_encoder, embedding, params)
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
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """Main-task test accuracy/F1 per pair, direction, encoder, aux share and fold."""
    abl = params["ablation"]
    folds = pair_folds(pairs, int(params["cv"]["n_folds"]), int(params["cv"]["seed"]))
    tasks = {t.name: t for p in pairs for t in (p.main, p.aux)}
    rows = []
    jobs_by_encoder = {
        encoder: ablation_jobs(
            pairs,
            folds,
            encoder,
            abl["shares"],
            int(abl.get("seed", 0)),
            int(params["cv"].get("model_seed", 0)),
            bool(abl.get("both_directions", True)),
        )
        for encoder in abl.get("encoders", params["model"]["encoders"][:1])
    }
    results = _train_groups(features, jobs_by_encoder, embedding, params)
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
