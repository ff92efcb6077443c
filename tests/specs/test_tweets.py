"""The tweets parameters parsed into typed specs: every bad value named as the user wrote it."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from mtl_pipeline.params import InputError
from mtl_pipeline.specs.tweets import (
    ablation_spec,
    cv_spec,
    dataset_configs,
    embedding_settings,
    on_degenerate,
    run_pairs,
    significance_alpha,
    text_settings,
    training_settings,
)

ROOT = Path(__file__).resolve().parents[2]
TWEETS = yaml.safe_load((ROOT / "conf/base/parameters_tweets.yml").read_text())["tweets"]


def _parse(params):
    dataset_configs(params)
    run_pairs(params)
    settings = training_settings(params)
    cv_spec(params)
    ablation_spec(params, settings.encoders)
    on_degenerate(params)


def test_shipped_parameters_parse():
    _parse(TWEETS)
    assert run_pairs(TWEETS).datasets == ("lamb_related", "lamb_awareness", "vader")
    assert training_settings(TWEETS).train.learning_rate == 0.001


@pytest.mark.parametrize(
    "key, value, message",
    [
        (
            "train.learning_rate",
            "fast",
            "parameter tweets.train.learning_rate is 'fast'; expected a number > 0",
        ),
        ("train.epochs", 0, "parameter tweets.train.epochs is 0; expected an integer >= 1"),
        ("cv.n_folds", 1, "parameter tweets.cv.n_folds is 1; expected an integer >= 2"),
        ("cv", None, "parameter tweets.cv is required but not set"),
        (
            "model.encoders",
            ["transformer"],
            "parameter tweets.model.encoders names ['transformer']; expected entries of ['bilstm', 'cnn', 'bilstm_cnn']",
        ),
        (
            "ablation.shares",
            [0.5, 2],
            "parameter tweets.ablation.shares[1] is 2; expected a number >= 0.0 and <= 1.0",
        ),
        (
            "on_degenerate_task",
            "warn",
            "parameter tweets.on_degenerate_task is 'warn'; expected one of ['error', 'drop']",
        ),
        ("run_pairs", "flu", "parameter tweets.run_pairs is 'flu'; expected a list"),
        (
            "run_pairs",
            [],
            "parameter tweets.run_pairs is an empty list; expected at least one entry",
        ),
        ("pairs.flu", "a,b", "parameter tweets.pairs.flu must name exactly two tasks, got 'a,b'"),
        (
            "tasks.flu_relevance",
            "x",
            "parameter tweets.tasks.flu_relevance must be a mapping (dataset, column, rule, ...), got 'x'",
        ),
        (
            "tasks.flu_relevance.positive_class",
            "one",
            "parameter tweets.tasks.flu_relevance.positive_class is 'one'; expected an integer",
        ),
        (
            "tasks.flu_relevance.dataset",
            "mine",
            "parameter tweets.tasks.flu_relevance.dataset is 'mine', not a dataset under tweets.datasets (configured: ['lamb_awareness', 'lamb_related', 'vader'])",
        ),
        (
            "datasets.lamb_related.hydrated",
            "twarc2",
            "parameter tweets.datasets.lamb_related.hydrated must be a mapping {format: ..., files: [...]}, got 'twarc2'",
        ),
        (
            "datasets.lamb_related.columns",
            "tweet_id",
            "parameter tweets.datasets.lamb_related.columns must list the column names in file order, got 'tweet_id'",
        ),
        (
            "datasets.lamb_related.extra_labels",
            "x",
            "parameter tweets.datasets.lamb_related.extra_labels must be a list of tables (files, columns, labels), got 'x'",
        ),
        ("datasets", None, "parameter tweets.datasets is required but not set"),
    ],
)
def test_bad_parameter_names_itself(key, value, message):
    params = copy.deepcopy(TWEETS)
    node = params
    *path, last = key.split(".")
    for part in path:
        node = node[part]
    node[last] = value
    with pytest.raises(InputError) as err:
        _parse(params)
    assert str(err.value) == message


def test_a_dataset_set_to_null_is_not_configured():
    params = copy.deepcopy(TWEETS)
    params["datasets"]["vader"] = None
    params["run_pairs"] = ["flu"]
    assert set(dataset_configs(params)) == {"lamb_related", "lamb_awareness"}
    assert run_pairs(params).datasets == ("lamb_related", "lamb_awareness")


@pytest.mark.parametrize(
    "block, key, nearest",
    [
        (None, "ablations", "ablation"),
        ("model", "unit", "units"),
        ("train", "epoch", "epochs"),
        ("cv", "nfolds", "n_folds"),
        ("ablation", "share", "shares"),
        ("text", "max_len", "max_length"),
        ("embedding", "glove", "glove_path"),
        ("significance", "alfa", "alpha"),
        ("training", "shard_stor", "shard_store"),
        ("datasets.vader", "extra_label", "extra_labels"),
        ("datasets.vader.extra_labels", "column", "columns"),
        ("tasks.flu_relevance", "positive", "positive_class"),
    ],
)
def test_a_misspelt_key_names_the_nearest_known_key(block, key, nearest):
    params = copy.deepcopy(TWEETS)
    node, where = params, "tweets"
    for part in block.split(".") if block else ():
        node, where = node[part], f"{where}.{part}"
    if isinstance(node, list):  # a list of tables: its first entry
        node, where = node[0], f"{where}[0]"
    node[key] = 1
    with pytest.raises(InputError) as err:
        _parse(params)
        text_settings(params["text"])
        embedding_settings(params["embedding"])
        significance_alpha(params["significance"])
    assert str(err.value) == (
        f"unknown key {key!r} in parameter {where}; the nearest known value is {nearest!r}"
    )


def test_the_specs_carry_the_parameter_names_the_engine_reports():
    cv = cv_spec(TWEETS)
    assert cv.n_folds_parameter == "tweets.cv.n_folds"
    assert cv.on_degenerate.parameter == "tweets.on_degenerate_task"
    assert ablation_spec(TWEETS, ("bilstm",)).shares_parameter == "tweets.ablation.shares"
    assert (
        embedding_settings(TWEETS["embedding"]).glove_path_parameter
        == "tweets.embedding.glove_path"
    )
    assert dataset_configs(TWEETS)["vader"].where == "tweets.datasets.vader"
    assert run_pairs(TWEETS).tasks["flu_relevance"].where == "tweets.tasks.flu_relevance"
