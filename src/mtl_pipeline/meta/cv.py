"""Repeated k-fold cross-validation of the meta-model: the folds of one evaluation unit (with
their majority-class baseline) and the scores and coefficients of the fold models (see
:mod:`mtl_pipeline.meta.model` for the protocol's choices)."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold

from mtl_pipeline.meta.config import METRICS, MetaModelConfig
from mtl_pipeline.meta.estimator import Preprocessor, classification_scores, meta_classifier

logger = logging.getLogger(__name__)

Splits = list[tuple[np.ndarray, np.ndarray]]


def _repetition_scores(
    y: np.ndarray, pred: np.ndarray, splits: Splits, fold_scoring: str
) -> dict[str, float]:
    """Scores of one repetition: of its pooled predictions, or the mean of its folds' scores."""
    if fold_scoring == "pooled_predictions":
        return classification_scores(y, pred)
    with warnings.catch_warnings():  # a small test fold may hold one class: defined, but warned
        warnings.simplefilter("ignore", UserWarning)
        per_fold = [classification_scores(y[te], pred[te]) for _, te in splits]
    return {m: float(np.mean([s[m] for s in per_fold])) for m in METRICS}


def _n_folds(
    y: np.ndarray, groups: np.ndarray | None, config: MetaModelConfig, label: str
) -> tuple[int, str]:
    """Folds the data allow: at most the examples (or pair groups), and for stratified folds
    at most the members of the smaller class. Fewer than configured is degenerate."""
    folds = config.folds
    if groups is None:
        per_class = [int((y == k).sum()) for k in (0, 1)]
        n_units = len(y)
    else:
        per_class = [len(np.unique(groups[y == k])) for k in (0, 1)]
        n_units = len(np.unique(groups))
    unit = "pair groups" if groups is not None else "examples"
    if min(per_class) == 0:
        return 0, f"one class only: class sizes {per_class} ({unit}); nothing to predict"
    cap = min(per_class) if config.cv == "stratified" else n_units
    n = min(folds, cap, n_units)
    if n < 2:
        return n, (
            f"too few examples to cross-validate: class sizes {per_class} ({unit}), "
            f"need >= 2 per class"
        )
    if n < folds:
        note = (
            f"folds reduced from {folds} to {n}: class sizes {per_class} ({unit}); "
            "too few examples for the configured protocol"
        )
        logger.warning("meta-model %s: %s", label, note)
        return n, note
    return n, ""


@dataclass(frozen=True)
class Folds:
    """The cross-validation folds of one evaluation unit (a problem, or one seed of it); they do
    not depend on the features used.

    ``repetitions`` holds (random_state, [(train_idx, test_idx), ...]) per repetition (empty if
    the data allow fewer than two folds) and ``baseline`` the majority-class scores of each
    repetition per metric.
    """

    n_splits: int
    note: str
    repetitions: list[tuple[int, Splits]]
    baseline: dict[str, list[float]]


def _splitter(n_splits: int, groups: np.ndarray | None, config: MetaModelConfig, rs: int):
    if config.cv == "stratified":
        cls = StratifiedKFold if groups is None else StratifiedGroupKFold
    else:
        cls = KFold if groups is None else GroupKFold
    return cls(n_splits, shuffle=True, random_state=rs)


def make_folds(
    y: np.ndarray,
    groups: np.ndarray | None,
    config: MetaModelConfig,
    label: str = "",
    rng: np.random.RandomState | None = None,
) -> Folds:
    """Repeated k-fold splits of one evaluation unit and their majority-class baseline.

    The baseline predicts the majority class of the training part of each fold and is scored as
    the model is (``fold_scoring``).
    """
    n_splits, note = _n_folds(y, groups, config, label)
    if n_splits < 2:
        return Folds(n_splits, note, [], {})
    rng = rng if rng is not None else np.random.RandomState(config.seed)
    repetitions = []
    baseline: dict[str, list[float]] = {m: [] for m in METRICS}
    dummy = np.zeros((len(y), 1))  # the splitters use only the number of rows of x
    for rep in range(config.repetitions):
        rs = int(rng.randint(100)) if config.fold_seeds == "randint100" else config.seed + rep
        splitter = _splitter(n_splits, groups, config, rs)
        folds = list(splitter.split(dummy, y, groups))
        base = np.empty_like(y)
        for train_idx, test_idx in folds:
            base[test_idx] = int(y[train_idx].mean() > 0.5)
        for m, v in _repetition_scores(y, base, folds, config.fold_scoring).items():
            baseline[m].append(v)
        repetitions.append((rs, folds))
    return Folds(n_splits, note, repetitions, baseline)


def _fold_inputs(
    x: np.ndarray, x_all: np.ndarray | None, train_idx, test_idx, config: MetaModelConfig
) -> tuple[np.ndarray, np.ndarray]:
    """The fold's scaled training and test rows (the scaler fit on its training rows, or on
    every row with ``scaling="all_data"``)."""
    if x_all is not None:
        return x_all[train_idx], x_all[test_idx]
    prep = Preprocessor(config.scaler).fit(x[train_idx])
    return prep.transform(x[train_idx]), prep.transform(x[test_idx])


def cross_validate(
    x: np.ndarray,
    y: np.ndarray,
    folds: Folds,
    config: MetaModelConfig,
    label: str = "",
) -> tuple[dict[str, list[float]], np.ndarray, str]:
    """Repeated k-fold CV of the logistic regression over ``folds``.

    Returns (per-repetition scores of the model and of the baseline per metric, the
    coefficients of every fold model (n_models × n_features), a note on single-class folds).
    """
    x_all = (
        Preprocessor(config.scaler).fit(x).transform(x) if config.scaling == "all_data" else None
    )
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
            x_train, x_test = _fold_inputs(x, x_all, train_idx, test_idx, config)
            model = meta_classifier(config, random_state=rs).fit(x_train, y_train)
            pred[test_idx] = model.predict(x_test)
            coefs.append(model.coef_.ravel().copy())
        for m, v in _repetition_scores(y, pred, splits, config.fold_scoring).items():
            per_rep[m].append(v)
    note = ""
    if single_class_folds:
        note = f"{single_class_folds} fold(s) had one class in training: predicted that class"
        logger.warning("meta-model %s: %s", label, note)
    per_rep.update({f"baseline_{m}": v for m, v in folds.baseline.items()})
    coef_matrix = np.vstack(coefs) if coefs else np.empty((0, x.shape[1]))
    return per_rep, coef_matrix, note
