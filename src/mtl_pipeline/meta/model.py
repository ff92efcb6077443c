"""The meta-model: does MTL improve over STL for this pair? (Kerinec et al. 2018, Section 4.)

A logistic regression over scaled pair features predicts ``improved`` (MTL beat STL on the main
task). It is evaluated by repeated k-fold cross-validation (100 × 5 in the paper), separately per
problem (related / unrelated pairs) and feature subset.

Features (``features``): ``all`` = the numeric, non-boolean columns named ``main_*``, ``aux_*``,
``ratio_*`` or ``cross_*`` (see :mod:`mtl_pipeline.features.groups`); ``released`` = the 30
columns of the released code, in its order (``utils.py: number_to_feature``,
:data:`~.columns.RELEASED_FEATURES`). Columns that carry nothing (constant, or NaN everywhere, over a
problem's examples) are dropped before the model with one log line naming them.

Feature subsets and their labels (``subset_labels``): the released code
(``efficiency_prediction.py``) builds its subsets with ``np.delete`` index lists that select
the opposite of their names: its "only curve" keeps every non-curve feature, its "without curve"
keeps the curve features and the OOV rate, and the paper's "only ratio" row is its "without
ratio". ``as_named`` gives each label the features it names; ``as_released`` gives each label
the features the released code used, which reproduces the published Table 2:

================  =========================  ===========================
label             as_named                   as_released
================  =========================  ===========================
``all``           all                        all
``no_curve``      non-curve                  curve + OOV
``only_curve``    curve                      non-curve
``only_ratio``    ratio                      non-ratio
================  =========================  ===========================

Evaluation (``evaluation``): ``pooled`` = one meta-model per problem over every example (pair ×
seed, or per pair with ``pooling="pair_mean"``), folds grouped by pair when a pair has several
seeds; ``per_seed`` = one meta-model per seed (the released code: 52 examples each), the
reported score being the mean over seeds of the per-seed scores. Folds (``cv``): ``stratified``
or ``kfold`` (unstratified, the released ``KFold(5, shuffle=True)``); their random states
(``fold_seeds``) are ``seed + repetition`` (``sequential``) or drawn as
``np.random.randint(100)`` per repetition (``randint100``, the released code; here from a
generator seeded with ``seed``). A repetition's score is that of its pooled out-of-fold
predictions (``fold_scoring="pooled_predictions"``) or the mean of its folds' scores
(``"fold_mean"``: scikit-learn's ``cross_val_score``, the released code).

Scaling: ``scaler`` min-max or standard, fit on each training fold (``scaling="in_fold"``) or
on all examples before cross-validation (``"all_data"``: the released code, which leaks the test
folds' statistics). Missing values are mean-imputed the same way.

Degenerate results are never findings: each score row carries ``status`` (``ok`` or
``degenerate``) and ``note`` (why: too few examples for the configured folds, one class, no
feature columns). With folds reduced below the configured number the scores are still computed
(and flagged); with fewer than two folds they are NaN. Nothing raises for small data.

Where it lives: the settings in :mod:`.config`, the columns and examples in :mod:`.columns`,
the estimator (scaling, the logistic regression) in :mod:`.estimator`, the folds and the
cross-validation in :mod:`.cv`, the coefficients and inverse ranks in :mod:`.coefficients`;
this module puts them together into ``meta_scores`` and ``meta_coefficients``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mtl_pipeline.frames import require_columns
from mtl_pipeline.meta.coefficients import COEFFICIENT_COLUMNS, coefficient_rows
from mtl_pipeline.meta.columns import (
    ProblemExamples,
    problem_examples,
    select_features,
    subset_content,
)
from mtl_pipeline.meta.config import (
    METRICS,
    STATUS_DEGENERATE,
    STATUS_OK,
    MetaModelConfig,
)
from mtl_pipeline.meta.cv import Folds, cross_validate, make_folds

logger = logging.getLogger(__name__)


def _pooling_note(frame: pd.DataFrame, config: MetaModelConfig) -> str:
    n_pairs = frame["pair_id"].nunique()
    n_seeds = frame["seed"].nunique() if "seed" in frame.columns else 1
    if config.evaluation == "per_seed":
        return f"one meta-model per seed ({n_seeds} seeds), each over its pairs ({n_pairs})"
    if config.pooling == "pair_seed":
        return f"one example per pair x seed ({n_pairs} pairs x {n_seeds} seeds = {len(frame)})"
    return f"one example per pair, features and gains averaged over {n_seeds} seeds ({n_pairs})"


def _nan_scores() -> dict[str, float]:
    return {
        f"{p}{m}_{s}": float("nan")
        for p in ("", "baseline_")
        for m in METRICS
        for s in ("mean", "std")
    }


@dataclass(frozen=True)
class _Unit:
    """One evaluation unit: the examples of a problem (``pooled``) or of one of its seeds."""

    name: str
    frame: pd.DataFrame
    y: np.ndarray
    folds: Folds


def _units(frame: pd.DataFrame, problem: str, config: MetaModelConfig) -> list[_Unit]:
    rng = np.random.RandomState(config.seed)
    if config.evaluation == "per_seed":
        parts = [
            (f"{problem}/seed {int(s)}", f.reset_index(drop=True))
            for s, f in frame.groupby("seed", sort=True)
        ]
    else:
        parts = [(problem, frame)]
    units = []
    for name, part in parts:
        y = part["improved"].astype(bool).to_numpy().astype(np.int64)
        multi_seed = config.pooling == "pair_seed" and part["pair_id"].duplicated().any()
        groups = part["pair_id"].to_numpy() if (config.group_by_pair and multi_seed) else None
        units.append(_Unit(name, part, y, make_folds(y, groups, config, name, rng)))
    return units


def _majority_share(units: list[_Unit]) -> float:
    shares = [max(u.y.mean(), 1 - u.y.mean()) for u in units if len(u.y)]
    return float(np.mean(shares)) if shares else float("nan")


def _join(notes: list[str]) -> str:
    return "; ".join(dict.fromkeys(n for n in notes if n))


def _required_columns(config: MetaModelConfig) -> list[str]:
    required = ["pair_id", "problem", "improved"]
    if config.pooling == "pair_mean":
        required.append("gain")
    if config.evaluation == "per_seed":
        required.append("seed")
    return required


def _log_dropped(problem: str, dropped: dict[str, list[str]]) -> None:
    """One line; a warning when a column is NaN everywhere (a feature failed)."""
    gone = dropped["constant"] + dropped["all_nan"]
    if gone:
        logger.log(
            logging.WARNING if dropped["all_nan"] else logging.INFO,
            "meta-model %s: dropping %d feature(s) that carry nothing (not fed to the "
            "model): constant %s; NaN everywhere %s",
            problem,
            len(gone),
            dropped["constant"],
            dropped["all_nan"],
        )


def _describe(
    examples: ProblemExamples,
    units: list[_Unit],
    subset: str,
    cols: list[str],
    config: MetaModelConfig,
) -> dict:
    """The score row's description of what was evaluated (before the scores)."""
    frame = examples.frame
    return {
        "problem": examples.problem,
        "feature_subset": subset,
        "feature_set": subset_content(subset, config.subset_labels),
        "subset_labels": config.subset_labels,
        "n_examples": len(frame),
        "n_positive": int(frame["improved"].astype(bool).to_numpy().sum()),
        "majority_share": _majority_share(units),
        "n_units": len(units),
        "n_features": len(cols),
        "features": ",".join(cols),
        "dropped_features": ",".join(examples.gone),
        "n_examples_with_nan": int(frame[cols].isna().any(axis=1).sum()) if cols else 0,
        "repetitions": config.repetitions,
        "evaluation": config.evaluation,
        "cv": config.cv,
        "fold_scoring": config.fold_scoring,
        "scaler": config.scaler,
        "scaling": config.scaling,
        "pooling": _pooling_note(examples.raw, config),
    }


def _cross_validate_units(
    units: list[_Unit], cols: list[str], config: MetaModelConfig, label: str
) -> tuple[dict[str, list[list[float]]], np.ndarray, list[str]]:
    """Every unit cross-validated: per metric its per-repetition scores (one list per unit),
    the coefficients of all fold models, and the units' notes."""
    per_rep: dict[str, list[list[float]]] = {}
    coef_parts, notes = [], []
    for u in units:
        x = u.frame[cols].to_numpy(dtype=float)
        reps, coefs, note = cross_validate(x, u.y, u.folds, config, f"{label} {u.name}")
        notes.append(note)
        coef_parts.append(coefs)
        for m, v in reps.items():
            per_rep.setdefault(m, []).append(v)
    return per_rep, np.vstack(coef_parts), notes


def _summarise(per_rep: dict[str, list[list[float]]]) -> dict[str, float]:
    """Means over units of the per-unit means; std over every unit × repetition score."""
    scores = {}
    for m, unit_values in per_rep.items():
        scores[f"{m}_mean"] = float(np.mean([np.mean(v) for v in unit_values]))
        scores[f"{m}_std"] = float(np.std(np.concatenate(unit_values)))
    return scores


def _evaluate_subset(
    examples: ProblemExamples, units: list[_Unit], subset: str, config: MetaModelConfig
) -> tuple[dict, list[dict]]:
    """The score row and the coefficient rows of one problem's feature subset."""
    cols = select_features(examples.kept, subset_content(subset, config.subset_labels))
    row = _describe(examples, units, subset, cols, config)
    label = f"{row['problem']}/{subset}"
    notes = [u.folds.note for u in units]
    # reduced folds still give numbers (kept, flagged); fewer than 2 give none
    degenerate = any(u.folds.n_splits < config.folds for u in units)
    computable = bool(cols) and all(u.folds.n_splits >= 2 for u in units)
    if not cols:
        notes.insert(0, "no feature columns in this subset")
        degenerate = True
    coefs = np.empty((0, len(cols)))
    if computable:
        per_rep, coefs, cv_notes = _cross_validate_units(units, cols, config, label)
        notes += cv_notes
    if row["n_examples_with_nan"]:
        notes.append(
            f"{row['n_examples_with_nan']} of {len(examples.frame)} examples have NaN features "
            f"(mean-imputed, {config.scaling})"
        )
    if computable:
        scores = _summarise(per_rep)
    else:
        logger.warning("meta-model %s: degenerate, scores are NaN: %s", label, _join(notes))
        scores = _nan_scores()
    status = STATUS_DEGENERATE if degenerate else STATUS_OK
    n_folds = min(u.folds.n_splits for u in units) if computable else 0
    score = {**row, "n_folds": n_folds, **scores, "status": status, "note": _join(notes)}
    return score, coefficient_rows(row["problem"], subset, cols, coefs, status)


def evaluate_meta_model(
    meta_features: pd.DataFrame, config: MetaModelConfig | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cross-validated meta-model scores and coefficients per problem and feature subset.

    Returns:
        ``meta_scores``: one row per (problem, feature_subset) with ``feature_set`` (what the
        label selected, see :func:`~.columns.subset_content`), ``subset_labels``,
        ``n_examples``, ``n_positive``, ``majority_share`` (accuracy of always predicting the
        majority class; per seed and averaged with ``per_seed``), ``n_units`` (meta-models: 1
        or the number of seeds), ``n_features``, ``dropped_features``,
        ``n_examples_with_nan``, ``n_folds``, ``repetitions``, the protocol settings,
        ``<metric>_mean/_std`` and ``baseline_<metric>_mean/_std`` for f1, accuracy and
        balanced_accuracy (baseline = majority class of the training fold, scored as the model;
        means over units of the per-unit means, std over every unit × repetition score),
        ``status`` and ``note``.
        ``meta_coefficients``: one row per (problem, feature_subset, feature) with the mean and
        std of the logistic-regression coefficient over all fold models, the mean inverse rank
        (1 / rank of |coef| among the subset's features, rank 1 = largest), ``n_models`` and the
        score row's ``status``.
    """
    config = config or MetaModelConfig()
    require_columns(meta_features, _required_columns(config), "meta_features")
    score_rows, coef_rows = [], []
    for problem in sorted(meta_features["problem"].unique()):
        examples = problem_examples(meta_features, problem, config.features, config.pooling)
        _log_dropped(problem, examples.dropped)
        units = _units(examples.frame, problem, config)
        for subset in config.subsets:
            score, coefficients = _evaluate_subset(examples, units, subset, config)
            score_rows.append(score)
            coef_rows.extend(coefficients)
    return pd.DataFrame(score_rows), pd.DataFrame(coef_rows, columns=COEFFICIENT_COLUMNS)
