"""Nodes of the ``tweets`` pipeline: thin adapters from catalog data to the engine (no I/O
except the ingestion node, which reads the raw files named by parameters).

Each node parses the ``tweets`` parameters it uses into typed specs (``specs.tweets``) once;
errors name the parameter as written in ``conf/*/parameters_tweets.yml``."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mtl_pipeline.data.tweets import (
    combine_tweet_datasets,
    load_tweet_dataset,
    rehydration_report_table,
    split_tweet_datasets,
)
from mtl_pipeline.reporting.figures import aux_ablation_figure
from mtl_pipeline.reporting.run_metrics import for_metrics_dataset, tweet_results_metrics
from mtl_pipeline.specs import tweets as tweet_specs
from mtl_pipeline.tasks.tweets import stacked_pair_examples
from mtl_pipeline.text.glove import build_embedding_matrix, embedding_coverage, load_vectors_for
from mtl_pipeline.text.tweets import build_vocabulary, encode_sequences, tokenize_tweet
from mtl_pipeline.tweets_study.cv import pairs_from_table, run_aux_ablation, run_cross_validation
from mtl_pipeline.tweets_study.joshi_comparison import agreement_summary, paper_comparison_table
from mtl_pipeline.tweets_study.scores import results_table, significance_table

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "t"
DIM_PREFIX = "d"


def ingest_tweet_datasets(params: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every dataset the run's pairs use from ``tweets.data_dir``: one table of all of
    them (``dataset`` column; split with ``split_tweet_datasets``) and the rehydration report."""
    configs = tweet_specs.dataset_configs(params)
    wanted = tweet_specs.run_pairs(params).datasets
    data_dir = tweet_specs.data_dir(params, configs, wanted)
    skipped = sorted(set(configs) - set(wanted))
    if skipped:
        logger.info("tweets: datasets %s are configured but no run pair uses them", skipped)
    tables, reports = {}, []
    for name in wanted:
        tables[name], report = load_tweet_dataset(configs[name], data_dir)
        reports.append(report)
        logger.info(
            "tweets %s: %d kept of %d ids requested (%d conflicting, %d missing, %d empty)",
            name,
            report["n_kept"],
            report["n_requested"],
            report["n_conflicting_ids"],
            report["n_requested"] - report["n_conflicting_ids"] - report["n_found"],
            report["n_empty_text"],
        )
    return combine_tweet_datasets(tables), rehydration_report_table(reports)


def build_tweet_examples(params: dict[str, Any], tweet_datasets: pd.DataFrame) -> pd.DataFrame:
    """Examples of every pair in ``tweets.run_pairs``, stacked (row i = feature row i).

    A pair one of whose tasks has a single class over its tweets stops the run, or is dropped
    with a warning when ``tweets.on_degenerate_task`` is 'drop'.
    """
    run = tweet_specs.run_pairs(params)
    return stacked_pair_examples(
        run.pairs,
        run.tasks,
        split_tweet_datasets(tweet_datasets),
        tweet_specs.on_degenerate(params),
        tweet_specs.RUN_PAIRS,
    )


def build_tweet_vocabulary(examples: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Vocabulary of the examples' tokens (GloVe Twitter preprocessing), min count applied.

    Built on every tweet of the run: with frozen GloVe vectors this only decides which words
    get their own row, and keeps one vocabulary for all folds.
    """
    tokens = (tokenize_tweet(t) for t in examples["text"].drop_duplicates())
    return build_vocabulary(tokens, tweet_specs.text_settings(params).min_count)


def encode_tweet_sequences(
    examples: pd.DataFrame, vocabulary: pd.DataFrame, params: dict[str, Any]
) -> pd.DataFrame:
    """Labels plus padded token ids (columns t000, t001, ...) of every example."""
    # A tweet in several pairs (or retweeted under several ids) is tokenised once.
    tokens = {text: tokenize_tweet(text) for text in examples["text"].unique()}
    ids = encode_sequences(
        (tokens[t] for t in examples["text"]),
        vocabulary,
        tweet_specs.text_settings(params).max_length,
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
    settings = tweet_specs.embedding_settings(params)
    vectors, source = load_vectors_for(
        vocabulary, settings.glove_path, settings.glove_path_parameter
    )
    matrix = build_embedding_matrix(vocabulary, vectors, settings.unknown, settings.seed)
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
    pairs = pairs_from_table(sequences, tweet_specs.run_pairs(params).tasks)
    return _features(sequences), pairs, _embedding(embedding)


def evaluate_tweet_pairs(
    sequences: pd.DataFrame, embedding: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """K-fold STL vs. MTL scores per fold (one stacked training call per encoder) + curves."""
    return run_cross_validation(
        *_cv_inputs(sequences, embedding, params),
        tweet_specs.training_settings(params),
        tweet_specs.cv_spec(params),
    )


def summarise_tweet_results(
    fold_scores: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Joshi-style results table and the paired t-test table."""
    results = results_table(fold_scores)
    logger.info("Tweet results:\n%s", results.round(3).to_string(index=False))
    return results, significance_table(fold_scores, tweet_specs.significance_alpha(params))


def compare_tweets_with_paper(
    results: pd.DataFrame, significance: pd.DataFrame, params: dict[str, Any]
) -> pd.DataFrame:
    """MTL − STL per pair, task and shared layer beside Joshi et al.'s reported direction."""
    comparison = paper_comparison_table(
        results, significance, tweet_specs.significance_alpha(params)
    )
    logger.info(
        "Against Joshi et al.'s F1 direction per shared layer:\n%s",
        agreement_summary(comparison).to_string(index=False),
    )
    return comparison


def track_tweet_results(results: pd.DataFrame) -> dict[str, dict[str, float]]:
    """The tweets table's STL/MTL accuracy and F1 as run metrics (a kedro-mlflow metric dataset)."""
    return for_metrics_dataset(tweet_results_metrics(results), "tweets")


def run_tweet_aux_ablation(
    sequences: pd.DataFrame, embedding: pd.DataFrame, params: dict[str, Any]
) -> pd.DataFrame:
    """Main-task accuracy vs. share of the auxiliary task's training data, per fold."""
    settings = tweet_specs.training_settings(params)
    return run_aux_ablation(
        *_cv_inputs(sequences, embedding, params),
        settings,
        tweet_specs.cv_spec(params),
        tweet_specs.ablation_spec(params, settings.encoders),
    )


def plot_tweet_aux_ablation(ablation: pd.DataFrame) -> tuple[Figure, Figure]:
    """The ablation figure (mean ± std over folds): PNG and PDF."""
    figure = aux_ablation_figure(ablation)
    return figure, figure
