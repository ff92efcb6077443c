"""The ``factors`` parameter block (``conf/*/parameters_factors.yml``) as a typed spec, read
against ``newsgroups``: every sweep sample is a nested subsample of the base study's sample, so
no sweep point may ask for more documents than ``newsgroups.train_per_class``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mtl_pipeline.factors.settings import METRICS, MINORITY_CLASSES, EffectsSpec, FactorsSpec
from mtl_pipeline.params import ParameterError, Params, check_keys

BLOCK = "factors"
TOP_KEYS = (
    "seeds",
    "related_pairs",
    "unrelated_pairs",
    "pair_selection_seed",
    "data_balance",
    "label_distribution",
    "effects",
    "meta_examples",
)
BALANCE_KEYS = ("per_class", "metric")
LABEL_KEYS = ("total", "minority_shares", "minority_class", "metrics")
EFFECT_KEYS = (
    "resamples",
    "permutations",
    "level",
    "alpha",
    "negligible_rho",
    "negligible_gain",
    "min_pairs",
    "seed",
)
META_EXAMPLE_KEYS = ("metric",)


def factors_spec_of(
    factors: Mapping[str, Any] | None, newsgroups: Mapping[str, Any]
) -> FactorsSpec:
    """``factors``, with the base study's ``newsgroups`` block (its sampling must be
    'per_class': the sweeps vary documents per class)."""
    p = Params(newsgroups, "newsgroups")
    if p.raw.get("sampling", "per_class") != "per_class":
        raise ParameterError(
            "the factors sweeps vary documents per class: they need newsgroups.sampling "
            f"'per_class', got {p.raw.get('sampling')!r}"
        )
    return factors_spec(factors, p.integer("train_per_class", minimum=1))


def factors_spec(raw: Mapping[str, Any] | None, base_per_class: int) -> FactorsSpec:
    """``factors``; ``base_per_class`` = ``newsgroups.train_per_class``, the fixed size of the
    other task and the largest size any sweep point may ask for."""
    check_keys(raw, TOP_KEYS, BLOCK)
    p = Params(raw, BLOCK)
    balance = _section(p, "data_balance", BALANCE_KEYS)
    label = _section(p, "label_distribution", LABEL_KEYS)
    meta = _section(p, "meta_examples", META_EXAMPLE_KEYS, required=False)
    total, shares = _label_distribution(label, base_per_class)
    return FactorsSpec(
        seeds=p.integers("seeds", minimum=0),
        related_pairs=p.optional_integer("related_pairs", minimum=1),
        unrelated_pairs=p.integer("unrelated_pairs", minimum=0),
        pair_selection_seed=p.integer("pair_selection_seed", default=0, minimum=0),
        per_class=_per_class(balance, base_per_class),
        balance_metric=balance.choice("metric", METRICS, default="f1"),
        total=total,
        minority_shares=shares,
        minority_label=MINORITY_CLASSES[
            label.choice("minority_class", tuple(MINORITY_CLASSES), default="positive")
        ],
        label_metrics=label.choices(
            "metrics", METRICS, default=("balanced_accuracy", "minority_f1")
        ),
        effects=_effects(_section(p, "effects", EFFECT_KEYS, required=False)),
        signal_metric=meta.choice("metric", METRICS, default="balanced_accuracy"),
    )


def _section(p: Params, key: str, allowed: tuple[str, ...], required: bool = True) -> Params:
    section = p.section(key, required=required)
    check_keys(section.raw, allowed, section.where)
    return section


def _per_class(balance: Params, base_per_class: int) -> tuple[int, ...]:
    """``factors.data_balance.per_class``: sizes of at most the base study's."""
    per_class = balance.integers("per_class", minimum=1)
    too_big = [n for n in per_class if n > base_per_class]
    if too_big:
        raise ParameterError(
            f"parameter {balance.name('per_class')} has {too_big}, more than "
            f"newsgroups.train_per_class={base_per_class}: sweep samples are subsamples of "
            "the base study's sample"
        )
    return per_class


def _label_distribution(label: Params, base_per_class: int) -> tuple[int, tuple[float, ...]]:
    """``factors.label_distribution``'s total and minority shares, each point's majority class
    within the base study's sample."""
    total = label.integer("total", minimum=2)
    if total > 2 * base_per_class:
        raise ParameterError(
            f"parameter {label.name('total')} is {total}; expected at most "
            f"2 × newsgroups.train_per_class = {2 * base_per_class}"
        )
    raw_shares = label.items("minority_shares")
    listed = Params(dict(enumerate(raw_shares)), label.name("minority_shares"))
    shares = tuple(listed.number(i, minimum=0.0, maximum=0.5) for i in range(len(raw_shares)))  # type: ignore[arg-type]
    for share in shares:
        minority = round(total * share)
        if total - minority > base_per_class:
            raise ParameterError(
                f"parameter {label.name('minority_shares')} has {share}: its "
                f"majority class needs {total - minority} documents of total {total}, more "
                f"than newsgroups.train_per_class={base_per_class}; lower total or the share"
            )
    return total, shares


def _effects(effects: Params) -> EffectsSpec:
    """``factors.effects`` (every key optional: the defaults of EffectsSpec)."""
    e = EffectsSpec()
    below_one = {"positive": True, "maximum": 1.0, "below_maximum": True}
    return EffectsSpec(
        resamples=effects.integer("resamples", default=e.resamples, minimum=100),
        permutations=effects.integer("permutations", default=e.permutations, minimum=100),
        level=effects.number("level", default=e.level, **below_one),
        alpha=effects.number("alpha", default=e.alpha, **below_one),
        negligible_rho=effects.number(
            "negligible_rho", default=e.negligible_rho, minimum=0.0, maximum=1.0
        ),
        negligible_gain=effects.number("negligible_gain", default=e.negligible_gain, minimum=0.0),
        min_pairs=effects.integer("min_pairs", default=e.min_pairs, minimum=2),
        seed=effects.integer("seed", default=e.seed, minimum=0),
    )
