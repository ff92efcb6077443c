"""The ``meta`` parameter block (``conf/*/parameters_meta.yml``) as typed settings, read by the
``meta`` and ``predict`` nodes and the preflight checks (``pipelines/checks.py``).

Each section is checked against the keys the engine understands (an unknown key is an error
naming it, so a typo never passes silently) and read through the one validation layer, each
value checked as the user wrote it (``meta.curve_features.gradient_method``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mtl_pipeline.features.curves import FIT_STARTS, GRADIENT_METHODS
from mtl_pipeline.features.dataset import CROSS_PAIRINGS, JSD_JOINS, OOV_UNITS, TOKENIZERS
from mtl_pipeline.features.groups import CURVE_TABLE, DATASET_TABLE, WARMUP_TABLE
from mtl_pipeline.features.ratios import AUX_ZERO_POLICIES
from mtl_pipeline.meta.config import FEATURE_SUBSETS, MetaModelConfig
from mtl_pipeline.meta.predictors import Predictor, resolve_predictors
from mtl_pipeline.meta.targets import TargetSettings
from mtl_pipeline.params import ParameterError, Params, nearest
from mtl_pipeline.specs import newsgroups as newsgroups_spec
from mtl_pipeline.training.families import HARD
from mtl_pipeline.training.gradtag import GradTagSettings
from mtl_pipeline.training.probes import WarmupSpec

#: ``features.dataset.jensen_shannon``'s outputs and the curves a curve feature reads.
JSD_OUTPUTS = ("divergence", "distance")
CURVE_KINDS = ("stl", "mtl")
DATASET_KEYS = {
    "jsd_tokenizer",
    "jsd_join",
    "jsd_output",
    "jsd_base",
    "vocabulary_tokenizer",
    "n_words",
    "oov_rate",
    "cross_jsd_pairing",
}
CURVE_KEYS = {
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
REPORT_KEYS = {"f1_metric", "coefficient_subset", "top_n_coefficients"}
PREDICTOR_KEYS = {"feature_subset", "ridge_alpha"}
WARMUP_KEYS = {"enabled", "epochs", "lookahead_lr", "gradtag"}
GRADTAG_KEYS = {"enabled", "projection_dim", "l2", "holdout_share", "newton_steps", "seed"}
GOAL_KEYS = {"margin", "holdout_share", "holdout_repetitions"}
RELIABILITY_KEYS = {"bootstrap", "confidence", "max_splits", "seed"}
TARGET_KEYS = {
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
#: Section → its known keys (the sections the preflight checks; ``meta_model`` has its own).
SECTION_KEYS = {
    "dataset_features": DATASET_KEYS,
    "curve_features": CURVE_KEYS,
    "warmup": WARMUP_KEYS,
    "goal": GOAL_KEYS,
    "reporting": REPORT_KEYS,
    "predictor": PREDICTOR_KEYS,
    "reliability": RELIABILITY_KEYS,
    "targets": TARGET_KEYS,
}
#: newsgroups.* parameters that decide a task's sample (and so its dataset features).
_SAMPLE_KEYS = ("remove_headers_footers_quotes", "train_per_class", "sampling", "test_per_task")
#: newsgroups.model/train parameters that decide a pair's warm-up (with meta.warmup).
_WARMUP_TRAIN_KEYS = ("hidden_sizes", "activation", "dropout", "batch_size", "learning_rate")
_WARMUP_TRAIN_KEYS += ("schedule", "cut_mtl_test_to_shorter_task")
#: newsgroups.model/train parameters that decide a single-task learning curve.
_STL_KEYS = ("hidden_sizes", "activation", "dropout", "batch_size", "learning_rate", "stl_epochs")
#: newsgroups.model/train switches of the released model (absent = this project's model):
#: recorded only when set, so that meta-models fitted before they existed keep matching.
_MODEL_SWITCH_KEYS = ("weight_init", "output_head", "random_draws")


def section(params: Mapping[str, Any], name: str, allowed: set[str]) -> dict[str, Any]:
    """``params[name]`` as a dict, checked against the keys the engine understands."""
    if name not in params:
        raise ParameterError(
            f"parameter meta.{name} is required but not set (conf/base/parameters_meta.yml)"
        )
    found = dict(params[name] or {})
    unknown = sorted(set(found) - allowed)
    if unknown:
        raise ParameterError(
            f"unknown key(s) {unknown} in parameter meta.{name}; known: {sorted(allowed)}"
        )
    return found


def _section(params: Mapping[str, Any], name: str, allowed: set[str]) -> Params:
    return Params(section(params, name, allowed), f"meta.{name}")


def jsd_base(value: Any, parameter: str = "meta.dataset_features.jsd_base") -> float:
    """``jsd_base``: a number > 0, or ``e`` for nats (the released code's scipy ``entropy``)."""
    if str(value).strip().lower() == "e":
        return float(np.e)
    return Params({"jsd_base": value}, parameter.rsplit(".", 1)[0]).number(
        "jsd_base", positive=True
    )


def ratio_policy(params: Mapping[str, Any]) -> str:
    """``meta.ratio_when_aux_is_zero`` (nan | zero), shared by dataset and curve features."""
    return Params(params, "meta").choice("ratio_when_aux_is_zero", AUX_ZERO_POLICIES, default="nan")


def dataset_feature_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """Section ``dataset_features``: the keyword arguments of ``features.dataset_features``."""
    p = _section(params, "dataset_features", DATASET_KEYS)
    return {
        "tokenizer": p.choice("jsd_tokenizer", sorted(TOKENIZERS)),
        "vocabulary_tokenizer": p.choice("vocabulary_tokenizer", sorted(TOKENIZERS)),
        "jsd_join": p.choice("jsd_join", JSD_JOINS),
        "jsd_output": p.choice("jsd_output", JSD_OUTPUTS),
        "n_words": p.choice("n_words", OOV_UNITS),
        "oov_rate": p.choice("oov_rate", OOV_UNITS),
        "cross_jsd_pairing": p.choice("cross_jsd_pairing", CROSS_PAIRINGS),
        "ratio_when_aux_is_zero": ratio_policy(params),
        "base": jsd_base(p.raw.get("jsd_base"), p.name("jsd_base")),
    }


def _fractions(p: Params, key: str) -> tuple[float, ...]:
    values = p.items(key)
    listed = Params(dict(enumerate(values)), p.name(key))
    return tuple(listed.number(i, minimum=0.0, maximum=1.0) for i in range(len(values)))  # type: ignore[arg-type]


def _bounds(p: Params, key: str) -> tuple[float, float]:
    values = p.items(key)
    if len(values) != 2:
        raise ParameterError(f"parameter {p.name(key)} is {values}; expected [low, high]")
    listed = Params(dict(enumerate(values)), p.name(key))
    low, high = (listed.number(i, positive=True) for i in (0, 1))  # type: ignore[arg-type]
    if not low < high:
        raise ParameterError(f"parameter {p.name(key)} is {values}; expected low < high")
    return low, high


def curve_feature_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """Section ``curve_features``: the keyword arguments of ``features.curves.curve_features``."""
    p = _section(params, "curve_features", CURVE_KEYS)
    fit_d = p.raw.get("fit_d")
    return {
        "kind": p.choice("kind", CURVE_KINDS),
        "loss_column": p.text("loss_column"),
        "gradient_method": p.choice("gradient_method", GRADIENT_METHODS),
        "gradient_points": _fractions(p, "gradient_points"),
        "gradient_epochs": p.optional_integer("gradient_epochs", minimum=1),
        "fit_d": None if fit_d is None else p.number("fit_d", minimum=0.0),
        "fit_start": p.choice("fit_start", FIT_STARTS),
        "fit_bounded": p.boolean("fit_bounded"),
        "fit_epochs": p.optional_integer("fit_epochs", minimum=1),
        "epoch_origin": p.integer("epoch_origin", minimum=0),
        "c_bounds": _bounds(p, "c_bounds"),
        "max_d": p.number("max_d", positive=True),
        "maxfev": p.integer("maxfev", minimum=1),
        "ratio_when_aux_is_zero": ratio_policy(params),
    }


def gradtag_settings(warmup: Mapping[str, Any]) -> GradTagSettings | None:
    """``meta.warmup.gradtag`` as settings (None when absent or disabled); errors name the
    parameter."""
    if warmup.get("gradtag") is None:
        return None
    p = Params(warmup["gradtag"], "meta.warmup.gradtag")
    unknown = sorted(set(p.raw) - GRADTAG_KEYS)
    if unknown:
        raise ParameterError(
            f"unknown key {unknown[0]!r} in parameter meta.warmup.gradtag"
            f"{nearest(unknown[0], sorted(GRADTAG_KEYS))}"
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


def warmup_spec(
    params: Mapping[str, Any], training: newsgroups_spec.NewsgroupsTraining
) -> WarmupSpec | None:
    """Section ``warmup`` with the study's training specs: the warm-up to train (None when
    disabled): the MTL model, always with hard sharing (the affinity is defined on shared
    layers), for ``meta.warmup.epochs``."""
    p = section(params, "warmup", WARMUP_KEYS)
    if not p["enabled"]:
        return None
    epochs = Params(p, "meta.warmup").integer("epochs", minimum=1)
    return WarmupSpec(
        model=dataclasses.replace(training.model, sharing=HARD, soft_sharing_lambda=0.0),
        schedule=training.train.schedule_of("mtl", epochs),
        execution=training.execution,
        lookahead_lr=float(p["lookahead_lr"]),
        gradtag=gradtag_settings(p),
    )


@dataclass(frozen=True)
class ReportingSettings:
    """The F1 of Fig. 4, and the subset and number of Table 3's coefficients."""

    f1_metric: str
    coefficient_subset: str
    top_n_coefficients: int


def reporting_settings(params: Mapping[str, Any]) -> ReportingSettings:
    """Section ``reporting``."""
    p = _section(params, "reporting", REPORT_KEYS)
    return ReportingSettings(
        f1_metric=p.text("f1_metric"),
        coefficient_subset=p.choice("coefficient_subset", FEATURE_SUBSETS),
        top_n_coefficients=p.integer("top_n_coefficients", minimum=1),
    )


def predictor_settings(params: Mapping[str, Any]) -> dict[str, Any]:
    """Section ``predictor``: the fitted meta-model's feature subset and its ridge."""
    p = _section(params, "predictor", PREDICTOR_KEYS)
    return {
        "feature_subset": p.choice("feature_subset", FEATURE_SUBSETS),
        "ridge_alpha": p.number("ridge_alpha", positive=True),
    }


@dataclass(frozen=True)
class GoalSettings:
    """The margin over the majority baseline, and the draws of pairs held out entirely."""

    margin: float
    holdout_share: float
    holdout_repetitions: int


def goal_settings(params: Mapping[str, Any]) -> GoalSettings:
    """Section ``goal``."""
    p = _section(params, "goal", GOAL_KEYS)
    return GoalSettings(
        margin=p.number("margin", minimum=0.0),
        holdout_share=p.number("holdout_share", positive=True, maximum=1, below_maximum=True),
        holdout_repetitions=p.integer("holdout_repetitions", minimum=1),
    )


def meta_model_config(params: Mapping[str, Any]) -> MetaModelConfig:
    """The meta-model settings of section ``meta_model`` (every field of MetaModelConfig)."""
    allowed = set(MetaModelConfig.__dataclass_fields__)
    p = section(params, "meta_model", allowed)
    if "subsets" in p:
        p["subsets"] = tuple(p["subsets"])
    try:
        return MetaModelConfig(**p)
    except (TypeError, ValueError) as error:  # the config's own checks name the field
        raise ParameterError(f"parameter meta.meta_model: {error}") from None


def reliability_settings(params: Mapping[str, Any]) -> dict[str, Any]:
    """Section ``reliability``, parsed: the keyword arguments of ``gain_reliability``."""
    p = Params(section(params, "reliability", RELIABILITY_KEYS), "meta.reliability")
    return {
        "bootstrap": p.integer("bootstrap", minimum=1),
        "confidence": p.number("confidence", positive=True, maximum=1, below_maximum=True),
        "max_splits": p.integer("max_splits", minimum=1),
        "seed": p.integer("seed", minimum=0),
    }


@dataclass(frozen=True)
class TargetChoice:
    """The predictors the targets are scored for, and the calibration curve's predictors and
    numbers of trained pairs."""

    predictors: list[Predictor]
    calibration_predictors: list[Predictor]
    calibration_pairs: tuple[int, ...]


def target_settings(params: Mapping[str, Any]) -> tuple[TargetSettings, TargetChoice]:
    """Section ``targets``: the evaluation settings, the predictors (registry names) and the
    calibration's k values and predictors."""
    p = Params(section(params, "targets", TARGET_KEYS), "meta.targets")
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
    choice = TargetChoice(
        predictors=resolve_predictors(p.items("predictors"), p.name("predictors")),
        calibration_predictors=resolve_predictors(
            p.items("calibration_predictors"), p.name("calibration_predictors")
        ),
        calibration_pairs=p.integers("calibration_pairs", minimum=2),
    )
    return settings, choice


def _training_settings(newsgroups: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The model and train settings of ``keys``, recorded under the one name they had before
    ``newsgroups.training`` was split (so that fitted meta-models keep matching)."""
    training = {**(newsgroups.get("model") or {}), **(newsgroups.get("train") or {})}
    chosen = {k: training.get(k) for k in keys}
    return chosen | {k: training[k] for k in _MODEL_SWITCH_KEYS if training.get(k) is not None}


def _dataset_settings(meta: Mapping[str, Any], newsgroups: Mapping[str, Any], out: dict) -> None:
    out["meta"]["ratio_when_aux_is_zero"] = ratio_policy(meta)
    out["meta"]["dataset_features"] = dict(meta["dataset_features"])
    out["newsgroups"].update({k: newsgroups.get(k) for k in _SAMPLE_KEYS})


def _warmup_settings(meta: Mapping[str, Any], newsgroups: Mapping[str, Any], out: dict) -> None:
    out["meta"]["warmup"] = dict(meta["warmup"])
    out["newsgroups"]["tfidf"] = dict(newsgroups["tfidf"])
    out["newsgroups"]["warmup_training"] = _training_settings(newsgroups, _WARMUP_TRAIN_KEYS)


def _curve_settings(meta: Mapping[str, Any], newsgroups: Mapping[str, Any], out: dict) -> None:
    out["meta"]["curve_features"] = dict(meta["curve_features"])
    out["newsgroups"]["tfidf"] = dict(newsgroups["tfidf"])
    out["newsgroups"]["training"] = _training_settings(newsgroups, _STL_KEYS)


#: Feature table → the parameters that decide it (in the order they are recorded).
_TABLE_SETTINGS = {
    DATASET_TABLE: _dataset_settings,
    WARMUP_TABLE: _warmup_settings,
    CURVE_TABLE: _curve_settings,
}


def feature_settings(
    meta_params: Mapping[str, Any], newsgroups_params: Mapping[str, Any], tables: set[str]
) -> dict[str, Any]:
    """The parameters that decide a pair's features in ``tables`` (the dataset features
    always): recorded with the fitted meta-model and compared with the current ones before it
    predicts (features made otherwise do not match)."""
    settings: dict[str, Any] = {"meta": {}, "newsgroups": {}}
    for table, record in _TABLE_SETTINGS.items():
        if table == DATASET_TABLE or table in tables:
            record(meta_params, newsgroups_params, settings)
    return settings
