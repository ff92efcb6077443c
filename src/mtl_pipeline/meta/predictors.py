"""The predictors of a pair's MTL gain, declared once and chosen by name.

Two layers:

- the feature groups (:data:`mtl_pipeline.features.groups.FEATURE_GROUPS`): which statistic a
  feature column holds (whatever its role ``main_``/``aux_``/``ratio_``/``cross_``), used by the
  ablation of :mod:`.goal`;
- :data:`PREDICTORS`: what a user chooses (``meta.targets.predictors``): a named set of groups,
  with what computing it for a new pair costs (``needs``, the work items that
  ``benchmarks/predict_cost.py`` times) and, where the predictor is one score with a known
  direction, the column read as a zero-shot score (no trained pair needed).

Adding a predictor is one entry of :data:`PREDICTORS` (and, for a new kind of feature, its
feature module and one entry of :data:`~mtl_pipeline.features.groups.FEATURE_GROUPS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mtl_pipeline.features.groups import FEATURE_GROUPS, group_columns
from mtl_pipeline.params import ParameterError, nearest

#: Work items a predictor needs for a new pair (timed by benchmarks/predict_cost.py).
NEEDS = {
    "dataset": "the two tasks' samples and their dataset features (no training)",
    "stl": "both tasks' STL models trained to the end (their learning curves)",
    "warmup": "a short joint warm-up of the pair's MTL model",
    "gradtag": "the Grad-TAG fits on the warmed-up model (after the warm-up)",
}


@dataclass(frozen=True)
class Predictor:
    """A named predictor: the feature groups it reads, the work it needs, its zero-shot score."""

    name: str
    groups: tuple[str, ...]  # keys of FEATURE_GROUPS; empty = every feature column
    needs: tuple[str, ...]  # keys of NEEDS
    description: str
    #: (column, +1 | -1): one column whose value, times the sign, ranks pairs by expected gain
    #: without any trained pair; None when the predictor has no such score.
    zero_shot: tuple[str, int] | None = None

    def columns(self, candidates: Iterable[str]) -> list[str]:
        """The candidate feature columns this predictor reads."""
        if not self.groups:
            return list(candidates)
        return group_columns(candidates, self.groups)

    def __post_init__(self) -> None:
        unknown = [g for g in self.groups if g not in FEATURE_GROUPS]
        if unknown:
            raise ValueError(f"predictor {self.name!r}: unknown feature group(s) {unknown}")


_DATASET_GROUPS = ("divergence", "cross_divergence", "vocabulary", "label")

#: The registry (``meta.targets.predictors`` names its entries).
PREDICTORS: dict[str, Predictor] = {
    p.name: p
    for p in (
        Predictor(
            "dataset",
            _DATASET_GROUPS,
            ("dataset",),
            "Kerinec et al.'s dataset features: divergences, vocabulary, label statistics",
        ),
        Predictor(
            "curve",
            ("curve",),
            ("stl",),
            "Kerinec et al.'s STL learning-curve features (gradients, log fit)",
        ),
        Predictor(
            "warmup",
            ("warmup",),
            ("warmup",),
            "TAG inter-task affinity and shared-layer gradient cosine over a joint warm-up",
            zero_shot=("cross_affinity_aux_to_main", 1),
        ),
        Predictor(
            "gradtag",
            ("gradtag",),
            ("warmup", "gradtag"),
            "Grad-TAG-style estimate of the gain: the warmed-up model's shared layers "
            "linearised, logistic fits on projected per-sample gradients of the main task "
            "alone vs main + auxiliary, scored on held-out main-task training rows",
            zero_shot=("cross_gradtag_loss_gain", 1),
        ),
        Predictor(
            "dataset_warmup",
            (*_DATASET_GROUPS, "warmup"),
            ("dataset", "warmup"),
            "dataset features and the warm-up affinities: everything `predict` can compute "
            "without training an STL model",
        ),
        Predictor(
            "all",
            (),
            ("dataset", "stl", "warmup", "gradtag"),
            "every feature column of meta_features",
        ),
    )
}


def resolve_predictors(names: Sequence[str], parameter: str) -> list[Predictor]:
    """The registry's predictors named in ``names``; an unknown name is a ParameterError naming
    ``parameter`` and the nearest known name."""
    if isinstance(names, str) or not names:
        raise ParameterError(
            f"parameter {parameter} must be a non-empty list of predictor names, got {names!r}; "
            f"known: {list(PREDICTORS)}"
        )
    out = []
    for name in names:
        if name not in PREDICTORS:
            raise ParameterError(
                f"parameter {parameter} names an unknown predictor {name!r}"
                f"{nearest(name, list(PREDICTORS))} (known: {list(PREDICTORS)})"
            )
        out.append(PREDICTORS[name])
    return out
