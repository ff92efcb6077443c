"""The fitted meta-model as an object, and its predictions for pairs that were never trained.

:func:`fit_meta_predictor` fits, per problem, the meta-model of :mod:`mtl_pipeline.meta.model`
(same candidate columns, pooling, dropped constant columns, imputation and scaling) on *every*
meta-example, plus a ridge regressor of the gain on the same scaled features. The result, a
:class:`MetaPredictor`, keeps what applying it needs: the feature names in order, the fitted
imputer + scaler, the classifier and regressor, the problem it was fitted on, the settings the
features were computed with, and how well the same protocol did in cross-validation.

:func:`predict_gains` applies it to the features of new pairs: per pair × seed the probability
that MTL improves over STL and the predicted gain, then averaged per pair, with the features
that drive each prediction: ``coef_j · (z_j − mean_j)``, the contribution of feature *j* to the
log-odds relative to an average training example (``z`` = the scaled value, ``mean`` = its mean
over the training examples), largest magnitude first.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression, Ridge

from mtl_pipeline.features.groups import feature_tables
from mtl_pipeline.frames import require_columns
from mtl_pipeline.meta.columns import (
    ProblemExamples,
    problem_examples,
    select_features,
    subset_content,
)
from mtl_pipeline.meta.config import MetaModelConfig
from mtl_pipeline.meta.estimator import Preprocessor, meta_classifier
from mtl_pipeline.params import InputError

logger = logging.getLogger(__name__)

#: The command that fits and saves the meta-model (named in every "missing model" error).
FIT_COMMAND = "kedro run --pipelines=meta"


class MetaModelMismatchError(InputError):
    """The fitted meta-model and the features computed for prediction do not belong together."""


@dataclass
class ProblemModel:
    """The meta-model of one problem (related / unrelated pairs), fitted on all its examples."""

    problem: str
    features: list[str]
    preprocessor: Preprocessor
    classifier: LogisticRegression | None  # None when the examples hold one class only
    regressor: Ridge
    constant_class: bool | None
    training_mean: np.ndarray  # mean scaled value of each feature over the training examples
    n_examples: int
    n_positive: int
    dropped_features: list[str]
    cv_scores: dict[str, float] = field(default_factory=dict)
    #: Smallest and largest gain among the training examples: a predicted gain outside it is
    #: an extrapolation of the ridge regression, flagged in the predictions.
    training_gain_range: tuple[float, float] = (float("nan"), float("nan"))


@dataclass
class MetaPredictor:
    """Everything needed to apply the meta-model to new pairs (saved as the JSON catalog entry
    ``fitted_meta_model``, :mod:`mtl_pipeline.meta.stored`)."""

    feature_subset: str
    feature_set: str
    config: MetaModelConfig
    settings: dict[str, Any]
    problems: dict[str, ProblemModel]
    fitted_at: str

    def feature_tables(self) -> set[str]:
        """The feature tables (``dataset_features``, ...) its problems' features come from:
        what must be computed for a new pair (:mod:`mtl_pipeline.features.groups`)."""
        return feature_tables(c for model in self.problems.values() for c in model.features)


def _fit_problem(
    examples: ProblemExamples,
    cols: list[str],
    config: MetaModelConfig,
    ridge_alpha: float,
    cv_scores: dict[str, float],
) -> ProblemModel:
    """The classifier (improved?) and the regressor (gain) of one problem on every example."""
    frame = examples.frame
    x = frame[cols].to_numpy(dtype=float)
    y = frame["improved"].astype(bool).to_numpy()
    prep = Preprocessor(config.scaler).fit(x)
    z = prep.transform(x)
    classifier, constant = None, None
    if len(np.unique(y)) < 2:
        constant = bool(y[0])
        logger.warning(
            "meta-model %s: every example is %s; the fitted model predicts that class",
            examples.problem,
            "improved" if constant else "not improved",
        )
    else:
        classifier = meta_classifier(config, random_state=config.seed).fit(z, y.astype(np.int64))
    gain = frame["gain"].to_numpy(dtype=float)
    return ProblemModel(
        problem=examples.problem,
        features=cols,
        preprocessor=prep,
        classifier=classifier,
        regressor=Ridge(alpha=ridge_alpha).fit(z, gain),
        constant_class=constant,
        training_mean=z.mean(axis=0),
        n_examples=len(frame),
        n_positive=int(y.sum()),
        dropped_features=examples.gone,
        cv_scores=cv_scores,
        training_gain_range=(float(np.min(gain)), float(np.max(gain))),
    )


def _nothing_to_fit(
    unfit: dict[str, int], feature_subset: str, content: str, names: PredictNames
) -> InputError:
    counts = ", ".join(f"{p}: {n} meta-example(s)" for p, n in unfit.items())
    return InputError(
        f"no meta-model can be fitted: in every problem ({counts}) each feature of subset "
        f"{feature_subset!r} ({content}) is constant or missing, which is what too few task "
        f"pairs or seeds give. Train more of them (parameters {names.pairs_per_problem} "
        f"and {names.seeds}; the models already trained are kept in the shard store and "
        "reused), then run the meta pipeline again"
    )


def fit_meta_predictor(
    meta_features: pd.DataFrame,
    config: MetaModelConfig,
    *,
    feature_subset: str = "all",
    ridge_alpha: float = 1.0,
    settings: Mapping[str, Any] | None = None,
    meta_scores: pd.DataFrame | None = None,
    names: PredictNames | None = None,
) -> MetaPredictor:
    """Fit one classifier (improved?) and one regressor (gain) per problem on every example.

    ``settings`` are the parameters the features were computed with (checked again at
    prediction time); ``meta_scores`` (optional) supplies the cross-validated scores of the same
    protocol and subset, kept beside the model so that a prediction carries how far to trust it.
    """
    require_columns(meta_features, ["pair_id", "problem", "improved", "gain"], "meta_features")
    content = subset_content(feature_subset, "as_named")  # never the released np.delete slip
    problems: dict[str, ProblemModel] = {}
    unfit: dict[str, int] = {}  # problem -> meta-examples, where no feature varies
    for problem in sorted(meta_features["problem"].unique()):
        examples = problem_examples(meta_features, problem, config.features, config.pooling)
        if config.pooling == "pair_mean":
            gain = examples.raw.groupby("pair_id", sort=True)["gain"].mean()
            examples.frame["gain"] = gain.to_numpy()
        cols = select_features(examples.kept, content)
        if not cols:
            logger.warning("meta-model %s/%s: no feature columns; not fitted", problem, content)
            unfit[problem] = len(examples.frame)
            continue
        cv_scores = _cv_scores(meta_scores, problem, content)
        problems[problem] = _fit_problem(examples, cols, config, ridge_alpha, cv_scores)
    if not problems:
        raise _nothing_to_fit(unfit, feature_subset, content, names or PredictNames())
    return MetaPredictor(
        feature_subset=feature_subset,
        feature_set=content,
        config=config,
        settings=dict(settings or {}),
        problems=problems,
        fitted_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )


def _cv_scores(meta_scores: pd.DataFrame | None, problem: str, content: str) -> dict[str, float]:
    """The cross-validated scores of the same problem and feature set, if evaluated."""
    if meta_scores is None or meta_scores.empty:
        return {}
    row = meta_scores.loc[
        (meta_scores["problem"] == problem) & (meta_scores["feature_set"] == content)
    ]
    if row.empty:
        return {}
    names = ("balanced_accuracy_mean", "baseline_balanced_accuracy_mean", "f1_mean")
    out = {n: float(row.iloc[0][n]) for n in names if n in row.columns}
    out["status_ok"] = float(row.iloc[0].get("status", "ok") == "ok")
    return out


def settings_differences(
    fitted: Mapping[str, Any], current: Mapping[str, Any], prefix: str = ""
) -> list[str]:
    """Human-readable differences between two nested settings mappings (``a.b: x → y``)."""
    out = []
    for key in sorted(set(fitted) | set(current)):
        name = f"{prefix}{key}"
        left, right = fitted.get(key, "<absent>"), current.get(key, "<absent>")
        if isinstance(left, Mapping) and isinstance(right, Mapping):
            out.extend(settings_differences(left, right, f"{name}."))
        elif _plain(left) != _plain(right):
            out.append(f"{name}: fitted with {left!r}, now {right!r}")
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(v) for v in value]
    return value


def check_settings(predictor: MetaPredictor, current: Mapping[str, Any]) -> None:
    """Raise :class:`MetaModelMismatchError` if the features would be computed differently
    from those the meta-model was fitted on."""
    diffs = settings_differences(predictor.settings, current)
    if diffs:
        raise MetaModelMismatchError(
            f"the fitted_meta_model (fitted {predictor.fitted_at}) was fitted on features computed with "
            f"other settings than the current parameters: {'; '.join(diffs)}. Run predict with "
            f"the environment the model was fitted in (--env), or refit it: {FIT_COMMAND}"
        )


@dataclass(frozen=True)
class PredictNames:
    """How answers and errors name the settings a user sets: two of :func:`predict_gains`, and
    the two that give :func:`fit_meta_predictor` more meta-examples (the spec layer passes the
    parameters' names)."""

    stl_curves: str = "stl_curves"
    min_training_examples: str = "min_training_examples"
    pairs_per_problem: str = "pairs_per_problem"
    seeds: str = "seeds"


def _check_features(
    model: ProblemModel, features: pd.DataFrame, fitted_at: str, names: PredictNames
) -> None:
    missing = [c for c in model.features if c not in features.columns]
    if missing:
        raise MetaModelMismatchError(
            f"the fitted_meta_model of problem {model.problem!r} (fitted {fitted_at}) expects feature "
            f"columns the prediction features lack: {missing}. Curve features need "
            f"{names.stl_curves}: true; otherwise refit the model with the current feature "
            f"settings: {FIT_COMMAND}"
        )


def unreliable_reasons(
    model: ProblemModel, min_training_examples: int, names: PredictNames = PredictNames()
) -> list[str]:
    """Why a problem's meta-model cannot be trusted: too few training examples, or no
    cross-validated score that beats nothing (missing, or its evaluation was degenerate)."""
    reasons = []
    if model.n_examples < min_training_examples:
        reasons.append(
            f"fitted on {model.n_examples} examples, fewer than "
            f"{names.min_training_examples} = {min_training_examples}"
        )
    score = model.cv_scores.get("balanced_accuracy_mean", float("nan"))
    if not np.isfinite(score) or model.cv_scores.get("status_ok", 1.0) == 0.0:
        reasons.append("no cross-validated score (its evaluation was missing or degenerate)")
    return reasons


def predict_gains(
    predictor: MetaPredictor,
    features: pd.DataFrame,
    *,
    top_features: int = 5,
    min_training_examples: int = 0,
    names: PredictNames = PredictNames(),
) -> pd.DataFrame:
    """Per pair: the probability that MTL improves, the predicted gain, and the top drivers.

    ``features``: one row per (pair_id, problem, seed) with ``main_task``, ``aux_task`` and the
    feature columns. Returns one row per (pair_id, problem) with ``main_task``, ``aux_task``,
    ``n_seeds``, ``probability_improved`` (mean over seeds) and its ``_std``,
    ``predicted_improved`` (probability ≥ 0.5), ``predicted_gain`` (mean over seeds),
    ``top_features`` ("feature (+0.42); …", contributions to the log-odds averaged over seeds),
    the model's ``feature_subset``, ``n_training_examples``, ``meta_model_fitted_at`` and its
    cross-validated ``cv_balanced_accuracy`` / ``cv_baseline_balanced_accuracy``.

    Answers are qualified, not refused: ``reliable`` is false (with ``unreliable_reasons``, and
    one warning per problem) when the model was fitted on fewer than ``min_training_examples``
    or has no cross-validated score; ``gain_in_training_range`` is false (and warned) when the
    predicted gain lies outside ``[training_gain_min, training_gain_max]``, the gains it was
    fitted on.
    """
    require_columns(
        features, ["pair_id", "problem", "seed", "main_task", "aux_task"], "prediction features"
    )
    unknown = sorted(set(features["problem"]) - set(predictor.problems))
    if unknown:
        raise MetaModelMismatchError(
            f"no meta-model was fitted for problem(s) {unknown} (fitted: "
            f"{sorted(predictor.problems)}); give each predict pair a fitted problem, or refit "
            f"on meta_features that hold them: {FIT_COMMAND}"
        )
    rows = []
    for problem, part in features.groupby("problem", sort=True):
        model = predictor.problems[problem]
        _check_features(model, part, predictor.fitted_at, names)
        reasons = unreliable_reasons(model, min_training_examples, names)
        if reasons:
            logger.warning(
                "predict: the meta-model of problem %r is not reliable (%s): read its "
                "predictions as a plumbing check, not an answer",
                problem,
                "; ".join(reasons),
            )
        rows.extend(_problem_predictions(predictor, model, part, top_features, reasons))
    return pd.DataFrame(rows)


def _scored(model: ProblemModel, part: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Per row of one problem's features: the probability and the gain, and each feature's
    contribution to the log-odds (relative to an average training example)."""
    z = model.preprocessor.transform(part[model.features].to_numpy(dtype=float))
    if model.classifier is None:
        proba = np.full(len(part), float(model.constant_class))
        contrib = np.zeros_like(z)
    else:
        proba = model.classifier.predict_proba(z)[:, 1]
        contrib = (z - model.training_mean) * model.classifier.coef_.ravel()
    scored = part[["pair_id", "problem", "main_task", "aux_task", "seed"]].assign(
        probability=proba, gain=model.regressor.predict(z)
    )
    return scored, contrib


def _drivers(model: ProblemModel, mean_contrib: np.ndarray, top_features: int) -> str:
    order = np.argsort(-np.abs(mean_contrib))[:top_features]
    return "; ".join(
        f"{model.features[j]} ({mean_contrib[j]:+.3f})" for j in order if mean_contrib[j] != 0
    )


def _in_training_range(model: ProblemModel, group: pd.DataFrame, predicted_gain: float) -> bool:
    low, high = model.training_gain_range
    in_range = bool(low <= predicted_gain <= high)
    if not in_range:
        logger.warning(
            "predict %s / %s: predicted gain %+.3f lies outside the gains the meta-model "
            "was fitted on [%+.3f, %+.3f] (an extrapolation)",
            group["main_task"].iloc[0],
            group["aux_task"].iloc[0],
            predicted_gain,
            low,
            high,
        )
    return in_range


def _problem_predictions(
    predictor: MetaPredictor,
    model: ProblemModel,
    part: pd.DataFrame,
    top_features: int,
    reasons: list[str],
) -> list[dict]:
    """One prediction row per pair of one problem (see :func:`predict_gains`)."""
    scored, contrib = _scored(model, part)
    low, high = model.training_gain_range
    rows = []
    for (pair_id, problem), group in scored.groupby(["pair_id", "problem"], sort=True):
        where = part.index.get_indexer(group.index)
        p = group["probability"].to_numpy()
        predicted_gain = float(group["gain"].mean())
        rows.append(
            {
                "pair_id": pair_id,
                "problem": problem,
                "main_task": group["main_task"].iloc[0],
                "aux_task": group["aux_task"].iloc[0],
                "n_seeds": len(group),
                "probability_improved": float(p.mean()),
                "probability_improved_std": float(p.std()),
                "predicted_improved": bool(p.mean() >= 0.5),
                "predicted_gain": predicted_gain,
                "gain_in_training_range": _in_training_range(model, group, predicted_gain),
                "training_gain_min": low,
                "training_gain_max": high,
                "reliable": not reasons,
                "unreliable_reasons": "; ".join(reasons),
                "top_features": _drivers(model, contrib[where].mean(axis=0), top_features),
                "feature_subset": predictor.feature_subset,
                "n_training_examples": model.n_examples,
                "meta_model_fitted_at": predictor.fitted_at,
                "cv_balanced_accuracy": model.cv_scores.get("balanced_accuracy_mean", np.nan),
                "cv_baseline_balanced_accuracy": model.cv_scores.get(
                    "baseline_balanced_accuracy_mean", np.nan
                ),
            }
        )
    return rows
