"""The fitted meta-model as a JSON document: data, never code.

A :class:`~mtl_pipeline.meta.predict.MetaPredictor` is written as its parameters — feature
names, imputer statistics, scaler ranges or moments, logistic-regression and ridge coefficients,
settings and cross-validated scores — and rebuilt on load by constructing each scikit-learn
estimator from an allow-list of five classes and setting its fitted attributes. Nothing in the
file names code to run (unlike a pickle, where a crafted file runs whatever it says on load), and
the numbers round-trip exactly (JSON floats are written with ``repr``, which is exact for
float64), so the reloaded model predicts exactly what the fitted one did.

The document carries a SHA-256 of its payload; a file that does not match, names an unknown
estimator or lacks a field is refused with :class:`StoredModelError`, naming the file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import numpy as np
import sklearn
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from mtl_pipeline.meta.config import MetaModelConfig
from mtl_pipeline.meta.estimator import Preprocessor
from mtl_pipeline.params import InputError

DOCUMENT_FORMAT = "mtl_pipeline.meta_predictor"
DOCUMENT_FORMAT_VERSION = 1
#: The only classes a document may rebuild.
ESTIMATORS = {
    cls.__name__: cls
    for cls in (SimpleImputer, MinMaxScaler, StandardScaler, LogisticRegression, Ridge)
}
#: Private fitted attributes that ``transform`` needs besides the public ``*_`` ones.
PRIVATE_FITTED = ("_fit_dtype", "_fill_dtype")


class StoredModelError(InputError):
    """A saved meta-model file that cannot be read back as one."""


def _encode(value: Any) -> Any:
    """JSON-able value with tagged arrays, dtypes and tuples (the only non-JSON types used)."""
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError("object arrays are not stored")
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str, "shape": value.shape}
    if isinstance(value, np.dtype):
        return {"__dtype__": value.str}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"{type(value).__name__} is not stored")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__ndarray__" in value:
        array = np.array(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
        return array.reshape(value["shape"])
    if "__dtype__" in value:
        return np.dtype(value["__dtype__"])
    if "__tuple__" in value:
        return tuple(_decode(v) for v in value["__tuple__"])
    return {k: _decode(v) for k, v in value.items()}


def _estimator_document(estimator: Any) -> dict[str, Any] | None:
    if estimator is None:
        return None
    name = type(estimator).__name__
    if ESTIMATORS.get(name) is not type(estimator):
        raise TypeError(f"{name} is not among the estimators a meta-model document stores")
    fitted = {
        key: value
        for key, value in vars(estimator).items()
        if (key.endswith("_") and not key.startswith("__")) or key in PRIVATE_FITTED
    }
    return {
        "class": name,
        "params": _encode(estimator.get_params(deep=False)),
        "fitted": _encode(fitted),
    }


def _estimator(document: dict[str, Any] | None) -> Any:
    if document is None:
        return None
    cls = ESTIMATORS.get(document["class"])
    if cls is None:
        raise StoredModelError(f"unknown estimator class {document['class']!r}")
    estimator = cls(**_decode(document["params"]))
    for key, value in _decode(document["fitted"]).items():
        setattr(estimator, key, value)
    return estimator


def predictor_document(predictor: Any) -> dict[str, Any]:
    """The JSON document of a fitted :class:`MetaPredictor`."""
    problems = {}
    for name, model in predictor.problems.items():
        problems[name] = {
            "problem": model.problem,
            "features": list(model.features),
            "scaler": model.preprocessor.scaler_name,
            "imputer": _estimator_document(model.preprocessor.imputer),
            "scaler_estimator": _estimator_document(model.preprocessor.scaler),
            "classifier": _estimator_document(model.classifier),
            "regressor": _estimator_document(model.regressor),
            "constant_class": model.constant_class,
            "training_mean": _encode(np.asarray(model.training_mean, dtype=float)),
            "n_examples": int(model.n_examples),
            "n_positive": int(model.n_positive),
            "dropped_features": list(model.dropped_features),
            "cv_scores": _encode(dict(model.cv_scores)),
            "training_gain_range": _encode(list(model.training_gain_range)),
        }
    payload = {
        "feature_subset": predictor.feature_subset,
        "feature_set": predictor.feature_set,
        "config": _encode(dataclasses.asdict(predictor.config)),
        "settings": _encode(predictor.settings),
        "problems": problems,
        "fitted_at": predictor.fitted_at,
    }
    return {
        "format": DOCUMENT_FORMAT,
        "format_version": DOCUMENT_FORMAT_VERSION,
        "sklearn_version": sklearn.__version__,
        "sha256": _payload_hash(payload),
        "predictor": payload,
    }


def _payload_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def predictor_from_document(document: Any, where: str) -> Any:
    """Rebuild the :class:`MetaPredictor` of a document; ``where`` (the file) names it in errors."""
    from mtl_pipeline.meta.predict import MetaPredictor, ProblemModel

    refit = "refit it: kedro run --pipelines=meta"
    if not isinstance(document, dict) or document.get("format") != DOCUMENT_FORMAT:
        raise StoredModelError(f"{where} is not a saved meta-model; {refit}")
    if document.get("format_version") != DOCUMENT_FORMAT_VERSION:
        raise StoredModelError(
            f"{where} is a meta-model of format version {document.get('format_version')!r}; "
            f"this code reads {DOCUMENT_FORMAT_VERSION}: {refit}"
        )
    payload = document.get("predictor")
    if not isinstance(payload, dict) or _payload_hash(payload) != document.get("sha256"):
        raise StoredModelError(f"{where} does not match its checksum (altered or damaged); {refit}")
    try:
        problems = {}
        for name, p in payload["problems"].items():
            preprocessor = Preprocessor(p["scaler"])
            preprocessor.imputer = _estimator(p["imputer"])
            preprocessor.scaler = _estimator(p["scaler_estimator"])
            problems[name] = ProblemModel(
                problem=p["problem"],
                features=list(p["features"]),
                preprocessor=preprocessor,
                classifier=_estimator(p["classifier"]),
                regressor=_estimator(p["regressor"]),
                constant_class=p["constant_class"],
                training_mean=_decode(p["training_mean"]),
                n_examples=int(p["n_examples"]),
                n_positive=int(p["n_positive"]),
                dropped_features=list(p["dropped_features"]),
                cv_scores=_decode(p["cv_scores"]),
                training_gain_range=tuple(_decode(p["training_gain_range"])),
            )
        return MetaPredictor(
            feature_subset=payload["feature_subset"],
            feature_set=payload["feature_set"],
            config=MetaModelConfig(**_decode(payload["config"])),
            settings=_decode(payload["settings"]),
            problems=problems,
            fitted_at=payload["fitted_at"],
        )
    except StoredModelError as error:
        raise StoredModelError(f"{where}: {error}; {refit}") from None
    except (KeyError, TypeError, ValueError) as error:
        raise StoredModelError(
            f"{where} is not a complete meta-model ({type(error).__name__}: {error}); {refit}"
        ) from None
