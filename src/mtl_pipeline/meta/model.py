"""The meta-model: does MTL improve over STL for this pair? (Kerinec et al. 2018, Section 4.)

A logistic regression over scaled pair features predicts ``improved`` (MTL beat STL on the main
task). It is evaluated by repeated k-fold cross-validation (100 × 5 in the paper), separately per
problem (related / unrelated pairs) and feature subset.

Features (``features``): ``all`` = the numeric, non-boolean columns named ``main_*``, ``aux_*``,
``ratio_*`` or ``cross_*`` (see :mod:`mtl_pipeline.features.ratios`); ``released`` = the 30
columns of the released code, in its order (``utils.py: number_to_feature``,
:data:`RELEASED_FEATURES`). Columns that carry nothing (constant, or NaN everywhere, over a
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
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score
from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from mtl_pipeline.frames import require_columns

logger = logging.getLogger(__name__)

FEATURE_SUBSETS = ("all", "no_curve", "only_curve", "only_ratio")
FEATURE_PREFIXES = ("main_", "aux_", "ratio_", "cross_")
FEATURE_LISTS = ("all", "released")
SUBSET_LABELS = ("as_named", "as_released")
EVALUATIONS = ("pooled", "per_seed")
CVS = ("stratified", "kfold")
FOLD_SCORINGS = ("pooled_predictions", "fold_mean")
FOLD_SEEDS = ("sequential", "randint100")
SCALERS = ("minmax", "standard")
SCALINGS = ("in_fold", "all_data")
POOLINGS = ("pair_seed", "pair_mean")
METRICS = ("f1", "accuracy", "balanced_accuracy")
STATUS_OK, STATUS_DEGENERATE = "ok", "degenerate"

_CURVE_PARTS = ("curve_fit_a", "curve_fit_c", "curve_grad_10", "curve_grad_25")
_CURVE_PARTS += ("curve_grad_50", "curve_grad_75")
# utils.py: number_to_feature, indices 0..29 (cat. 0 = the alphabetically first class = X).
RELEASED_FEATURES: tuple[str, ...] = (
    *(
        f"{role}_{s}"
        for role in ("main", "aux", "ratio")
        for s in ("jsd_classes", "n_words", *_CURVE_PARTS)
    ),
    "main_test_vocab_size",
    "main_jsd_test_first_class",
    "main_jsd_test_second_class",
    "cross_jsd_first_classes",
    "cross_jsd_second_classes",
    "main_oov_rate",
)

# What each subset label selects, per labelling (see the module docstring).
_SUBSET_CONTENT = {
    "as_named": {
        "all": "all",
        "no_curve": "non_curve",
        "only_curve": "curve",
        "only_ratio": "ratio",
    },
    "as_released": {
        "all": "all",
        "no_curve": "curve_and_oov",
        "only_curve": "non_curve",
        "only_ratio": "non_ratio",
    },
}


@dataclass(frozen=True)
class MetaModelConfig:
    """Settings of the meta-model evaluation (paper defaults; see the module docstring)."""

    repetitions: int = 100
    folds: int = 5
    seed: int = 0
    features: str = "all"
    subset_labels: str = "as_named"
    evaluation: str = "pooled"
    cv: str = "stratified"
    fold_scoring: str = "pooled_predictions"
    fold_seeds: str = "sequential"
    scaler: str = "minmax"
    scaling: str = "in_fold"
    pooling: str = "pair_seed"
    group_by_pair: bool = True
    C: float = 1.0
    solver: str = "lbfgs"  # sklearn's default today; the paper's 2018 sklearn used "liblinear"
    max_iter: int = 1000
    class_weight: str | None = None
    subsets: tuple[str, ...] = FEATURE_SUBSETS

    def __post_init__(self) -> None:
        for name, allowed in (
            ("features", FEATURE_LISTS),
            ("subset_labels", SUBSET_LABELS),
            ("evaluation", EVALUATIONS),
            ("cv", CVS),
            ("fold_scoring", FOLD_SCORINGS),
            ("fold_seeds", FOLD_SEEDS),
            ("scaler", SCALERS),
            ("scaling", SCALINGS),
            ("pooling", POOLINGS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"meta.meta_model.{name} must be one of {allowed}, got {getattr(self, name)!r}"
                )
        if self.repetitions < 1 or self.folds < 2:
            raise ValueError(
                f"meta repetitions must be >= 1 and folds >= 2, got {self.repetitions}, {self.folds}"
            )
        bad = [s for s in self.subsets if s not in FEATURE_SUBSETS]
        if bad:
            raise ValueError(f"unknown feature subset(s) {bad}; known: {FEATURE_SUBSETS}")
        if self.evaluation == "per_seed" and self.pooling != "pair_seed":
            raise ValueError("meta.meta_model.evaluation 'per_seed' needs pooling 'pair_seed'")


def subset_content(subset: str, labels: str = "as_named") -> str:
    """The features a subset label selects: all, non_curve, curve, curve_and_oov, ratio or
    non_ratio (see the module docstring's table)."""
    if subset not in FEATURE_SUBSETS:
        raise ValueError(f"unknown feature subset {subset!r}; known: {FEATURE_SUBSETS}")
    if labels not in SUBSET_LABELS:
        raise ValueError(f"subset_labels must be one of {SUBSET_LABELS}, got {labels!r}")
    return _SUBSET_CONTENT[labels][subset]


def select_features(columns: list[str], content: str) -> list[str]:
    curve = [c for c in columns if "curve_" in c]
    if content == "all":
        return list(columns)
    if content == "curve":
        return curve
    if content == "non_curve":
        return [c for c in columns if c not in curve]
    if content == "curve_and_oov":
        return [c for c in columns if c in curve or "oov_rate" in c]
    if content == "ratio":
        return [c for c in columns if c.startswith("ratio_")]
    if content == "non_ratio":
        return [c for c in columns if not c.startswith("ratio_")]
    raise ValueError(f"unknown feature content {content!r}")


def candidate_columns(frame: pd.DataFrame, features: str = "all") -> list[str]:
    """The feature columns the meta-model may use, before subsets and dropping."""
    if features == "released":
        missing = [c for c in RELEASED_FEATURES if c not in frame.columns]
        if missing:
            raise ValueError(
                f"meta.meta_model.features 'released' needs meta_features columns {missing}; "
                "compute them with the kerinec_code settings of meta.dataset_features "
                "(n_words: types, cross_jsd_pairing: by_label)"
            )
        return list(RELEASED_FEATURES)
    if features != "all":
        raise ValueError(f"meta.meta_model.features must be one of {FEATURE_LISTS}")
    return [
        c
        for c in frame.columns
        if c.startswith(FEATURE_PREFIXES)
        and pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
    ]


def feature_columns(
    frame: pd.DataFrame,
    subset: str = "all",
    labels: str = "as_named",
    features: str = "all",
) -> list[str]:
    """Feature columns of a meta-feature table that a subset label selects."""
    return select_features(candidate_columns(frame, features), subset_content(subset, labels))


def uninformative_columns(frame: pd.DataFrame, columns: list[str]) -> dict[str, list[str]]:
    """Columns that carry nothing over these examples: NaN everywhere, or one value only."""
    values = frame[columns].astype(float)
    all_nan = [c for c in columns if values[c].isna().all()]
    constant = [c for c in columns if c not in all_nan and values[c].nunique(dropna=False) == 1]
    return {"constant": constant, "all_nan": all_nan}


def pool_examples(frame: pd.DataFrame, pooling: str, columns: list[str]) -> pd.DataFrame:
    """Meta-examples of one problem: as given (pair × seed) or averaged over seeds per pair.

    Averaged over seeds, a pair is ``improved`` if its mean ``gain`` is positive.
    """
    if pooling == "pair_seed":
        return frame.reset_index(drop=True)
    agg = frame.groupby("pair_id", sort=True)[columns].mean()
    agg["improved"] = frame.groupby("pair_id", sort=True)["gain"].mean() > 0
    return agg.reset_index()


def _pooling_note(frame: pd.DataFrame, config: MetaModelConfig) -> str:
    n_pairs = frame["pair_id"].nunique()
    n_seeds = frame["seed"].nunique() if "seed" in frame.columns else 1
    if config.evaluation == "per_seed":
        return f"one meta-model per seed ({n_seeds} seeds), each over its pairs ({n_pairs})"
    if config.pooling == "pair_seed":
        return f"one example per pair x seed ({n_pairs} pairs x {n_seeds} seeds = {len(frame)})"
    return f"one example per pair, features and gains averaged over {n_seeds} seeds ({n_pairs})"


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


def classification_scores(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    return {
        "f1": float(f1_score(y, pred, zero_division=0.0)),
        "accuracy": float(accuracy_score(y, pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
    }


def _repetition_scores(
    y: np.ndarray,
    pred: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    fold_scoring: str,
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


def _nan_scores() -> dict[str, float]:
    return {
        f"{p}{m}_{s}": float("nan")
        for p in ("", "baseline_")
        for m in METRICS
        for s in ("mean", "std")
    }


@dataclass(frozen=True)
class _Folds:
    """The cross-validation folds of one evaluation unit (a problem, or one seed of it); they do
    not depend on the features used.

    ``repetitions`` holds (random_state, [(train_idx, test_idx), ...]) per repetition (empty if
    the data allow fewer than two folds) and ``baseline`` the majority-class scores of each
    repetition per metric.
    """

    n_splits: int
    note: str
    repetitions: list[tuple[int, list[tuple[np.ndarray, np.ndarray]]]]
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
) -> _Folds:
    """Repeated k-fold splits of one evaluation unit and their majority-class baseline.

    The baseline predicts the majority class of the training part of each fold and is scored as
    the model is (``fold_scoring``).
    """
    n_splits, note = _n_folds(y, groups, config, label)
    if n_splits < 2:
        return _Folds(n_splits, note, [], {})
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
    return _Folds(n_splits, note, repetitions, baseline)


def cross_validate(
    x: np.ndarray,
    y: np.ndarray,
    folds: _Folds,
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
            if x_all is None:
                prep = Preprocessor(config.scaler).fit(x[train_idx])
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
        for m, v in _repetition_scores(y, pred, splits, config.fold_scoring).items():
            per_rep[m].append(v)
    note = ""
    if single_class_folds:
        note = f"{single_class_folds} fold(s) had one class in training: predicted that class"
        logger.warning("meta-model %s: %s", label, note)
    per_rep.update({f"baseline_{m}": v for m, v in folds.baseline.items()})
    coef_matrix = np.vstack(coefs) if coefs else np.empty((0, x.shape[1]))
    return per_rep, coef_matrix, note


@dataclass(frozen=True)
class _Unit:
    """One evaluation unit: the examples of a problem (``pooled``) or of one of its seeds."""

    name: str
    frame: pd.DataFrame
    y: np.ndarray
    folds: _Folds


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


def evaluate_meta_model(
    meta_features: pd.DataFrame, config: MetaModelConfig | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cross-validated meta-model scores and coefficients per problem and feature subset.

    Returns:
        ``meta_scores``: one row per (problem, feature_subset) with ``feature_set`` (what the
        label selected, see :func:`subset_content`), ``subset_labels``, ``n_examples``,
        ``n_positive``, ``majority_share`` (accuracy of always predicting the majority class;
        per seed and averaged with ``per_seed``), ``n_units`` (meta-models: 1 or the number of
        seeds), ``n_features``, ``dropped_features``, ``n_examples_with_nan``, ``n_folds``,
        ``repetitions``, the protocol settings, ``<metric>_mean/_std`` and
        ``baseline_<metric>_mean/_std`` for f1, accuracy and balanced_accuracy (baseline =
        majority class of the training fold, scored as the model; means over units of the
        per-unit means, std over every unit × repetition score), ``status`` and ``note``.
        ``meta_coefficients``: one row per (problem, feature_subset, feature) with the mean and
        std of the logistic-regression coefficient over all fold models, the mean inverse rank
        (1 / rank of |coef| among the subset's features, rank 1 = largest), ``n_models`` and the
        score row's ``status``.
    """
    config = config or MetaModelConfig()
    required = ["pair_id", "problem", "improved"] + (
        ["gain"] if config.pooling == "pair_mean" else []
    )
    if config.evaluation == "per_seed":
        required.append("seed")
    require_columns(meta_features, required, "meta_features")
    score_rows, coef_rows = [], []
    for problem in sorted(meta_features["problem"].unique()):
        raw = meta_features.loc[meta_features["problem"] == problem]
        candidates = candidate_columns(raw, config.features)
        frame = pool_examples(raw, config.pooling, candidates)
        dropped = uninformative_columns(frame, candidates)
        gone = dropped["constant"] + dropped["all_nan"]
        if gone:  # one line; a warning when a column is NaN everywhere (a feature failed)
            logger.log(
                logging.WARNING if dropped["all_nan"] else logging.INFO,
                "meta-model %s: dropping %d feature(s) that carry nothing (not fed to the "
                "model): constant %s; NaN everywhere %s",
                problem,
                len(gone),
                dropped["constant"],
                dropped["all_nan"],
            )
        kept = [c for c in candidates if c not in gone]
        units = _units(frame, problem, config)
        for subset in config.subsets:
            content = subset_content(subset, config.subset_labels)
            cols = select_features(kept, content)
            label = f"{problem}/{subset}"
            y_all = frame["improved"].astype(bool).to_numpy()
            row = {
                "problem": problem,
                "feature_subset": subset,
                "feature_set": content,
                "subset_labels": config.subset_labels,
                "n_examples": len(frame),
                "n_positive": int(y_all.sum()),
                "majority_share": _majority_share(units),
                "n_units": len(units),
                "n_features": len(cols),
                "features": ",".join(cols),
                "dropped_features": ",".join(gone),
                "n_examples_with_nan": int(frame[cols].isna().any(axis=1).sum()) if cols else 0,
                "repetitions": config.repetitions,
                "evaluation": config.evaluation,
                "cv": config.cv,
                "fold_scoring": config.fold_scoring,
                "scaler": config.scaler,
                "scaling": config.scaling,
                "pooling": _pooling_note(raw, config),
            }
            notes = [u.folds.note for u in units]
            # reduced folds still give numbers (kept, flagged); fewer than 2 give none
            degenerate = any(u.folds.n_splits < config.folds for u in units)
            computable = bool(cols) and all(u.folds.n_splits >= 2 for u in units)
            if not cols:
                notes.insert(0, "no feature columns in this subset")
                degenerate = True
            per_rep: dict[str, list[list[float]]] = {}
            coefs = np.empty((0, len(cols)))
            if computable:
                coef_parts = []
                for u in units:
                    x = u.frame[cols].to_numpy(dtype=float)
                    reps, c, note = cross_validate(x, u.y, u.folds, config, f"{label} {u.name}")
                    notes.append(note)
                    coef_parts.append(c)
                    for m, v in reps.items():
                        per_rep.setdefault(m, []).append(v)
                coefs = np.vstack(coef_parts)
            if row["n_examples_with_nan"]:
                notes.append(
                    f"{row['n_examples_with_nan']} of {len(frame)} examples have NaN features "
                    f"(mean-imputed, {config.scaling})"
                )
            if not computable:
                logger.warning("meta-model %s: degenerate, scores are NaN: %s", label, _join(notes))
                scores = _nan_scores()
            else:
                scores = {}
                for m, unit_values in per_rep.items():
                    scores[f"{m}_mean"] = float(np.mean([np.mean(v) for v in unit_values]))
                    scores[f"{m}_std"] = float(np.std(np.concatenate(unit_values)))
            status = STATUS_DEGENERATE if degenerate else STATUS_OK
            n_folds = min(u.folds.n_splits for u in units) if computable else 0
            score_rows.append(
                {**row, "n_folds": n_folds, **scores, "status": status, "note": _join(notes)}
            )
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
                            "status": status,
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
        "status",
    ]
    return pd.DataFrame(score_rows), pd.DataFrame(coef_rows, columns=coef_columns)
