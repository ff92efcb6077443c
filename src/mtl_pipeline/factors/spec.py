"""The ``factors`` parameter block, parsed once into a frozen spec (unknown keys are errors
naming the nearest known key)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mtl_pipeline.params import ParameterError, Params, nearest

#: Main-task scores a sweep can be judged on (all read from the final test predictions):
#: ``f1`` = binary F1 of the positive class (label 1, the base study's ``test_f1``), ``accuracy``,
#: ``balanced_accuracy`` = mean recall of the two classes, ``minority_f1`` = F1 of the class
#: made the minority by the label-distribution sweep.
METRICS = ("f1", "accuracy", "balanced_accuracy", "minority_f1")
#: Which class of the main task "X vs Y" the label-distribution sweep makes the minority.
MINORITY_CLASSES = {"positive": 1, "negative": 0}

_TOP_KEYS = {
    "seeds",
    "related_pairs",
    "unrelated_pairs",
    "pair_selection_seed",
    "data_balance",
    "label_distribution",
    "effects",
    "meta_examples",
}
_BALANCE_KEYS = {"per_class", "metric"}
_LABEL_KEYS = {"total", "minority_shares", "minority_class", "metrics"}
_EFFECT_KEYS = {
    "resamples",
    "permutations",
    "level",
    "alpha",
    "negligible_rho",
    "negligible_gain",
    "min_pairs",
    "seed",
}
_META_KEYS = {"metric"}


def check_keys(raw: Mapping[str, Any] | None, allowed: set[str], where: str) -> None:
    """Unknown keys of a parameter block are an error naming each and its nearest known key."""
    for key in sorted(set(raw or {}) - allowed):
        raise ParameterError(
            f"unknown key {key!r} in parameter {where}{nearest(key, sorted(allowed))}"
        )


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

    @classmethod
    def from_params(cls, params: Mapping[str, Any], base_per_class: int) -> FactorsSpec:
        """From ``params:factors``; ``base_per_class`` = ``newsgroups.train_per_class``, the
        fixed size of the other task and the largest size any sweep point may ask for (every
        sweep sample is a nested subsample of the base study's sample)."""
        check_keys(params, _TOP_KEYS, "factors")
        p = Params(params, "factors")
        balance, label, effects = (
            p.section("data_balance"),
            p.section("label_distribution"),
            p.section("effects", required=False),
        )
        check_keys(balance.raw, _BALANCE_KEYS, balance.where)
        check_keys(label.raw, _LABEL_KEYS, label.where)
        check_keys(effects.raw, _EFFECT_KEYS, effects.where)
        meta = p.section("meta_examples", required=False)
        check_keys(meta.raw, _META_KEYS, meta.where)
        per_class = balance.integers("per_class", minimum=1)
        too_big = [n for n in per_class if n > base_per_class]
        if too_big:
            raise ParameterError(
                f"parameter factors.data_balance.per_class has {too_big}, more than "
                f"newsgroups.train_per_class={base_per_class}: sweep samples are subsamples of "
                "the base study's sample"
            )
        total = label.integer("total", minimum=2)
        if total > 2 * base_per_class:
            raise ParameterError(
                f"parameter factors.label_distribution.total is {total}; expected at most "
                f"2 × newsgroups.train_per_class = {2 * base_per_class}"
            )
        shares = tuple(
            Params(
                dict(enumerate(label.items("minority_shares"))), label.name("minority_shares")
            ).number(i, minimum=0.0, maximum=0.5)
            for i in range(len(label.items("minority_shares")))
        )
        for share in shares:
            minority = round(total * share)
            if total - minority > base_per_class:
                raise ParameterError(
                    f"parameter factors.label_distribution.minority_shares has {share}: its "
                    f"majority class needs {total - minority} documents of total {total}, more "
                    f"than newsgroups.train_per_class={base_per_class}; lower total or the share"
                )
        e = EffectsSpec()
        return cls(
            seeds=p.integers("seeds", minimum=0),
            related_pairs=p.optional_integer("related_pairs", minimum=1),
            unrelated_pairs=p.integer("unrelated_pairs", minimum=0),
            pair_selection_seed=p.integer("pair_selection_seed", default=0, minimum=0),
            per_class=per_class,
            balance_metric=balance.choice("metric", METRICS, default="f1"),
            total=total,
            minority_shares=shares,
            minority_label=MINORITY_CLASSES[
                label.choice("minority_class", tuple(MINORITY_CLASSES), default="positive")
            ],
            label_metrics=label.choices(
                "metrics", METRICS, default=("balanced_accuracy", "minority_f1")
            ),
            effects=EffectsSpec(
                resamples=effects.integer("resamples", default=e.resamples, minimum=100),
                permutations=effects.integer("permutations", default=e.permutations, minimum=100),
                level=effects.number("level", default=e.level, positive=True, maximum=1.0,
                                     below_maximum=True),
                alpha=effects.number("alpha", default=e.alpha, positive=True, maximum=1.0,
                                     below_maximum=True),
                negligible_rho=effects.number("negligible_rho", default=e.negligible_rho,
                                              minimum=0.0, maximum=1.0),
                negligible_gain=effects.number("negligible_gain", default=e.negligible_gain,
                                               minimum=0.0),
                min_pairs=effects.integer("min_pairs", default=e.min_pairs, minimum=2),
                seed=effects.integer("seed", default=e.seed, minimum=0),
            ),
            signal_metric=meta.choice("metric", METRICS, default="balanced_accuracy"),
        )  # fmt: skip
