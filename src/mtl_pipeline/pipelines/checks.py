"""Every parameter block a run reads, checked before its first node (``PreflightHooks``).

Each check parses its block with the same functions the nodes use (the one validation layer,
:mod:`mtl_pipeline.params`), so a bad value is reported in seconds, in the words a node would
use, instead of after an earlier node has trained for minutes. A check only parses: it reads no
data and trains nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mtl_pipeline.params import ParameterError, Params, check_keys
from mtl_pipeline.specs import meta as meta_spec
from mtl_pipeline.specs import newsgroups as newsgroups_spec
from mtl_pipeline.specs import tweets as tweet_specs
from mtl_pipeline.specs.factors import factors_spec_of
from mtl_pipeline.specs.predict import predict_spec
from mtl_pipeline.tasks.hierarchy import parse_hierarchy


def check_newsgroups(params: Mapping[str, Any]) -> None:
    """``newsgroups``: the hierarchy's shape, the seeds, the samples, the TF-IDF, and the
    model, train, training and gain blocks (the gains' epochs within the epochs trained)."""
    p = Params(params, "newsgroups")
    check_keys(p.raw, newsgroups_spec.TOP_KEYS, "newsgroups")
    newsgroups_spec.document_source(p.raw)
    chosen = newsgroups_spec.pair_selection(p.raw)
    parse_hierarchy(chosen.hierarchy, names=newsgroups_spec.HIERARCHY_NAMES)
    newsgroups_spec.sample_spec(p.raw)
    newsgroups_spec.tfidf_max_features(p.section("tfidf").raw)
    training = newsgroups_spec.training(
        p.section("model").raw, p.section("train").raw, p.section("training").raw
    )
    newsgroups_spec.gain_spec(p.section("gain").raw, training.train)


def check_tweets(params: Mapping[str, Any]) -> None:
    """``tweets``: its datasets, tasks and pairs, text, embedding, model, training, execution,
    CV, significance, ablation and the degenerate-task switch (no file is read)."""
    tweet_specs.dataset_configs(params)
    tweet_specs.run_pairs(params)
    p = Params(params, "tweets")
    tweet_specs.text_settings(p.section("text").raw)
    tweet_specs.embedding_settings(p.section("embedding", required=False).raw)
    settings = tweet_specs.training_settings(params)
    tweet_specs.cv_spec(params)
    tweet_specs.significance_alpha(p.section("significance", required=False).raw)
    tweet_specs.ablation_spec(params, settings.encoders)


def check_meta(params: Mapping[str, Any]) -> None:
    """``meta``: the known keys and every value of each section, and the meta-model's
    settings."""
    for name, allowed in meta_spec.SECTION_KEYS.items():
        if name in params:
            meta_spec.section(params, name, allowed)
    meta_spec.meta_model_config(params)
    for name, read in META_SECTION_READERS.items():
        if name in params:
            read(params)


#: Sections of ``meta`` whose values are read (and so checked) by their own function.
META_SECTION_READERS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "dataset_features": meta_spec.dataset_feature_options,
    "curve_features": meta_spec.curve_feature_options,
    "goal": meta_spec.goal_settings,
    "reporting": meta_spec.reporting_settings,
    "predictor": meta_spec.predictor_settings,
    "targets": meta_spec.target_settings,
    "reliability": meta_spec.reliability_settings,
}


def check_predict(params: Mapping[str, Any]) -> None:
    predict_spec(params)


#: Parameter block → its check. A run checks every block its pipeline reads.
def check_factors(parameters: Mapping[str, Any]) -> None:
    """``factors``, with ``newsgroups``: the sweep sizes are bounded by its ``train_per_class``
    (every sweep sample is a subsample of the base study's sample)."""
    factors_spec_of(parameters.get("factors"), parameters.get("newsgroups") or {})


#: Blocks whose check needs other blocks too: called with every parameter.
WHOLE_PARAMETER_CHECKS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "factors": check_factors,
}

PARAMETER_CHECKS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "newsgroups": check_newsgroups,
    "tweets": check_tweets,
    "meta": check_meta,
    "predict": check_predict,
}


def check_parameters(parameters: Mapping[str, Any], read: Iterable[str]) -> list[str]:
    """Check each block of ``PARAMETER_CHECKS`` that a ``params:<name>`` in ``read`` belongs to;
    returns the blocks checked. Raises the first :class:`~mtl_pipeline.params.InputError`."""
    blocks = sorted(
        {name.removeprefix("params:").split(".")[0] for name in read if name.startswith("params:")}
    )
    checked = []
    for block in blocks:
        if block in WHOLE_PARAMETER_CHECKS:
            if parameters.get(block) is None:
                raise ParameterError(f"parameter {block} is required but not set (conf/base)")
            WHOLE_PARAMETER_CHECKS[block](parameters)
            checked.append(block)
        elif block in PARAMETER_CHECKS:
            raw = parameters.get(block)
            if raw is None:
                raise ParameterError(f"parameter {block} is required but not set (conf/base)")
            PARAMETER_CHECKS[block](raw)
            checked.append(block)
    return checked
