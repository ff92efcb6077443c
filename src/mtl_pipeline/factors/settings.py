"""The factors study's settings as the engine receives them (built once from the ``factors``
parameter block by :mod:`mtl_pipeline.specs.factors`)."""

from __future__ import annotations

from dataclasses import dataclass

#: Main-task scores a sweep can be judged on (all read from the final test predictions):
#: ``f1`` = binary F1 of the positive class (label 1, the base study's ``test_f1``), ``accuracy``,
#: ``balanced_accuracy`` = mean recall of the two classes, ``minority_f1`` = F1 of the class
#: made the minority by the label-distribution sweep.
METRICS = ("f1", "accuracy", "balanced_accuracy", "minority_f1")
#: Which class of the main task "X vs Y" the label-distribution sweep makes the minority.
MINORITY_CLASSES = {"positive": 1, "negative": 0}


@dataclass(frozen=True)
class EffectsSpec:
    resamples: int = 2000  # bootstrap resamples (pairs, then seeds within each drawn pair)
    permutations: int = 2000  # permutations of the trend and signal tests
    level: float = 0.95  # bootstrap interval level
    alpha: float = 0.05  # a trend is significant at p < alpha
    # |rho| whose whole interval lies within ±negligible_rho counts as "no trend" (a claim fails)
    negligible_rho: float = 0.1
    # the same for a difference of mean gains (related − unrelated), in score units
    negligible_gain: float = 0.005
    min_pairs: int = 3  # fewer pairs at a point (or in a trend) = degenerate, never a finding
    seed: int = 0


@dataclass(frozen=True)
class FactorsSpec:
    seeds: tuple[int, ...]
    related_pairs: int | None  # None = every related pair
    unrelated_pairs: int  # a seeded sample of the pairs that are unrelated only (0 = none)
    pair_selection_seed: int
    per_class: tuple[int, ...]  # data-balance sweep: training documents per class
    balance_metric: str
    total: int  # label-distribution sweep: the main task's training documents in all
    minority_shares: tuple[float, ...]
    minority_label: int
    label_metrics: tuple[str, ...]
    effects: EffectsSpec
    signal_metric: str  # the gain the meta-examples' feature signal is read on (every sweep)
