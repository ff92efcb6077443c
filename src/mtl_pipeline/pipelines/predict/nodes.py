"""Nodes of the ``predict`` pipeline: the fitted meta-model applied to pairs named in
``params:predict``, computing only what is cheap (dataset features; STL curves if asked)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import pandas as pd
import scipy.sparse as sp

from mtl_pipeline.features.curves import curve_features
from mtl_pipeline.features.dataset import dataset_features
from mtl_pipeline.features.groups import CURVE_TABLE, WARMUP_TABLE
from mtl_pipeline.features.ratios import PAIR_KEY
from mtl_pipeline.features.warmup import empty_warmup_features, warmup_features
from mtl_pipeline.meta.predict import MetaPredictor, check_settings, predict_gains
from mtl_pipeline.params import ParameterError
from mtl_pipeline.pipelines.newsgroups_training import (
    draw_task_samples,
    mtl_model_jobs,
    stl_model_jobs,
    train_curves,
)
from mtl_pipeline.specs import newsgroups as newsgroups_spec
from mtl_pipeline.specs.meta import (
    curve_feature_options,
    dataset_feature_options,
    feature_settings,
    warmup_spec,
)
from mtl_pipeline.specs.predict import PAIR_NAMES, PREDICT_NAMES, predict_spec
from mtl_pipeline.tasks.hierarchy import assign_seeds, named_pairs, parse_hierarchy
from mtl_pipeline.training.probes import train_warmup_probes

logger = logging.getLogger(__name__)


def check_meta_model_fits(
    meta_model: MetaPredictor,
    meta_params: Mapping[str, Any],
    newsgroups_params: Mapping[str, Any],
    params: Mapping[str, Any],
) -> None:
    """Refuse, before any feature is computed, a fitted meta-model that the current parameters
    cannot feed: one made with other feature settings (e.g. another ``--env``), or one that
    needs STL curve features without ``predict.stl_curves``."""
    p = predict_spec(params)
    tables = meta_model.feature_tables()
    if CURVE_TABLE in tables and not p.stl_curves:
        raise ParameterError(
            f"the fitted_meta_model (fitted {meta_model.fitted_at}, feature subset "
            f"{meta_model.feature_subset!r}) uses STL curve features: set predict.stl_curves: "
            "true (trains the two tasks' single-task models), or refit it without them: "
            "kedro run --pipelines=meta --params meta.predictor.feature_subset=no_curve"
        )
    check_settings(meta_model, feature_settings(meta_params, newsgroups_params, tables))


def build_prediction_pairs(
    documents: pd.DataFrame,
    meta_model: MetaPredictor,
    meta_params: Mapping[str, Any],
    newsgroups_params: Mapping[str, Any],
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """The pairs of ``predict.pairs`` as task pairs (pair_id, problem, classes, seeds), once
    the fitted meta-model is known to fit the current parameters (the first node: a mismatch
    stops the run before any feature is computed)."""
    check_meta_model_fits(meta_model, meta_params, newsgroups_params, params)
    p = predict_spec(params)
    leaves = parse_hierarchy(
        newsgroups_spec.hierarchy(newsgroups_params),
        known_newsgroups=documents["newsgroup"].unique(),
        names=PAIR_NAMES,
    )
    pairs = named_pairs(p.pairs, leaves, names=PAIR_NAMES)
    problems = sorted(set(pairs["problem"]))
    pairs = assign_seeds(pairs, p.seeds, None, names=PAIR_NAMES)
    logger.info("predict: %d pair(s) (%s), seeds %s", len(pairs), problems, list(p.seeds))
    return pairs


def build_prediction_samples(
    documents: pd.DataFrame, pairs: pd.DataFrame, newsgroups_params: dict[str, Any]
) -> pd.DataFrame:
    """The seeded samples of the pairs' tasks, drawn exactly as for training."""
    return draw_task_samples(documents, pairs, newsgroups_spec.sample_spec(newsgroups_params))


def _merge(features: pd.DataFrame, more: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in more.columns if c not in (*PAIR_KEY, "main_task", "aux_task")]
    more = more[[*PAIR_KEY, *cols]].astype({"seed": "int64"})
    return features.merge(more, on=list(PAIR_KEY), how="left", validate="one_to_one")


def compute_prediction_features(
    pairs: pd.DataFrame,
    samples: pd.DataFrame,
    documents: pd.DataFrame,
    tfidf_matrix: sp.csr_matrix,
    meta_model: MetaPredictor,
    meta_params: Mapping[str, Any],
    model: dict[str, Any],
    train: dict[str, Any],
    execution: dict[str, Any],
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """Dataset features of every pair × seed; the warm-up affinities when the meta-model uses
    them (a short joint warm-up of each pair's MTL model); with ``predict.stl_curves``, the
    features of the two tasks' single-task curves (trained here, or reused from the shard
    store)."""
    started = time.perf_counter()
    training = newsgroups_spec.training(model, train, execution)
    options = dataset_feature_options(meta_params)
    features = dataset_features(pairs, samples, documents, **options)
    if WARMUP_TABLE in meta_model.feature_tables():
        spec, warmup = warmup_spec(meta_params, training), empty_warmup_features()
        if spec is not None:
            jobs = mtl_model_jobs(pairs, samples, training.train)
            warmup = warmup_features(pairs, train_warmup_probes(tfidf_matrix, jobs, spec))
        features = _merge(features, warmup)
    if predict_spec(params).stl_curves:
        jobs = stl_model_jobs(pairs, samples, training.train)
        curves = train_curves(tfidf_matrix, jobs, samples, training, "stl")
        features = _merge(
            features, curve_features(pairs, curves, **curve_feature_options(meta_params))
        )
    logger.info(
        "predict: features of %d pair × seed rows in %.1f s",
        len(features),
        time.perf_counter() - started,
    )
    return features


def predict_pair_gains(
    meta_model: MetaPredictor,
    features: pd.DataFrame,
    meta_params: Mapping[str, Any],
    newsgroups_params: Mapping[str, Any],
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """Per pair: probability that MTL improves, predicted gain, the features driving it.

    The meta-model's fit to the parameters is checked again (the node may run alone, e.g.
    ``--nodes``); answers of an unreliable model or out of the training range are flagged
    (:func:`mtl_pipeline.meta.predict.predict_gains`)."""
    check_meta_model_fits(meta_model, meta_params, newsgroups_params, params)
    p = predict_spec(params)
    predictions = predict_gains(
        meta_model,
        features,
        top_features=p.top_features,
        min_training_examples=p.min_training_examples,
        names=PREDICT_NAMES,
    )
    for row in predictions.itertuples():
        logger.info(
            "predict %s / %s (%s): P(MTL helps) = %.2f, predicted gain %+.3f%s; drivers: %s",
            row.main_task,
            row.aux_task,
            row.problem,
            row.probability_improved,
            row.predicted_gain,
            "" if row.reliable else " (reliable: false)",
            row.top_features,
        )
    return predictions
