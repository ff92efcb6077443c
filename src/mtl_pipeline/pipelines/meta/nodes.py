"""Nodes of the ``meta`` pipeline: thin typed adapters from catalog data to the engine.

Each node reads its settings from one section of ``params:meta`` (conf/*/parameters_meta.yml),
parsed by :mod:`mtl_pipeline.specs.meta` (unknown keys are an error that names them,
so a typo in a configuration never passes silently).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure

from mtl_pipeline.features.curves import curve_features
from mtl_pipeline.features.dataset import dataset_features
from mtl_pipeline.features.join import join_meta_features
from mtl_pipeline.features.warmup import empty_warmup_features, warmup_features
from mtl_pipeline.meta.goal import ablation_table, goal_table, held_out_pairs
from mtl_pipeline.meta.model import evaluate_meta_model
from mtl_pipeline.meta.predict import MetaPredictor, fit_meta_predictor
from mtl_pipeline.meta.reliability import gain_reliability
from mtl_pipeline.meta.targets import calibration_curve, target_scores
from mtl_pipeline.pipelines.newsgroups_training import mtl_model_jobs
from mtl_pipeline.reporting.figures import (
    f1_over_epochs_figure,
    meta_coefficients_figure,
    meta_coefficients_plotly,
    relative_gains_figure,
    relative_gains_plotly,
)
from mtl_pipeline.reporting.run_metrics import for_metrics_dataset, paper_comparison_metrics
from mtl_pipeline.reporting.tables import paper_comparison
from mtl_pipeline.specs import newsgroups as newsgroups_spec
from mtl_pipeline.specs.meta import (
    curve_feature_options,
    dataset_feature_options,
    feature_settings,
    goal_settings,
    meta_model_config,
    predictor_settings,
    reliability_settings,
    reporting_settings,
    target_settings,
    warmup_spec,
)
from mtl_pipeline.specs.predict import PREDICT_NAMES
from mtl_pipeline.training.probes import train_warmup_probes


def compute_dataset_features(
    task_pairs: pd.DataFrame,
    task_samples: pd.DataFrame,
    newsgroups_documents: pd.DataFrame,
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """Dataset features per pair × seed (``params:meta`` section ``dataset_features``)."""
    options = dataset_feature_options(params)
    return dataset_features(task_pairs, task_samples, newsgroups_documents, **options)


def compute_curve_features(
    task_pairs: pd.DataFrame, learning_curves: pd.DataFrame, params: Mapping[str, Any]
) -> pd.DataFrame:
    """STL learning-curve features per pair × seed (section ``curve_features``)."""
    return curve_features(task_pairs, learning_curves, **curve_feature_options(params))


def compute_warmup_features(
    tfidf_matrix: Any,
    task_pairs: pd.DataFrame,
    task_samples: pd.DataFrame,
    model: dict[str, Any],
    train: dict[str, Any],
    execution: dict[str, Any],
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """TAG affinity and gradient cosine per pair × seed over a short joint warm-up of each
    pair's MTL model (section ``warmup``; no columns but the keys when disabled)."""
    training = newsgroups_spec.training(model, train, execution)
    spec = warmup_spec(params, training)
    if spec is None:
        return empty_warmup_features()
    jobs = mtl_model_jobs(task_pairs, task_samples, training.train)
    return warmup_features(task_pairs, train_warmup_probes(tfidf_matrix, jobs, spec))


def join_features(
    mtl_gains: pd.DataFrame,
    dataset_features: pd.DataFrame,
    curve_features: pd.DataFrame,
    warmup: pd.DataFrame,
) -> pd.DataFrame:
    """One meta-example per pair × seed: the MTL outcome beside every feature."""
    return join_meta_features(mtl_gains, dataset_features, curve_features, warmup)


def fit_meta_model(
    meta_features: pd.DataFrame, params: Mapping[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Repeated-CV scores and mean coefficients of the meta-model per problem and subset."""
    return evaluate_meta_model(meta_features, meta_model_config(params))


def evaluate_meta_goal(
    meta_features: pd.DataFrame, params: Mapping[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Is the meta-model better than the majority baseline (section ``goal``)? The ablation of
    predictor groups on folds grouped by pair, and the goal table (grouped CV and pairs held out
    entirely), always with the honest protocol of :mod:`mtl_pipeline.meta.goal`."""
    goal = goal_settings(params)
    config = meta_model_config(params)
    ablation = ablation_table(meta_features, config)
    held_out = held_out_pairs(
        meta_features,
        config,
        share=goal.holdout_share,
        repetitions=goal.holdout_repetitions,
    )
    return ablation, goal_table(ablation, held_out, margin=goal.margin)


def evaluate_gain_reliability(mtl_gains: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """How much of a pair's gain is predictable at all (section ``reliability``): per problem
    the split-half reliability over seeds and the ceilings it implies
    (:mod:`mtl_pipeline.meta.reliability`)."""
    return gain_reliability(mtl_gains, **reliability_settings(params))


def evaluate_meta_targets(
    meta_features: pd.DataFrame, gain_reliability_table: pd.DataFrame, params: Mapping[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The targets the noise allows (section ``targets``): each registered predictor's
    Spearman rho with the pair's mean gain and balanced accuracy on its sign, on pairs held out
    entirely, beside ceiling and baseline; and the few-trained-pairs calibration curve
    (:mod:`mtl_pipeline.meta.targets`)."""
    settings, choice = target_settings(params)
    targets = target_scores(meta_features, gain_reliability_table, choice.predictors, settings)
    calibration = calibration_curve(
        meta_features,
        gain_reliability_table,
        choice.calibration_predictors,
        choice.calibration_pairs,
        settings,
    )
    return targets, calibration


def compare_with_paper(
    mtl_gains: pd.DataFrame, meta_scores: pd.DataFrame, learning_curves: pd.DataFrame
) -> pd.DataFrame:
    """Tables 1 and 2 of the paper beside ours, like for like (metric, epoch, feature set)."""
    return paper_comparison(mtl_gains, meta_scores, learning_curves)


def track_paper_comparison(
    comparison: pd.DataFrame,
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Our Table 1 and Table 2 numbers as run metrics (kedro-mlflow metric datasets)."""
    metrics = paper_comparison_metrics(comparison)
    return for_metrics_dataset(metrics, "table1"), for_metrics_dataset(metrics, "table2")


def plot_f1_over_epochs(
    learning_curves: pd.DataFrame, task_pairs: pd.DataFrame, params: Mapping[str, Any]
) -> tuple[Figure, Figure]:
    """Mean test F1 over epochs, STL vs MTL per problem (paper Fig. 4): PNG and PDF."""
    figure = f1_over_epochs_figure(
        learning_curves, task_pairs, metric=reporting_settings(params).f1_metric
    )
    return figure, figure


def plot_relative_gains(
    mtl_gains: pd.DataFrame, task_pairs: pd.DataFrame
) -> tuple[Figure, Figure, go.Figure]:
    """Mean relative MTL gain per main task (paper Fig. 5): PNG, PDF and interactive."""
    figure = relative_gains_figure(mtl_gains, task_pairs)
    return figure, figure, relative_gains_plotly(mtl_gains, task_pairs)


def plot_meta_coefficients(
    meta_coefficients: pd.DataFrame, meta_scores: pd.DataFrame, params: Mapping[str, Any]
) -> tuple[Figure, Figure, go.Figure]:
    """Mean meta-model coefficients of the top features (paper Table 3): PNG, PDF, interactive;
    degenerate models are shown as such, without bars."""
    reporting = reporting_settings(params)
    subset, top_n = reporting.coefficient_subset, reporting.top_n_coefficients
    figure = meta_coefficients_figure(meta_coefficients, subset, top_n, meta_scores)
    return figure, figure, meta_coefficients_plotly(meta_coefficients, subset, top_n, meta_scores)


def fit_predictor(
    meta_features: pd.DataFrame,
    meta_scores: pd.DataFrame,
    params: Mapping[str, Any],
    newsgroups_params: Mapping[str, Any],
) -> MetaPredictor:
    """The meta-model fitted on every meta-example (section ``predictor``), with the feature
    names, scaler and settings it needs to predict for new pairs (the ``predict`` pipeline)."""
    predictor = fit_meta_predictor(
        meta_features,
        meta_model_config(params),
        **predictor_settings(params),
        meta_scores=meta_scores,
        names=PREDICT_NAMES,
    )
    tables = predictor.feature_tables()
    predictor.settings = feature_settings(params, newsgroups_params, tables)
    return predictor
