"""Nodes of the ``tweets`` pipeline: thin adapters from catalog data to the engine (no I/O
except the ingestion node, which reads the raw files named by parameters)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mtl_pipeline.data.tweets import load_tweet_dataset, rehydration_report_table
from mtl_pipeline.evaluation.cv import pairs_from_table, run_aux_ablation, run_cross_validation
from mtl_pipeline.evaluation.scores import results_table, significance_table
from mtl_pipeline.reporting.figures import aux_ablation_figure
from mtl_pipeline.tasks.tweets import build_pair_examples, load_tasks, selected_pairs
from mtl_pipeline.text.glove import build_embedding_matrix, embedding_coverage, load_vectors_for
from mtl_pipeline.text.tweets import build_vocabulary, encode_sequences, tokenize_tweet

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "t"
DIM_PREFIX = "d"


def ingest_tweet_dataset(
    data_dir: str, config: dict[str, Any], name: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read one configured dataset from ``tweets.data_dir``; its table and its report row."""
    table, report = load_tweet_dataset(config, data_dir, name)
    logger.info(
        "tweets %s: %d kept of %d ids requested (%d conflicting, %d missing, %d empty)",
        name,
        report["n_kept"],
        report["n_requested"],
        report["n_conflicting_ids"],
        report["n_requested"] - report["n_conflicting_ids"] - report["n_found"],
        report["n_empty_text"],
    )
    return table, rehydration_report_table([report])


def combine_rehydration_reports(*reports: pd.DataFrame) -> pd.DataFrame:
    """One report table, one row per dataset."""
    return pd.concat(reports, ignore_index=True)


def build_tweet_examples(
    params: dict[str, Any], *tables: pd.DataFrame, names: tuple[str, ...]
) -> pd.DataFrame:
    """Examples of every pair in ``tweets.run_pairs``, stacked (row i = feature row i)."""
    by_name = dict(zip(names, tables, strict=True))
    tasks = load_tasks(params)
    parts = [build_pair_examples(p, tasks, by_name) for p in selected_pairs(params, tasks)]
    for part in parts:
        logger.info(
            "pair %s: %d tweets, %d with both labels",
            part["pair"].iat[0],
            len(part),
            int(((part["main_label"] >= 0) & (part["aux_label"] >= 0)).sum()),
        )
    return pd.concat(parts, ignore_index=True)


def build_tweet_vocabulary(examples: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Vocabulary of the examples' tokens (GloVe Twitter preprocessing), min count applied.

    Built on every tweet of the run: with frozen GloVe vectors this only decides which words
    get their own row, and keeps one vocabulary for all folds.
    """
    tokens = (tokenize_tweet(t) for t in examples["text"].drop_duplicates())
    return build_vocabulary(tokens, int(params["min_count"]))


def encode_tweet_sequences(
    examples: pd.DataFrame, vocabulary: pd.DataFrame, params: dict[str, Any]
) -> pd.DataFrame:
    """Labels plus padded token ids (columns t000, t001, ...) of every example."""
    # A tweet in several pairs (or retweeted under several ids) is tokenised once.
    tokens = {text: tokenize_tweet(text) for text in examples["text"].unique()}
    ids = encode_sequences(
        (tokens[t] for t in examples["text"]), vocabulary, int(params["max_length"])
    )
    width = len(str(ids.shape[1] - 1))
    cols = [f"{TOKEN_PREFIX}{i:0{max(width, 3)}d}" for i in range(ids.shape[1])]
    meta = examples[["pair", "tweet_id", "main_task", "aux_task", "main_label", "aux_label"]]
    return pd.concat(
        [meta.reset_index(drop=True), pd.DataFrame(ids.astype(np.int32), columns=cols)], axis=1
    )


def build_tweet_embeddings(
    vocabulary: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Embedding matrix (row = vocabulary index; columns d000, ...) and its coverage."""
    vectors, source = load_vectors_for(vocabulary, params.get("glove_path"))
    matrix = build_embedding_matrix(
        vocabulary, vectors, str(params.get("unknown", "random")), int(params.get("seed", 0))
    )
    coverage = embedding_coverage(vocabulary, vectors, source)
    logger.info("GloVe coverage:\n%s", coverage.to_string(index=False))
    cols = [f"{DIM_PREFIX}{i:03d}" for i in range(matrix.shape[1])]
    table = pd.DataFrame(matrix, columns=cols)
    table.insert(0, "index", np.arange(len(matrix), dtype=np.int64))
    return table, coverage


def _features(sequences: pd.DataFrame) -> np.ndarray:
    cols = [c for c in sequences.columns if c.startswith(TOKEN_PREFIX) and c[1:].isdigit()]
    return sequences[cols].to_numpy(dtype=np.int64)


def _embedding(table: pd.DataFrame) -> np.ndarray:
    table = table.sort_values("index")
    cols = [c for c in table.columns if c.startswith(DIM_PREFIX) and c[1:].isdigit()]
    return table[cols].to_numpy(dtype=np.float32)


def _cv_inputs(
    sequences: pd.DataFrame, embedding: pd.DataFrame, params: dict[str, Any]
) -> tuple[np.ndarray, list, np.ndarray]:
    """(token ids, pairs, embedding matrix): what cross-validation and the ablation take."""
    pairs = pairs_from_table(sequences, load_tasks(params))
    return _features(sequences), pairs, _embedding(embedding)


def evaluate_tweet_pairs(
    sequences: pd.DataFrame, embedding: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """K-fold STL vs. MTL scores per fold (one stacked training call per encoder) + curves."""
    return run_cross_validation(*_cv_inputs(sequences, embedding, params), params)


def summarise_tweet_results(
    fold_scores: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Joshi-style results table and the paired t-test table."""
    results = results_table(fold_scores)
    logger.info("Tweet results:\n%s", results.round(3).to_string(index=False))
    return results, significance_table(fold_scores, float(params.get("alpha", 0.05)))


def run_tweet_aux_ablation(
    sequences: pd.DataFrame, embedding: pd.DataFrame, params: dict[str, Any]
) -> pd.DataFrame:
    """Main-task accuracy vs. share of the auxiliary task's training data, per fold."""
    return run_aux_ablation(*_cv_inputs(sequences, embedding, params), params)


def plot_tweet_aux_ablation(ablation: pd.DataFrame) -> tuple[Figure, Figure]:
    """The ablation figure (mean ± std over folds): PNG and PDF."""
    figure = aux_ablation_figure(ablation)
    return figure, figure
