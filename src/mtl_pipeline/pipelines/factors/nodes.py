"""Nodes of the ``factors`` pipeline: thin adapters from catalog data to ``mtl_pipeline.factors``.

The sweeps train with the base study's settings (``newsgroups.model``/``train``/``training``, the
same model and schedule specs, the same shard store), so a sweep point equal to the base configuration is
looked up, not trained, once ``kedro run --pipelines=meta`` has trained it.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import scipy.sparse as sp
from matplotlib.figure import Figure

from mtl_pipeline.factors.effects import (
    feature_signal,
    meta_examples,
    point_effects,
    prediction_scores,
    relatedness_contrast,
    sweep_gains,
    trends,
    verdicts,
)
from mtl_pipeline.factors.settings import FactorsSpec
from mtl_pipeline.factors.sweeps import (
    SweepPlan,
    plan_sweeps,
    select_factor_pairs,
    sweep_points,
    sweep_task_samples,
)
from mtl_pipeline.features.dataset import build_task_counts, task_statistics
from mtl_pipeline.pipelines.newsgroups_training import draw_task_samples
from mtl_pipeline.reporting.factors_figures import factor_gains_figure, factor_gains_plotly
from mtl_pipeline.specs import newsgroups as newsgroups_spec
from mtl_pipeline.specs.factors import factors_spec_of
from mtl_pipeline.tasks.hierarchy import generate_task_pairs, parse_hierarchy
from mtl_pipeline.training.executor import (
    FINGERPRINT_COLUMN,
    WorkGroup,
    train_durably,
)

logger = logging.getLogger(__name__)


def build_factor_pairs(
    documents: pd.DataFrame, newsgroups: dict[str, Any], factors: dict[str, Any]
) -> pd.DataFrame:
    """The sweep's pairs: related pairs and a seeded sample of unrelated-only pairs, each with
    its seeds (``factors.seeds``)."""
    spec = factors_spec_of(factors, newsgroups)
    names = newsgroups_spec.HIERARCHY_NAMES
    leaves = parse_hierarchy(
        newsgroups_spec.hierarchy(newsgroups),
        known_newsgroups=documents["newsgroup"].unique(),
        names=names,
    )
    pairs = select_factor_pairs(generate_task_pairs(leaves, names=names), spec)
    logger.info("factors: pairs %s, seeds %s", pairs["group"].value_counts().to_dict(), spec.seeds)
    return pairs


def build_factor_samples(
    documents: pd.DataFrame, factor_pairs: pd.DataFrame, newsgroups: dict[str, Any]
) -> pd.DataFrame:
    """The base study's samples of the sweep's tasks (the same draw as ``build_task_samples``:
    the sweep samples are nested subsamples of them)."""
    base = dataclasses.replace(newsgroups_spec.sample_spec(newsgroups), sampling="per_class")
    return draw_task_samples(documents, factor_pairs, base)


def _plan(
    factor_pairs: pd.DataFrame,
    task_samples: pd.DataFrame,
    newsgroups: dict[str, Any],
    factors: dict[str, Any],
) -> tuple[FactorsSpec, SweepPlan]:
    spec = factors_spec_of(factors, newsgroups)
    train = newsgroups_spec.train_spec(newsgroups.get("train"))
    plan = plan_sweeps(
        factor_pairs,
        task_samples,
        sweep_points(spec, newsgroups_spec.sample_spec(newsgroups).train_size),
        train.random_draws,
        train.cut_mtl_test_to_shorter_task,
    )
    return spec, plan


def train_factor_models(
    tfidf_matrix: sp.csr_matrix,
    factor_pairs: pd.DataFrame,
    factor_task_samples: pd.DataFrame,
    newsgroups: dict[str, Any],
    factors: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every distinct STL and MTL model of the sweeps (the shard store reuses what the base
    study or an earlier sweep trained). Returns the run rows (with each model's store
    fingerprint) and each model's main-task scores from its final test predictions."""
    spec, plan = _plan(factor_pairs, factor_task_samples, newsgroups, factors)
    training = newsgroups_spec.training(
        newsgroups.get("model"), newsgroups.get("train"), newsgroups.get("training")
    )
    logger.info(
        "factors: %d runs (%d degenerate), %d distinct STL + %d distinct MTL models "
        "(%d of the runs at the base configuration)",
        len(plan.runs), int((plan.runs["status"] != "ok").sum()), len(plan.stl), len(plan.mtl),
        int(plan.runs["base_point"].sum()),
    )  # fmt: skip
    results, _ = train_durably(
        tfidf_matrix,
        [
            WorkGroup("stl", plan.stl, training.model, training.train.schedule_of("stl")),
            WorkGroup("mtl", plan.mtl, training.model, training.train.schedule_of("mtl")),
        ],
        training.execution,
    )
    predictions = pd.concat([r.predictions for r in results], ignore_index=True)
    curves = pd.concat([r.curves for r in results], ignore_index=True)
    fingerprint = dict(zip(curves["model_id"], curves[FINGERPRINT_COLUMN], strict=True))
    runs = plan.runs.assign(
        stl_fingerprint=plan.runs["stl_model_id"].map(fingerprint),
        mtl_fingerprint=plan.runs["mtl_model_id"].map(fingerprint),
    )
    return runs, prediction_scores(predictions, spec.minority_label)


def compute_factor_gains(
    factor_runs: pd.DataFrame, factor_model_scores: pd.DataFrame
) -> pd.DataFrame:
    """MTL − STL of the main task per run and metric."""
    return sweep_gains(factor_runs, factor_model_scores)


def estimate_factor_effects(
    factor_gains: pd.DataFrame, newsgroups: dict[str, Any], factors: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Effects per point, trends, the related − unrelated contrast and the verdict table."""
    spec = factors_spec_of(factors, newsgroups)
    effects = point_effects(factor_gains, spec)
    trend_table = trends(factor_gains, effects, spec)
    contrast = relatedness_contrast(factor_gains, spec)
    verdict = verdicts(trend_table, contrast, spec)
    for row in verdict.itertuples(index=False):
        logger.info(
            "factors verdict: %s (%s, %s, %s): %s, estimate %.3f [%.3f, %.3f], p=%.3f",
            row.claim, row.group, row.sweep, row.metric, row.verdict, row.estimate, row.ci_low,
            row.ci_high, row.p_value,
        )  # fmt: skip
    return effects, trend_table, contrast, verdict


def build_factor_meta_examples(
    factor_gains: pd.DataFrame,
    factor_pairs: pd.DataFrame,
    factor_task_samples: pd.DataFrame,
    documents: pd.DataFrame,
    newsgroups: dict[str, Any],
    factors: dict[str, Any],
) -> pd.DataFrame:
    """The sweep's (pair, seed, point) gains with the size and label features of their task
    variants (``features.dataset.task_statistics`` on the variants' samples)."""
    spec, plan = _plan(factor_pairs, factor_task_samples, newsgroups, factors)
    statistics = task_statistics(build_task_counts(sweep_task_samples(plan), documents))
    return meta_examples(factor_gains, statistics, spec.signal_metric)


def evaluate_factor_signal(
    factor_meta_examples: pd.DataFrame, newsgroups: dict[str, Any], factors: dict[str, Any]
) -> pd.DataFrame:
    """Whether the size and label features carry signal about the gain once they vary."""
    return feature_signal(factor_meta_examples, factors_spec_of(factors, newsgroups))


def plot_factor_gains(
    factor_effects: pd.DataFrame, factor_trends: pd.DataFrame
) -> tuple[Figure, Figure, go.Figure]:
    """Gain against each factor, related vs unrelated: PNG, PDF and interactive."""
    figure = factor_gains_figure(factor_effects, factor_trends)
    return figure, figure, factor_gains_plotly(factor_effects, factor_trends)
