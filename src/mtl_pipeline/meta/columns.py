"""The feature columns and examples the meta-model reads: candidate columns, feature subsets
and their labels, the released code's 30 columns, pooling, and columns that carry nothing
(see :mod:`mtl_pipeline.meta.model` for what each choice means)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mtl_pipeline.features.groups import feature_group, is_feature_column, split_column, statistic
from mtl_pipeline.meta.config import FEATURE_LISTS, FEATURE_SUBSETS, SUBSET_LABELS

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

# What each subset label selects, per labelling (see the docstring of meta.model).
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


def subset_content(subset: str, labels: str = "as_named") -> str:
    """The features a subset label selects: all, non_curve, curve, curve_and_oov, ratio or
    non_ratio (see the docstring of :mod:`mtl_pipeline.meta.model`)."""
    if subset not in FEATURE_SUBSETS:
        raise ValueError(f"unknown feature subset {subset!r}; known: {FEATURE_SUBSETS}")
    if labels not in SUBSET_LABELS:
        raise ValueError(f"subset_labels must be one of {SUBSET_LABELS}, got {labels!r}")
    return _SUBSET_CONTENT[labels][subset]


def _is_ratio(column: str) -> bool:
    parts = split_column(column)
    return parts is not None and parts[0] == "ratio"


def select_features(columns: list[str], content: str) -> list[str]:
    """The columns of one subset content (:func:`subset_content`), in their order."""
    curve = [c for c in columns if feature_group(c) == "curve"]
    if content == "all":
        return list(columns)
    if content == "curve":
        return curve
    if content == "non_curve":
        return [c for c in columns if c not in curve]
    if content == "curve_and_oov":
        return [c for c in columns if c in curve or statistic(c) == "oov_rate"]
    if content == "ratio":
        return [c for c in columns if _is_ratio(c)]
    if content == "non_ratio":
        return [c for c in columns if not _is_ratio(c)]
    raise ValueError(f"unknown feature content {content!r}")


def candidate_columns(frame: pd.DataFrame, features: str = "all") -> list[str]:
    """The feature columns the meta-model may use, before subsets and dropping."""
    if features == "released":
        missing = [c for c in RELEASED_FEATURES if c not in frame.columns]
        if missing:
            raise ValueError(
                f"the meta-model's feature list 'released' needs meta_features columns "
                f"{missing}; compute them with the released code's dataset-feature settings "
                "(n_words: types, cross_jsd_pairing: by_label; conf/kerinec_code)"
            )
        return list(RELEASED_FEATURES)
    if features != "all":
        raise ValueError(f"the meta-model's feature list must be one of {FEATURE_LISTS}")
    return [
        c
        for c in frame.columns
        if is_feature_column(c)
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


@dataclass(frozen=True)
class ProblemExamples:
    """One problem's meta-examples, pooled, with the columns that carry something."""

    problem: str
    raw: pd.DataFrame  # the problem's rows of meta_features, as given
    frame: pd.DataFrame  # pooled (:func:`pool_examples`)
    candidates: list[str]
    dropped: dict[str, list[str]]  # :func:`uninformative_columns` over ``frame``

    @property
    def gone(self) -> list[str]:
        return self.dropped["constant"] + self.dropped["all_nan"]

    @property
    def kept(self) -> list[str]:
        gone = self.gone
        return [c for c in self.candidates if c not in gone]


def problem_examples(
    meta_features: pd.DataFrame, problem: str, features: str = "all", pooling: str = "pair_seed"
) -> ProblemExamples:
    """The meta-examples of ``problem``: candidate columns, pooled, uninformative ones found."""
    raw = meta_features.loc[meta_features["problem"] == problem]
    candidates = candidate_columns(raw, features)
    frame = pool_examples(raw, pooling, candidates)
    return ProblemExamples(
        problem, raw, frame, candidates, uninformative_columns(frame, candidates)
    )
