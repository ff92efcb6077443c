"""Nodes of the ``meta`` pipeline: thin typed adapters from catalog data to the engine.

Each node reads its settings from one section of ``params:meta`` (conf/*/parameters_meta.yml);
unknown keys are an error that names them, so a typo in a configuration never passes silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure

from mtl_pipeline.features.curves import curve_features
from mtl_pipeline.features.dataset import dataset_features
from mtl_pipeline.features.join import join_meta_features
from mtl_pipeline.features.warmup import WARMUP_FEATURES, warmup_features
from mtl_pipeline.meta.goal import ablation_table, goal_table, held_out_pairs
from mtl_pipeline.meta.model import MetaModelConfig, evaluate_meta_model
from mtl_pipeline.meta.predict import MetaPredictor, fit_meta_predictor
from mtl_pipeline.meta.predictors import Predictor, resolve_predictors
from mtl_pipeline.meta.reliability import gain_reliability
from mtl_pipeline.meta.targets import TargetSettings, calibration_curve, target_scores
from mtl_pipeline.params import ParameterError, Params, nearest
from mtl_pipeline.pipelines.newsgroups.nodes import warmup_probes
from mtl_pipeline.reporting.figures import (
    f1_over_epochs_figure,
    meta_coefficients_figure,
    meta_coefficients_plotly,
    relative_gains_figure,
    relative_gains_plotly,
)
from mtl_pipeline.reporting.run_metrics import for_metrics_dataset, paper_comparison_metrics
from mtl_pipeline.reporting.tables import paper_comparison
from mtl_pipeline.training.gradtag import GradTagSettings

_DATASET_KEYS = {
    "jsd_tokenizer",
    "jsd_join",
    "jsd_output",
    "jsd_base",
    "vocabulary_tokenizer",
    "n_words",
    "oov_rate",
    "cross_jsd_pairing",
}
_CURVE_KEYS = {
    "kind",
    "loss_column",
    "gradient_method",
    "gradient_points",
    "gradient_epochs",
    "fit_d",
    "fit_start",
    "fit_bounded",
    "fit_epochs",
    "epoch_origin",
    "c_bounds",
    "max_d",
    "maxfev",
}
_REPORT_KEYS = {"f1_metric", "coefficient_subset", "top_n_coefficients"}
_PREDICTOR_KEYS = {"feature_subset", "ridge_alpha"}
_WARMUP_KEYS = {"enabled", "epochs", "lookahead_lr", "gradtag"}
_GRADTAG_KEYS = {"enabled", "projection_dim", "l2", "holdout_share", "newton_steps", "seed"}
_GOAL_KEYS = {"margin", "holdout_share", "holdout_repetitions"}
_RELIABILITY_KEYS = {"bootstrap", "confidence", "max_splits", "seed"}
_TARGET_KEYS = {
    "predictors",
    "holdout_share",
    "repetitions",
    "ridge_alpha",
    "C",
    "scaler",
    "goal_share_of_ceiling",
    "confidence",
    "seed",
    "calibration_pairs",
    "calibration_predictors",
}
#: newsgroups.* parameters that decide a task's sample (and so its dataset features).
_SAMPLE_KEYS = ("remove_headers_footers_quotes", "train_per_class", "sampling", "test_per_task")
#: newsgroups.training.* parameters that decide a single-task learning curve.
#: newsgroups.training.* parameters that decide a pair's warm-up (with meta.warmup).
_WARMUP_TRAIN_KEYS = ("hidden_sizes", "activation", "dropout", "batch_size", "learning_rate")
_WARMUP_TRAIN_KEYS += ("schedule", "cut_mtl_test_to_shorter_task")
_STL_KEYS = ("hidden_sizes", "activation", "dropout", "batch_size", "learning_rate", "stl_epochs")
#: newsgroups.training.* switches of the released model (absent = this project's model): recorded
#: only when set, so that meta-models fitted before they existed keep matching.
_MODEL_SWITCH_KEYS = ("weight_init", "output_head", "random_draws")


def _training_settings(training: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    chosen = {k: training.get(k) for k in keys}
    return chosen | {k: training[k] for k in _MODEL_SWITCH_KEYS if training.get(k) is not None}


def _jsd_base(value: Any) -> float:
    """``jsd_base``: a number, or ``e`` for nats (the released code's scipy ``entropy``)."""
    return float(np.e) if str(value).strip().lower() == "e" else float(value)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _ratio_policy(params: Mapping[str, Any]) -> str:
    """``meta.ratio_when_aux_is_zero`` (nan | zero), shared by dataset and curve features."""
    return str(params.get("ratio_when_aux_is_zero", "nan"))


def _section(params: Mapping[str, Any], name: str, allowed: set[str]) -> dict[str, Any]:
    """``params[name]`` as a dict, checked against the keys the engine understands."""
    if name not in params:
        raise ParameterError(
            f"parameter meta.{name} is required but not set (conf/base/parameters_meta.yml)"
        )
    section = dict(params[name] or {})
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise ParameterError(
            f"unknown key(s) {unknown} in parameter meta.{name}; known: {sorted(allowed)}"
        )
    return section


def compute_dataset_features(
    task_pairs: pd.DataFrame,
    task_samples: pd.DataFrame,
    newsgroups_documents: pd.DataFrame,
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """Dataset features per pair × seed (``params:meta`` section ``dataset_features``)."""
    p = _section(params, "dataset_features", _DATASET_KEYS)
    return dataset_features(
        task_pairs,
        task_samples,
        newsgroups_documents,
        tokenizer=p["jsd_tokenizer"],
        vocabulary_tokenizer=p["vocabulary_tokenizer"],
        jsd_join=p["jsd_join"],
        jsd_output=p["jsd_output"],
        n_words=p["n_words"],
        oov_rate=p["oov_rate"],
        cross_jsd_pairing=p["cross_jsd_pairing"],
        ratio_when_aux_is_zero=_ratio_policy(params),
        base=_jsd_base(p["jsd_base"]),
    )


def compute_curve_features(
    task_pairs: pd.DataFrame, learning_curves: pd.DataFrame, params: Mapping[str, Any]
) -> pd.DataFrame:
    """STL learning-curve features per pair × seed (section ``curve_features``)."""
    p = _section(params, "curve_features", _CURVE_KEYS)
    return curve_features(
        task_pairs,
        learning_curves,
        kind=p["kind"],
        loss_column=p["loss_column"],
        gradient_method=p["gradient_method"],
        gradient_points=tuple(float(x) for x in p["gradient_points"]),
        gradient_epochs=_optional_int(p["gradient_epochs"]),
        fit_d=None if p["fit_d"] is None else float(p["fit_d"]),
        fit_start=p["fit_start"],
        fit_bounded=bool(p["fit_bounded"]),
        fit_epochs=_optional_int(p["fit_epochs"]),
        epoch_origin=int(p["epoch_origin"]),
        c_bounds=(float(p["c_bounds"][0]), float(p["c_bounds"][1])),
        max_d=float(p["max_d"]),
        maxfev=int(p["maxfev"]),
        ratio_when_aux_is_zero=_ratio_policy(params),
    )


def compute_warmup_features(
    tfidf_matrix: Any,
    task_pairs: pd.DataFrame,
    task_samples: pd.DataFrame,
    training_params: dict[str, Any],
    params: Mapping[str, Any],
) -> pd.DataFrame:
    """TAG affinity and gradient cosine per pair × seed over a short joint warm-up of each
    pair's MTL model (section ``warmup``; no columns but the keys when disabled)."""
    p = _section(params, "warmup", _WARMUP_KEYS)
    if not p["enabled"]:
        return pd.DataFrame(columns=["pair_id", "problem", "seed", "main_task", "aux_task"])
    probes = warmup_probes(
        tfidf_matrix,
        task_pairs,
        task_samples,
        training_params,
        epochs=int(p["epochs"]),
        lookahead_lr=float(p["lookahead_lr"]),
        gradtag=gradtag_settings(p),
    )
    return warmup_features(task_pairs, probes)


def gradtag_settings(warmup: Mapping[str, Any]) -> GradTagSettings | None:
    """``meta.warmup.gradtag`` as settings (None when absent or disabled); errors name the
    parameter."""
    if warmup.get("gradtag") is None:
        return None
    p = Params(warmup["gradtag"], "meta.warmup.gradtag")
    unknown = sorted(set(p.raw) - _GRADTAG_KEYS)
    if unknown:
        raise ParameterError(
            f"unknown key {unknown[0]!r} in parameter meta.warmup.gradtag"
            f"{nearest(unknown[0], sorted(_GRADTAG_KEYS))}"
        )
    if not p.boolean("enabled"):
        return None
    return GradTagSettings(
        projection_dim=p.integer("projection_dim", minimum=1),
        l2=p.number("l2", positive=True),
        holdout_share=p.number("holdout_share", positive=True, maximum=1, below_maximum=True),
        newton_steps=p.integer("newton_steps", minimum=1),
        seed=p.integer("seed", minimum=0),
    )


def join_features(
    mtl_gains: pd.DataFrame,
    dataset_features: pd.DataFrame,
    curve_features: pd.DataFrame,
    warmup: pd.DataFrame,
) -> pd.DataFrame:
    """One meta-example per pair × seed: the MTL outcome beside every feature."""
    return join_meta_features(mtl_gains, dataset_features, curve_features, warmup)


def meta_model_config(params: Mapping[str, Any]) -> MetaModelConfig:
    """The meta-model settings of section ``meta_model`` (every field of MetaModelConfig)."""
    allowed = set(MetaModelConfig.__dataclass_fields__)
    p = _section(params, "meta_model", allowed)
    if "subsets" in p:
        p["subsets"] = tuple(p["subsets"])
    try:
        return MetaModelConfig(**p)
    except (TypeError, ValueError) as error:  # the config's own checks name the field
        raise ParameterError(f"parameter meta.meta_model: {error}") from None


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
    p = _section(params, "goal", _GOAL_KEYS)
    config = meta_model_config(params)
    ablation = ablation_table(meta_features, config)
    held_out = held_out_pairs(
        meta_features,
        config,
        share=float(p["holdout_share"]),
        repetitions=int(p["holdout_repetitions"]),
    )
    return ablation, goal_table(ablation, held_out, margin=float(p["margin"]))


def evaluate_gain_reliability(mtl_gains: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """How much of a pair's gain is predictable at all (section ``reliability``): per problem
    the split-half reliability over seeds and the ceilings it implies
    (:mod:`mtl_pipeline.meta.reliability`)."""
    return gain_reliability(mtl_gains, **reliability_settings(params))


def reliability_settings(params: Mapping[str, Any]) -> dict[str, Any]:
    """Section ``reliability``, parsed: the keyword arguments of ``gain_reliability``."""
    p = Params(_section(params, "reliability", _RELIABILITY_KEYS), "meta.reliability")
    return {
        "bootstrap": p.integer("bootstrap", minimum=1),
        "confidence": p.number("confidence", positive=True, maximum=1, below_maximum=True),
        "max_splits": p.integer("max_splits", minimum=1),
        "seed": p.integer("seed", minimum=0),
    }


def target_settings(params: Mapping[str, Any]) -> tuple[TargetSettings, dict[str, Any]]:
    """Section ``targets``: the evaluation settings, the predictors (registry names) and the
    calibration's k values and predictors."""
    p = Params(_section(params, "targets", _TARGET_KEYS), "meta.targets")
    settings = TargetSettings(
        holdout_share=p.number("holdout_share", positive=True, maximum=1, below_maximum=True),
        repetitions=p.integer("repetitions", minimum=1),
        ridge_alpha=p.number("ridge_alpha", positive=True),
        C=p.number("C", positive=True),
        scaler=p.choice("scaler", ("standard", "minmax")),
        goal_share_of_ceiling=p.number("goal_share_of_ceiling", positive=True, maximum=1),
        confidence=p.number("confidence", positive=True, maximum=1, below_maximum=True),
        seed=p.integer("seed", minimum=0),
    )
    choice: dict[str, Any] = {
        "predictors": resolve_predictors(p.items("predictors"), p.name("predictors")),
        "calibration_predictors": resolve_predictors(
            p.items("calibration_predictors"), p.name("calibration_predictors")
        ),
        "calibration_pairs": p.integers("calibration_pairs", minimum=2),
    }
    return settings, choice


def evaluate_meta_targets(
    meta_features: pd.DataFrame, gain_reliability_table: pd.DataFrame, params: Mapping[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The targets the noise allows (section ``targets``): each registered predictor's
    Spearman rho with the pair's mean gain and balanced accuracy on its sign, on pairs held out
    entirely, beside ceiling and baseline; and the few-trained-pairs calibration curve
    (:mod:`mtl_pipeline.meta.targets`)."""
    settings, choice = target_settings(params)
    predictors: list[Predictor] = choice["predictors"]
    targets = target_scores(meta_features, gain_reliability_table, predictors, settings)
    calibration = calibration_curve(
        meta_features,
        gain_reliability_table,
        choice["calibration_predictors"],
        choice["calibration_pairs"],
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
    p = _section(params, "reporting", _REPORT_KEYS)
    figure = f1_over_epochs_figure(learning_curves, task_pairs, metric=p["f1_metric"])
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
    p = _section(params, "reporting", _REPORT_KEYS)
    subset, top_n = p["coefficient_subset"], int(p["top_n_coefficients"])
    figure = meta_coefficients_figure(meta_coefficients, subset, top_n, meta_scores)
    return figure, figure, meta_coefficients_plotly(meta_coefficients, subset, top_n, meta_scores)


def feature_settings(
    meta_params: Mapping[str, Any],
    newsgroups_params: Mapping[str, Any],
    with_curves: bool,
    with_warmup: bool = False,
) -> dict[str, Any]:
    """The parameters that decide a pair's features: recorded with the fitted meta-model and
    compared with the current ones before it predicts (features made otherwise do not match)."""
    settings: dict[str, Any] = {
        "meta": {
            "ratio_when_aux_is_zero": _ratio_policy(meta_params),
            "dataset_features": dict(meta_params["dataset_features"]),
        },
        "newsgroups": {k: newsgroups_params.get(k) for k in _SAMPLE_KEYS},
    }
    if with_warmup:
        settings["meta"]["warmup"] = dict(meta_params["warmup"])
        training = newsgroups_params["training"]
        settings["newsgroups"]["tfidf"] = dict(newsgroups_params["tfidf"])
        settings["newsgroups"]["warmup_training"] = _training_settings(training, _WARMUP_TRAIN_KEYS)
    if with_curves:
        settings["meta"]["curve_features"] = dict(meta_params["curve_features"])
        training = newsgroups_params["training"]
        settings["newsgroups"]["tfidf"] = dict(newsgroups_params["tfidf"])
        settings["newsgroups"]["training"] = _training_settings(training, _STL_KEYS)
    return settings


def fit_predictor(
    meta_features: pd.DataFrame,
    meta_scores: pd.DataFrame,
    params: Mapping[str, Any],
    newsgroups_params: Mapping[str, Any],
) -> MetaPredictor:
    """The meta-model fitted on every meta-example (section ``predictor``), with the feature
    names, scaler and settings it needs to predict for new pairs (the ``predict`` pipeline)."""
    p = _section(params, "predictor", _PREDICTOR_KEYS)
    predictor = fit_meta_predictor(
        meta_features,
        meta_model_config(params),
        feature_subset=str(p["feature_subset"]),
        ridge_alpha=float(p["ridge_alpha"]),
        meta_scores=meta_scores,
    )
    used = {c for model in predictor.problems.values() for c in model.features}
    uses_curves = any("curve_" in c for c in used)
    uses_warmup = bool(used & set(WARMUP_FEATURES.values()))
    predictor.settings = feature_settings(params, newsgroups_params, uses_curves, uses_warmup)
    return predictor
