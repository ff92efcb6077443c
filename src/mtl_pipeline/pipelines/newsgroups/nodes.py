"""Nodes of the ``newsgroups`` pipeline: thin adapters from catalog data to the engine."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import pandas as pd
import scipy.sparse as sp

from mtl_pipeline.data.newsgroups import (
    download_newsgroups,
    read_labelled_documents,
    read_newsgroups,
)
from mtl_pipeline.params import InputError, Params, check_degenerate
from mtl_pipeline.tasks.hierarchy import (
    assign_seeds,
    generate_task_pairs,
    parse_hierarchy,
    select_pairs,
    select_problems,
    task_seeds,
)
from mtl_pipeline.tasks.jobs import RANDOM_DRAWS, mtl_jobs, stl_jobs
from mtl_pipeline.tasks.samples import degenerate_samples, sample_tasks
from mtl_pipeline.text.tfidf import fit_tfidf
from mtl_pipeline.training import ModelSpec, TrainSpec
from mtl_pipeline.training.executor import (
    ExecutionSpec,
    WorkGroup,
    fingerprint_values,
    train_durably,
)
from mtl_pipeline.training.families import HARD, SHARING, SOFT
from mtl_pipeline.training.gains import compute_gains, summarise_gains
from mtl_pipeline.training.gradtag import GradTagSettings
from mtl_pipeline.training.init_schemes import INIT_SCHEMES
from mtl_pipeline.training.output_heads import OUTPUT_HEADS
from mtl_pipeline.training.probes import warmup_probe, warmup_probe_settings
from mtl_pipeline.training.specs import ACTIVATIONS, SCHEDULES
from mtl_pipeline.training.store import frame_fingerprint, mapping_fingerprint

logger = logging.getLogger(__name__)


def ingest_newsgroups(params: dict[str, Any]) -> pd.DataFrame:
    """Read the user's labelled documents (``documents``), or the configured 20NG archive or
    folder, or download 20NG when both are null."""
    if params.get("documents") is not None:
        return read_labelled_documents(params["documents"])
    remove = bool(params.get("remove_headers_footers_quotes", False))
    archive = params.get("archive")
    if archive is None:
        logger.info("newsgroups.archive is null: downloading 20 Newsgroups with scikit-learn")
        return download_newsgroups(remove, data_home=params.get("download_dir"))
    return read_newsgroups(archive, remove)


def build_tfidf(
    documents: pd.DataFrame, params: dict[str, Any]
) -> tuple[sp.csr_matrix, pd.DataFrame]:
    """TF-IDF of every document, fit on the training split."""
    matrix, vocabulary = fit_tfidf(
        documents["text"], (documents["split"] == "train").to_numpy(), params["max_features"]
    )
    logger.info("TF-IDF: %d documents × %d terms, %d non-zeros", *matrix.shape, matrix.nnz)
    return matrix, vocabulary


def build_task_pairs(documents: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Task pairs from the configured hierarchy, optionally a seeded subset per problem, each
    with the seeds it is trained and judged with."""
    leaves = parse_hierarchy(params["hierarchy"], known_newsgroups=documents["newsgroup"].unique())
    pairs = generate_task_pairs(leaves)
    studied, problem_seeds = select_problems(
        pairs, params.get("problems"), params.get("problem_seeds")
    )
    selected = select_pairs(studied, params.get("pairs_per_problem"), params["pair_selection_seed"])
    p = Params(params, "newsgroups")
    selected = assign_seeds(selected, p.integers("seeds", minimum=0), problem_seeds)
    logger.info(
        "Task pairs: %s (of %s); seeds: %s",
        selected["problem"].value_counts().sort_index().to_dict(),
        pairs["problem"].value_counts().sort_index().to_dict(),
        selected.drop_duplicates("problem").set_index("problem")["seeds"].to_dict(),
    )
    return selected


def build_task_samples(
    documents: pd.DataFrame, task_pairs: pd.DataFrame, params: dict[str, Any]
) -> pd.DataFrame:
    """Seeded training samples and test sets of every task the pairs use.

    A task whose training or test sample holds one class (e.g. a newsgroup without test
    documents) stops the run: its F1 would be reported as a finding.
    """
    samples = sample_tasks(
        documents,
        task_seeds(task_pairs),
        params["train_per_class"],
        params.get("sampling", "per_class"),
        params.get("test_per_task"),
    )
    check_degenerate(degenerate_samples(samples), "error", None)
    return samples


def _model_and_schedule(params: dict[str, Any], epochs_key: str) -> tuple[ModelSpec, TrainSpec]:
    """The trainer's specs from ``newsgroups.training``; errors name the parameter as written."""
    p = Params(params, "newsgroups.training")
    # STL models are the same under both sharing modes (one task, one trunk)
    sharing = p.choice("sharing", SHARING, default=HARD)
    model = ModelSpec(
        encoder="mlp",
        sharing=sharing,
        hidden_sizes=p.integers("hidden_sizes", minimum=1),
        activation=p.choice("activation", ACTIVATIONS),
        dropout=p.number("dropout", minimum=0.0, maximum=1.0, below_maximum=True),
        soft_sharing_lambda=p.number("soft_sharing_lambda", default=1.0, minimum=0.0)
        if sharing == SOFT
        else 0.0,
        weight_init=p.choice("weight_init", tuple(INIT_SCHEMES), default="torch_default"),
        output_head=p.choice("output_head", tuple(OUTPUT_HEADS), default="softmax"),
    )
    schedule = TrainSpec(
        epochs=p.integer(epochs_key, minimum=1),
        batch_size=p.integer("batch_size", minimum=1),
        learning_rate=p.number("learning_rate", positive=True),
        schedule=p.choice("schedule", SCHEDULES),
    )
    return model, schedule


def _random_draws(params: dict[str, Any]) -> str:
    """``newsgroups.training.random_draws`` (tasks.jobs.RANDOM_DRAWS; absent = per_seed)."""
    return Params(params, "newsgroups.training").choice(
        "random_draws", RANDOM_DRAWS, default="per_seed"
    )


def _mtl_jobs(task_pairs: pd.DataFrame, task_samples: pd.DataFrame, params: dict[str, Any]):
    return mtl_jobs(
        task_pairs,
        task_samples,
        bool(params.get("cut_mtl_test_to_shorter_task", False)),
        _random_draws(params),
    )


#: Training parameters that decide where and how fast models train, not what they learn.
EXECUTION_KEYS = frozenset(
    {
        "device",
        "chunk_size",
        "progress",
        "shard_store",
        "shard_size",
        "executor",
        "dask",
        "torch_threads",
    }
)
#: Parameters read after training (by compute_mtl_gains), not by it.
GAIN_KEYS = frozenset({"gain_metric", "stl_eval_epoch", "mtl_eval_epoch"})
#: Provenance columns of the learning curves: combined curves must agree on both.
PROVENANCE_COLUMNS = ("task_samples_fingerprint", "training_fingerprint")


def _train(
    tfidf_matrix: sp.csr_matrix,
    jobs: list,
    task_samples: pd.DataFrame,
    params: dict[str, Any],
    kind: str,
) -> pd.DataFrame:
    model, schedule = _model_and_schedule(params, f"{kind}_epochs")
    execution = ExecutionSpec.from_params(params, "newsgroups.training")
    (result,), summary = train_durably(
        tfidf_matrix, [WorkGroup(kind, jobs, model, schedule)], execution
    )
    learned = {k: v for k, v in params.items() if k not in EXECUTION_KEYS | GAIN_KEYS}
    training = mapping_fingerprint({"params": learned, "features": summary.features_fingerprint})
    return result.curves.assign(
        task_samples_fingerprint=frame_fingerprint(task_samples), training_fingerprint=training
    )


def train_stl_models(
    tfidf_matrix: sp.csr_matrix,
    task_pairs: pd.DataFrame,
    task_samples: pd.DataFrame,
    params: dict[str, Any],
) -> pd.DataFrame:
    """Single-task models: one per task and seed (reused from the shard store when trained
    before). Returns their curves, with the fingerprints they were made from."""
    jobs = stl_jobs(task_pairs, task_samples, _random_draws(params))
    return _train(tfidf_matrix, jobs, task_samples, params, "stl")


def train_mtl_models(
    tfidf_matrix: sp.csr_matrix,
    task_pairs: pd.DataFrame,
    task_samples: pd.DataFrame,
    params: dict[str, Any],
) -> pd.DataFrame:
    """Multi-task models: one per distinct pair and seed (reused from the shard store when
    trained before). Returns their curves, with the fingerprints they were made from."""
    return _train(
        tfidf_matrix, _mtl_jobs(task_pairs, task_samples, params), task_samples, params, "mtl"
    )


class MixedRunsError(InputError):
    """Curves that do not come from one training run (a partial rerun would mix them)."""


def _provenance(curves: pd.DataFrame, name: str) -> tuple[str, ...]:
    """The (task samples, training) fingerprints of one curves table; one value each."""
    values = [fingerprint_values(curves, column) for column in PROVENANCE_COLUMNS]
    if any(len(v) != 1 for v in values):
        found = ", ".join(f"{c}={v}" for c, v in zip(PROVENANCE_COLUMNS, values, strict=True))
        raise MixedRunsError(
            f"{name} does not come from one training run ({found}); retrain it: kedro run "
            "--pipelines=newsgroups --from-nodes=train_stl_models,train_mtl_models"
        )
    return tuple(v[0] for v in values)


def combine_learning_curves(stl_curves: pd.DataFrame, mtl_curves: pd.DataFrame) -> pd.DataFrame:
    """All curves in one long table (one row per model × epoch), after checking that the STL
    and MTL curves come from the same task samples and the same training parameters."""
    stl = _provenance(stl_curves, "stl_learning_curves")
    mtl = _provenance(mtl_curves, "mtl_learning_curves")
    if stl != mtl:
        raise MixedRunsError(
            "stl_learning_curves and mtl_learning_curves come from different runs: "
            f"stl_learning_curves has task samples {stl[0]} and training parameters {stl[1]}, "
            f"mtl_learning_curves has task samples {mtl[0]} and training parameters {mtl[1]} "
            "(the latest saved version of each was loaded). Train both from the same inputs: "
            "kedro run --pipelines=newsgroups --from-nodes=train_stl_models,train_mtl_models "
            "(models already in the shard store are reused, not retrained)."
        )
    return pd.concat([stl_curves, mtl_curves], ignore_index=True)


def compute_mtl_gains(
    task_pairs: pd.DataFrame, learning_curves: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per pair × seed gains of MTL over STL on the main task, and Table 1's summary."""
    _provenance(learning_curves, "learning_curves")
    gains = compute_gains(
        task_pairs,
        learning_curves,
        metric=params["gain_metric"],
        stl_epoch=params.get("stl_eval_epoch"),
        mtl_epoch=params.get("mtl_eval_epoch"),
    )
    summary = summarise_gains(gains)
    for row in summary.itertuples():
        logger.info(
            "Table 1 (%s, %s): STL %.3f, MTL %.3f, improved %.1f %% of %d pair × seed runs",
            row.problem,
            row.metric,
            row.stl_mean,
            row.mtl_mean,
            100 * row.improved_share,
            row.n_pairs * row.n_seeds,
        )
    return gains, summary


def warmup_probes(
    tfidf_matrix: sp.csr_matrix,
    task_pairs: pd.DataFrame,
    task_samples: pd.DataFrame,
    params: dict[str, Any],
    *,
    epochs: int,
    lookahead_lr: float,
    gradtag: GradTagSettings | None = None,
) -> pd.DataFrame:
    """TAG affinities and gradient cosines of every pair's MTL model over its first ``epochs``
    epochs (the same models and batches as in ``train_mtl_models``), and with ``gradtag`` the
    Grad-TAG-style gain estimate from the warmed-up model; one row per pair × seed.

    The warm-up models are kept in the shard store like every other model, keyed by their
    model, schedule, data, seed and probe settings: a rerun reuses them (and logs
    ``models: trained=<n> reused=<k> ...``)."""
    # the affinity is defined on shared layers: the warm-up is always hard sharing
    warmup = {**params, "warmup_epochs": epochs, "sharing": "hard"}
    model, schedule = _model_and_schedule(warmup, "warmup_epochs")
    jobs = _mtl_jobs(task_pairs, task_samples, params)
    execution = ExecutionSpec.from_params(params, "newsgroups.training")
    group = WorkGroup(
        "warmup",
        jobs,
        model,
        schedule,
        probe_factory=partial(warmup_probe, lookahead_lr=lookahead_lr, gradtag=gradtag),
        probe_settings=warmup_probe_settings(lookahead_lr, gradtag),
    )
    logger.info(
        "warm-up: %d MTL models, %d epoch(s), TAG affinity%s",
        len(jobs),
        epochs,
        " + Grad-TAG estimate" if gradtag is not None else "",
    )
    (result,), _ = train_durably(tfidf_matrix, [group], execution)
    return result.probes
