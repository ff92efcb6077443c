"""Nodes of the ``newsgroups`` pipeline: thin adapters from catalog data to the engine."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import scipy.sparse as sp

from mtl_pipeline.data.newsgroups import (
    download_newsgroups,
    read_labelled_documents,
    read_newsgroups,
)
from mtl_pipeline.params import InputError
from mtl_pipeline.pipelines.newsgroups_training import (
    draw_task_samples,
    mtl_model_jobs,
    stl_model_jobs,
    train_curves,
)
from mtl_pipeline.specs import newsgroups as spec
from mtl_pipeline.tasks.gains import compute_gains, summarise_gains
from mtl_pipeline.tasks.hierarchy import (
    assign_seeds,
    generate_task_pairs,
    parse_hierarchy,
    select_pairs,
    select_problems,
)
from mtl_pipeline.text.tfidf import fit_tfidf
from mtl_pipeline.training.executor import fingerprint_values

logger = logging.getLogger(__name__)


def ingest_newsgroups(params: dict[str, Any]) -> pd.DataFrame:
    """Read the user's labelled documents (``documents``), or the configured 20NG archive or
    folder, or download 20NG when both are null."""
    source = spec.document_source(params)
    if source.documents is not None:
        return read_labelled_documents(source.documents, spec.DOCUMENTS)
    remove = source.remove_headers_footers_quotes
    if source.archive is None:
        logger.info("%s is null: downloading 20 Newsgroups with scikit-learn", spec.ARCHIVE)
        return download_newsgroups(remove, data_home=source.download_dir, parameter=spec.ARCHIVE)
    return read_newsgroups(source.archive, remove, parameter=spec.ARCHIVE)


def build_tfidf(
    documents: pd.DataFrame, params: dict[str, Any]
) -> tuple[sp.csr_matrix, pd.DataFrame]:
    """TF-IDF of every document, fit on the training split."""
    matrix, vocabulary = fit_tfidf(
        documents["text"],
        (documents["split"] == "train").to_numpy(),
        spec.tfidf_max_features(params),
    )
    logger.info("TF-IDF: %d documents × %d terms, %d non-zeros", *matrix.shape, matrix.nnz)
    return matrix, vocabulary


def build_task_pairs(documents: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Task pairs from the configured hierarchy, optionally a seeded subset per problem, each
    with the seeds it is trained and judged with."""
    names, chosen = spec.HIERARCHY_NAMES, spec.pair_selection(params)
    known = documents["newsgroup"].unique()
    leaves = parse_hierarchy(chosen.hierarchy, known_newsgroups=known, names=names)
    pairs = generate_task_pairs(leaves, rules=chosen.rules, names=names)
    studied, problem_seeds = select_problems(
        pairs, chosen.problems, chosen.problem_seeds, names=names
    )
    selected = select_pairs(
        studied, chosen.pairs_per_problem, chosen.pair_selection_seed, names=names
    )
    selected = assign_seeds(selected, chosen.seeds, problem_seeds, names=names)
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
    return draw_task_samples(documents, task_pairs, spec.sample_spec(params))


#: Provenance columns of the learning curves: combined curves must agree on both.
PROVENANCE_COLUMNS = ("task_samples_fingerprint", "training_fingerprint")


def train_stl_models(
    tfidf_matrix: sp.csr_matrix,
    task_pairs: pd.DataFrame,
    task_samples: pd.DataFrame,
    model: dict[str, Any],
    train: dict[str, Any],
    execution: dict[str, Any],
) -> pd.DataFrame:
    """Single-task models: one per task and seed (reused from the shard store when trained
    before). Returns their curves, with the fingerprints they were made from."""
    training = spec.training(model, train, execution)
    jobs = stl_model_jobs(task_pairs, task_samples, training.train)
    return train_curves(tfidf_matrix, jobs, task_samples, training, "stl")


def train_mtl_models(
    tfidf_matrix: sp.csr_matrix,
    task_pairs: pd.DataFrame,
    task_samples: pd.DataFrame,
    model: dict[str, Any],
    train: dict[str, Any],
    execution: dict[str, Any],
) -> pd.DataFrame:
    """Multi-task models: one per distinct pair and seed (reused from the shard store when
    trained before). Returns their curves, with the fingerprints they were made from."""
    training = spec.training(model, train, execution)
    jobs = mtl_model_jobs(task_pairs, task_samples, training.train)
    return train_curves(tfidf_matrix, jobs, task_samples, training, "mtl")


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
    """Per pair × seed gains of MTL over STL on the main task (``newsgroups.gain``), and
    Table 1's summary."""
    _provenance(learning_curves, "learning_curves")
    gain = spec.gain_spec(params)
    gains = compute_gains(
        task_pairs,
        learning_curves,
        metric=gain.metric,
        stl_epoch=gain.stl_epoch,
        mtl_epoch=gain.mtl_epoch,
        names=spec.GAIN_NAMES,
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
