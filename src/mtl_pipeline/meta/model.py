"""The meta-model: does MTL improve over STL for this pair? (Kerinec et al. 2018, Section 4.)

A logistic regression over min-max-scaled pair features predicts ``improved`` (MTL F1 > STL F1).
It is evaluated by repeated stratified k-fold cross-validation (100 × 5 in the paper), separately
per problem (related / unrelated pairs) and feature subset:

- ``all``: every feature column,
- ``no_curve``: all but the learning-curve features (names containing ``curve_``),
- ``only_curve``: only the learning-curve features,
- ``only_ratio``: only the main/auxiliary ratio features (names starting ``ratio_``).

Feature columns are the numeric, non-boolean columns named ``main_*``, ``aux_*``, ``ratio_*`` or
``cross_*`` (see :mod:`mtl_pipeline.features.ratios`).

Scaling: by default the min-max scaler (and the mean imputation of missing values) is fit on the
training part of each fold only (``scaling="in_fold"``); the authors' released code fit it on all
examples before cross-validation (``scaling="all_data"``), which leaks the test folds' ranges.

Pooling: one meta-example per pair × seed (``pooling="pair_seed"``) or per pair with features and
gains averaged over seeds (``pooling="pair_mean"``). With several seeds per pair, folds are by
default grouped by pair (``group_by_pair=True``, ``StratifiedGroupKFold``) so that no pair is in
the training and test part of a fold at once.

Tiny inputs: if a class has fewer members (or pair groups) than folds, the number of folds is
reduced with a logged warning; with fewer than two per class the scores are NaN and the ``note``
column says why. Nothing raises for small data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.preprocessing import MinMaxScaler

from mtl_pipeline.features.ratios import require_columns

logger = logging.getLogger(__name__)

FEATURE_SUBSETS = ("all", "no_curve", "only_curve", "only_ratio")
FEATURE_PREFIXES = ("main_", "aux_", "ratio_", "cross_")
SCALINGS = ("in_fold", "all_data")
POOLINGS = ("pair_seed", "pair_mean")
METRICS = ("f1", "accuracy", "balanced_accuracy")


@dataclass(frozen=True)
class MetaModelConfig:
    """Settings of the meta-model evaluation (paper defaults)."""

    repetitions: int = 100
    folds: int = 5
    seed: int = 0
    scaling: str = "in_fold"
    pooling: str = "pair_seed"
    group_by_pair: bool = True
    C: float = 1.0
    solver: str = "lbfgs"  # sklearn's default today; the paper's 2018 sklearn used "liblinear"
    max_iter: int = 1000
    class_weight: str | None = None
    subsets: tuple[str, ...] = FEATURE_SUBSETS

    def __post_init__(self) -> None:
        if self.scaling not in SCALINGS:
            raise ValueError(f"meta scaling must be one of {SCALINGS}, got {self.scaling!r}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"meta pooling must be one of {POOLINGS}, got {self.pooling!r}")
        if self.repetitions < 1 or self.folds < 2:
            raise ValueError(
                f"meta repetitions must be >= 1 and folds >= 2, got {self.repetitions}, {self.folds}"
            )
        bad = [s for s in self.subsets if s not in FEATURE_SUBSETS]
        if bad:
            raise ValueError(f"unknown feature subset(s) {bad}; known: {FEATURE_SUBSETS}")


def feature_columns(frame: pd.DataFrame, subset: str = "all") -> list[str]:
    """Feature columns of a meta-feature table that belong to a subset (see module docstring)."""
    if subset not in FEATURE_SUBSETS:
        raise ValueError(f"unknown feature subset {subset!r}; known: {FEATURE_SUBSETS}")
    cols = [
        c
        for c in frame.columns
        if c.startswith(FEATURE_PREFIXES)
        and pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
    ]
    if subset == "no_curve":
        return [c for c in cols if "curve_" not in c]
    if subset == "only_curve":
        return [c for c in cols if "curve_" in c]
    if subset == "only_ratio":
        return [c for c in cols if c.startswith("ratio_")]
    return cols


def pool_examples(frame: pd.DataFrame, pooling: str) -> pd.DataFrame:
    """Meta-examples of one problem: as given (pair × seed) or averaged over seeds per pair.

    Averaged over seeds, a pair is ``improved`` if its mean ``gain`` is positive.
    """
    if pooling == "pair_seed":
        return frame.reset_index(drop=True)
    feats = feature_columns(frame)
    agg = frame.groupby("pair_id", sort=True)[feats].mean()
    agg["improved"] = frame.groupby("pair_id", sort=True)["gain"].mean() > 0
    return agg.reset_index()


def _pooling_note(frame: pd.DataFrame, pooling: str) -> str:
    n_pairs = frame["pair_id"].nunique()
    n_seeds = frame["seed"].nunique() if "seed" in frame.columns else 1
    if pooling == "pair_seed":
        return f"one example per pair x seed ({n_pairs} pairs x {n_seeds} seeds = {len(frame)})"
    return f"one example per pair, features and gains averaged over {n_seeds} seeds ({n_pairs})"


class _Preprocessor:
    """Mean imputation then min-max scaling, both fit on the rows given to :meth:`fit`.

    A column with no value among those rows has no mean: it is imputed with 0 (and kept). This is
    ``make_pipeline(SimpleImputer(strategy="mean", keep_empty_features=True), MinMaxScaler())``
    spelled out so that each step is fit with ``fit(x)`` alone (a Pipeline passes ``y`` too).
    """

    def fit(self, x: np.ndarray) -> _Preprocessor:
        self.imputer = SimpleImputer(strategy="mean", keep_empty_features=True)
        self.scaler = MinMaxScaler().fit(self.imputer.fit_transform(x))
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        return self.scaler.transform(self.imputer.transform(x))


def _scores(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    return {
        "f1": float(f1_score(y, pred, zero_division=0.0)),
        "accuracy": float(accuracy_score(y, pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
    }


def _n_folds(y: np.ndarray, groups: np.ndarray | None, folds: int, label: str) -> tuple[int, str]:
    """Folds that the data allow: at most the members (or groups) of the smaller class."""
    if groups is None:
        per_class = [int((y == k).sum()) for k in (0, 1)]
        n_units = len(y)
    else:
        per_class = [len(np.unique(groups[y == k])) for k in (0, 1)]
        n_units = len(np.unique(groups))
    n = min(folds, min(per_class), n_units)
    if n < 2:
        return n, (
            f"too few examples to cross-validate: class sizes {per_class} "
            f"({'pair groups' if groups is not None else 'examples'}), need >= 2 per class"
        )
    if n < folds:
        note = f"folds reduced from {folds} to {n}: smaller class has {min(per_class)}"
        logger.warning("meta-model %s: %s", label, note)
        return n, note
    return n, ""


def _nan_scores() -> dict[str, float]:
    return {
        f"{p}{m}_{s}": float("nan")
        for p in ("", "baseline_")
        for m in METRICS
        for s in ("mean", "std")
    }


@dataclass(frozen=True)
class _Folds:
    """The cross-validation folds of one problem; they do not depend on the features used.

    ``repetitions`` holds (random_state, [(train_idx, test_idx), ...]) per repetition (empty if
    the data allow fewer than two folds) and ``baseline`` the majority-class scores of each
    repetition per metric.
    """

    n_splits: int
    note: str
    repetitions: list[tuple[int, list[tuple[np.ndarray, np.ndarray]]]]
    baseline: dict[str, list[float]]


def make_folds(
    y: np.ndarray, groups: np.ndarray | None, config: MetaModelConfig, label: str = ""
) -> _Folds:
    """Repeated (grouped) stratified k-fold splits of one problem and their baseline scores.

    The baseline predicts the majority class of the training part of each fold; each repetition
    is scored on its pooled out-of-fold predictions.
    """
    n_splits, note = _n_folds(y, groups, config.folds, label)
    if n_splits < 2:
        return _Folds(n_splits, note, [], {})
    repetitions = []
    baseline: dict[str, list[float]] = {m: [] for m in METRICS}
    dummy = np.zeros((len(y), 1))  # the splitters use only the number of rows of x
    for rep in range(config.repetitions):
        rs = config.seed + rep
        if groups is None:
            splits = StratifiedKFold(n_splits, shuffle=True, random_state=rs).split(dummy, y)
        else:
            splits = StratifiedGroupKFold(n_splits, shuffle=True, random_state=rs).split(
                dummy, y, groups
            )
        folds = list(splits)
        base = np.empty_like(y)
        for train_idx, test_idx in folds:
            base[test_idx] = int(y[train_idx].mean() > 0.5)
        for m, v in _scores(y, base).items():
            baseline[m].append(v)
        repetitions.append((rs, folds))
    return _Folds(n_splits, note, repetitions, baseline)


def cross_validate(
    x: np.ndarray,
    y: np.ndarray,
    folds: _Folds,
    config: MetaModelConfig,
    label: str = "",
) -> tuple[dict[str, float], np.ndarray, int, str]:
    """Repeated (grouped) stratified k-fold CV of the logistic regression over ``folds``.

    Returns (scores, coefficients, n_folds, note): scores holds mean and std over repetitions of each
    metric for the model (``<metric>_mean``/``_std``) and the majority-class baseline
    (``baseline_<metric>_mean``/``_std``), each repetition scored on its pooled out-of-fold
    predictions; coefficients is (n_fold_models × n_features); n_folds is the number of folds
    used (0 if none); note explains NaNs or reduced folds.
    """
    note = folds.note
    if folds.n_splits < 2:
        logger.warning("meta-model %s: %s; scores are NaN", label, note)
        return _nan_scores(), np.empty((0, x.shape[1])), 0, note

    x_all = _Preprocessor().fit(x).transform(x) if config.scaling == "all_data" else None
    per_rep: dict[str, list[float]] = {m: [] for m in METRICS}
    coefs: list[np.ndarray] = []
    single_class_folds = 0
    for rs, splits in folds.repetitions:
        pred = np.empty_like(y)
        for train_idx, test_idx in splits:
            y_train = y[train_idx]
            if len(np.unique(y_train)) < 2:
                single_class_folds += 1
                pred[test_idx] = y_train[0]
                continue
            if x_all is None:
                prep = _Preprocessor().fit(x[train_idx])
                x_train, x_test = prep.transform(x[train_idx]), prep.transform(x[test_idx])
            else:
                x_train, x_test = x_all[train_idx], x_all[test_idx]
            model = LogisticRegression(
                C=config.C,
                solver=config.solver,
                max_iter=config.max_iter,
                class_weight=config.class_weight,
                random_state=rs,
            )
            model.fit(x_train, y_train)
            pred[test_idx] = model.predict(x_test)
            coefs.append(model.coef_.ravel().copy())
        for m, v in _scores(y, pred).items():
            per_rep[m].append(v)
    if single_class_folds:
        extra = f"{single_class_folds} fold(s) had one class in training: predicted that class"
        logger.warning("meta-model %s: %s", label, extra)
        note = f"{note}; {extra}" if note else extra
    per_rep.update({f"baseline_{m}": v for m, v in folds.baseline.items()})
    scores = {}
    for m, values in per_rep.items():
        scores[f"{m}_mean"] = float(np.mean(values))
        scores[f"{m}_std"] = float(np.std(values))
    coef_matrix = np.vstack(coefs) if coefs else np.empty((0, x.shape[1]))
    return scores, coef_matrix, folds.n_splits, note


def evaluate_meta_model(
    meta_features: pd.DataFrame, config: MetaModelConfig | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cross-validated meta-model scores and coefficients per problem and feature subset.

    Returns:
        ``meta_scores``: one row per (problem, feature_subset) with ``n_examples``,
        ``n_positive``, ``n_features``, ``n_folds``, ``repetitions``, ``scaling``, ``pooling``,
        ``<metric>_mean/_std`` and ``baseline_<metric>_mean/_std`` for f1, accuracy and
        balanced_accuracy (baseline = majority class of the training fold), and ``note``.
        ``meta_coefficients``: one row per (problem, feature_subset, feature) with the mean and
        std of the logistic-regression coefficient over all fold models, the mean inverse rank
        (1 / rank of |coef| among the subset's features, rank 1 = largest) and ``n_models``.
    """
    config = config or MetaModelConfig()
    required = ["pair_id", "problem", "improved"] + (
        ["gain"] if config.pooling == "pair_mean" else []
    )
    require_columns(meta_features, required, "meta_features")
    score_rows, coef_rows = [], []
    for problem in sorted(meta_features["problem"].unique()):
        raw = meta_features.loc[meta_features["problem"] == problem]
        frame = pool_examples(raw, config.pooling)
        pooling = _pooling_note(raw, config.pooling)
        y = frame["improved"].astype(bool).to_numpy().astype(np.int64)
        multi_seed = config.pooling == "pair_seed" and frame["pair_id"].duplicated().any()
        groups = frame["pair_id"].to_numpy() if (config.group_by_pair and multi_seed) else None
        folds = make_folds(y, groups, config, problem)
        for subset in config.subsets:
            cols = feature_columns(frame, subset)
            all_nan = [c for c in cols if frame[c].isna().all()]
            if all_nan:
                logger.warning(
                    "meta-model %s/%s: dropping all-NaN features %s", problem, subset, all_nan
                )
                cols = [c for c in cols if c not in all_nan]
            label = f"{problem}/{subset}"
            row = {
                "problem": problem,
                "feature_subset": subset,
                "n_examples": len(frame),
                "n_positive": int(y.sum()),
                "n_features": len(cols),
                "repetitions": config.repetitions,
                "scaling": config.scaling,
                "pooling": pooling,
            }
            if not cols:
                note = "no feature columns in this subset"
                logger.warning("meta-model %s: %s; scores are NaN", label, note)
                scores, coefs, n_folds = _nan_scores(), np.empty((0, 0)), 0
            else:
                x = frame[cols].to_numpy(dtype=float)
                scores, coefs, n_folds, note = cross_validate(x, y, folds, config, label)
            score_rows.append({**row, "n_folds": n_folds, **scores, "note": note})
            if len(coefs):
                ranks = np.vstack([rankdata(-np.abs(c), method="average") for c in coefs])
                for j, c in enumerate(cols):
                    coef_rows.append(
                        {
                            "problem": problem,
                            "feature_subset": subset,
                            "feature": c,
                            "coef_mean": float(coefs[:, j].mean()),
                            "coef_std": float(coefs[:, j].std()),
                            "inverse_rank_mean": float((1.0 / ranks[:, j]).mean()),
                            "n_models": len(coefs),
                        }
                    )
    coef_columns = [
        "problem",
        "feature_subset",
        "feature",
        "coef_mean",
        "coef_std",
        "inverse_rank_mean",
        "n_models",
    ]
    return pd.DataFrame(score_rows), pd.DataFrame(coef_rows, columns=coef_columns)
