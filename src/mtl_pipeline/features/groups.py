"""The meta-feature groups, declared once: which statistic a feature column holds, the group it
belongs to and the feature table that makes it.

Feature columns are named ``<role>_<statistic>`` (:mod:`mtl_pipeline.features.ratios`): role
``main``, ``aux`` or ``ratio`` for a per-task statistic, ``cross`` for a pair statistic. Each
feature module declares the statistics it computes (:data:`.dataset.DIVERGENCE_STATISTICS`,
:data:`.curves.CURVE_STATISTICS`, :data:`.warmup.AFFINITY_STATISTICS`, ...); a
:class:`FeatureGroup` registered in :data:`FEATURE_GROUPS` names them. A column belongs to the
first group holding its statistic, either by name or as ``<statistic>_<anything>`` (the curve
gradients are named after their points, ``curve_grad_25``; the pair divergences after their
pairing, ``cross_jsd_a_c``).

The groups are the predictor groups of the meta-model (its ablation, the predictors of
:mod:`mtl_pipeline.meta.predictors`) and the feature subsets (``only_curve``, ...), and their
tables say what a fitted meta-model needs computed for a new pair. A new group is its feature
module's statistics plus one entry of :data:`FEATURE_GROUPS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mtl_pipeline.features.curves import CURVE_STATISTICS
from mtl_pipeline.features.dataset import (
    CROSS_STATISTICS,
    DIVERGENCE_STATISTICS,
    LABEL_STATISTICS,
    VOCABULARY_STATISTICS,
)
from mtl_pipeline.features.warmup import AFFINITY_STATISTICS, GRADTAG_STATISTICS

ROLES = ("main", "aux", "ratio", "cross")
#: What a feature column's name starts with (any other column is not a feature).
FEATURE_PREFIXES = tuple(f"{role}_" for role in ROLES)

#: The feature tables (catalog names) the groups' columns come from.
DATASET_TABLE, CURVE_TABLE, WARMUP_TABLE = "dataset_features", "curve_features", "warmup_features"


@dataclass(frozen=True)
class FeatureGroup:
    """A kind of feature column: the statistics it holds (in the roles given) and its table."""

    name: str
    table: str
    statistics: tuple[str, ...]
    roles: tuple[str, ...] = ROLES

    def holds(self, column: str) -> bool:
        parts = split_column(column)
        if parts is None or parts[0] not in self.roles:
            return False
        return any(parts[1] == s or parts[1].startswith(f"{s}_") for s in self.statistics)


#: The registry, in the order the ablation reports the groups.
FEATURE_GROUPS: dict[str, FeatureGroup] = {
    g.name: g
    for g in (
        FeatureGroup("divergence", DATASET_TABLE, DIVERGENCE_STATISTICS),
        FeatureGroup("cross_divergence", DATASET_TABLE, CROSS_STATISTICS, roles=("cross",)),
        FeatureGroup("vocabulary", DATASET_TABLE, VOCABULARY_STATISTICS),
        FeatureGroup("label", DATASET_TABLE, LABEL_STATISTICS),
        FeatureGroup("curve", CURVE_TABLE, CURVE_STATISTICS),
        FeatureGroup("warmup", WARMUP_TABLE, AFFINITY_STATISTICS),
        FeatureGroup("gradtag", WARMUP_TABLE, GRADTAG_STATISTICS),
    )
}


def split_column(column: str) -> tuple[str, str] | None:
    """``(role, statistic)`` of a feature column's name; None for any other column."""
    role, _, statistic = column.partition("_")
    return (role, statistic) if role in ROLES and statistic else None


def is_feature_column(column: str) -> bool:
    return column.startswith(FEATURE_PREFIXES)


def statistic(column: str) -> str | None:
    """The statistic a feature column holds (``ratio_oov_rate`` → ``oov_rate``)."""
    parts = split_column(column)
    return None if parts is None else parts[1]


def feature_group(column: str) -> str | None:
    """The group a feature column belongs to (None when no group claims it)."""
    for group in FEATURE_GROUPS.values():
        if group.holds(column):
            return group.name
    return None


def group_columns(columns: Iterable[str], groups: Iterable[str]) -> list[str]:
    """The columns that belong to one of ``groups``, in their order."""
    wanted = set(groups)
    unknown = sorted(wanted - set(FEATURE_GROUPS))
    if unknown:
        raise ValueError(f"unknown feature group(s) {unknown}; known: {list(FEATURE_GROUPS)}")
    return [c for c in columns if feature_group(c) in wanted]


def feature_tables(columns: Iterable[str]) -> set[str]:
    """The feature tables that the columns' groups come from."""
    groups = {feature_group(c) for c in columns}
    return {FEATURE_GROUPS[g].table for g in groups if g is not None}
