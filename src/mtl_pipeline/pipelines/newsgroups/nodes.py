"""Nodes of the ``newsgroups`` pipeline: thin adapters from catalog data to the engine."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import scipy.sparse as sp

from mtl_pipeline.data.newsgroups import download_newsgroups, read_newsgroups
from mtl_pipeline.tasks.hierarchy import (
    generate_task_pairs,
    parse_hierarchy,
    select_pairs,
    tasks_of_pairs,
)
from mtl_pipeline.tasks.samples import sample_tasks
from mtl_pipeline.text.tfidf import fit_tfidf

logger = logging.getLogger(__name__)


def ingest_newsgroups(params: dict[str, Any]) -> pd.DataFrame:
    """Read the configured archive or folder, or download 20NG when ``archive`` is null."""
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
    """Task pairs from the configured hierarchy, optionally a seeded subset per problem."""
    leaves = parse_hierarchy(params["hierarchy"], known_newsgroups=documents["newsgroup"].unique())
    pairs = generate_task_pairs(leaves)
    selected = select_pairs(pairs, params.get("pairs_per_problem"), params["pair_selection_seed"])
    logger.info(
        "Task pairs: %s (of %s)",
        selected["problem"].value_counts().sort_index().to_dict(),
        pairs["problem"].value_counts().sort_index().to_dict(),
    )
    return selected


def build_task_samples(
    documents: pd.DataFrame, task_pairs: pd.DataFrame, params: dict[str, Any]
) -> pd.DataFrame:
    """Seeded training samples and test sets of every task the pairs use."""
    return sample_tasks(
        documents,
        tasks_of_pairs(task_pairs),
        params["seeds"],
        params["train_per_class"],
        params.get("sampling", "per_class"),
    )
