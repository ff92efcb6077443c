"""Feature groups declared once: every column the feature modules make has its group and table."""

from __future__ import annotations

import pytest

from mtl_pipeline.features import groups
from mtl_pipeline.features.dataset import TASK_STATISTICS
from mtl_pipeline.features.groups import (
    FEATURE_GROUPS,
    FeatureGroup,
    feature_group,
    feature_tables,
    group_columns,
    split_column,
)
from mtl_pipeline.features.warmup import WARMUP_FEATURES

# The substring table the groups replaced (meta/predictors.py before issue 21): a column belonged
# to the first group with a part contained in its name.
_SUBSTRING_GROUPS = {
    "divergence": (
        "jsd_classes",
        "jsd_test_train",
        "jsd_test_first_class",
        "jsd_test_second_class",
    ),
    "cross_divergence": ("cross_jsd",),
    "vocabulary": ("n_words", "vocab_size", "test_vocab_size", "type_token_ratio", "oov_rate"),
    "label": ("label_entropy", "label_kurtosis"),
    "curve": ("curve_",),
    "warmup": ("affinity", "grad_cosine"),
    "gradtag": ("gradtag",),
}


def _substring_group(column: str) -> str | None:
    for group, parts in _SUBSTRING_GROUPS.items():
        if any(part in column for part in parts):
            return group
    return None


def _produced_columns() -> list[str]:
    curve = ("curve_grad_10", "curve_grad_25", "curve_grad_50", "curve_grad_75")
    curve += ("curve_fit_a", "curve_fit_c", "curve_fit_failed")
    per_task = [f"{r}_{s}" for r in ("main", "aux", "ratio") for s in (*TASK_STATISTICS, *curve)]
    cross = [
        "cross_jsd_a_c",
        "cross_jsd_b_d",
        "cross_jsd_first_classes",
        "cross_jsd_second_classes",
    ]
    return per_task + cross + list(WARMUP_FEATURES.values())


def test_every_produced_column_keeps_the_group_the_substring_scan_gave():
    columns = _produced_columns()
    assert all(feature_group(c) is not None for c in columns)
    assert [feature_group(c) for c in columns] == [_substring_group(c) for c in columns]
    assert list(FEATURE_GROUPS) == list(_SUBSTRING_GROUPS)  # the ablation's order
    for other in ("ratio_signal", "main_noise", "gain", "stl_score", "pair_id"):
        assert feature_group(other) is None


def test_roles_statistics_and_tables():
    assert split_column("ratio_oov_rate") == ("ratio", "oov_rate")
    assert split_column("stl_score") is None
    assert feature_group("main_jsd_a_c") is None  # the pair divergence only as cross_
    assert feature_tables(["main_jsd_classes", "ratio_curve_fit_a"]) == {
        "dataset_features",
        "curve_features",
    }
    assert feature_tables(["cross_gradtag_loss_gain", "main_noise"]) == {"warmup_features"}
    assert group_columns(["main_n_words", "aux_curve_grad_10", "cross_grad_cosine"], ["curve"]) == [
        "aux_curve_grad_10"
    ]
    with pytest.raises(ValueError, match="unknown feature group"):
        group_columns(["main_n_words"], ["curves"])


def test_a_new_group_is_one_registration(monkeypatch):
    registry = {**FEATURE_GROUPS, "syntax": FeatureGroup("syntax", "syntax_features", ("parse",))}
    monkeypatch.setattr(groups, "FEATURE_GROUPS", registry)
    assert feature_group("main_parse_depth") == "syntax"
    assert feature_tables(["ratio_parse_depth"]) == {"syntax_features"}
