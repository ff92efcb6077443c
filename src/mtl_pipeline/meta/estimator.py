"""The meta-model's estimator, built in one place: mean imputation and scaling
(:class:`Preprocessor`), the logistic regression of :class:`~.config.MetaModelConfig`
(:func:`meta_classifier`), and the scores it is judged by."""

from __future__ import annotations

import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from mtl_pipeline.meta.config import MetaModelConfig


class Preprocessor:
    """Mean imputation then scaling (min-max or standard), fit on the rows given to :meth:`fit`.

    A column with no value among those rows has no mean: it is imputed with 0 (and kept).
    """

    def __init__(self, scaler: str = "minmax") -> None:
        self.scaler_name = scaler

    def fit(self, x: np.ndarray) -> Preprocessor:
        self.imputer = SimpleImputer(strategy="mean", keep_empty_features=True)
        scaler = StandardScaler() if self.scaler_name == "standard" else MinMaxScaler()
        self.scaler = scaler.fit(self.imputer.fit_transform(x))
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        return self.scaler.transform(self.imputer.transform(x))


def meta_classifier(config: MetaModelConfig, random_state: int) -> LogisticRegression:
    """The (unfitted) logistic regression of "improved?" with the configured settings."""
    return LogisticRegression(
        C=config.C,
        solver=config.solver,
        max_iter=config.max_iter,
        class_weight=config.class_weight,
        random_state=random_state,
    )


def classification_scores(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    return {
        "f1": float(f1_score(y, pred, zero_division=0.0)),
        "accuracy": float(accuracy_score(y, pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
    }
