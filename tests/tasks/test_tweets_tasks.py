"""Tweet task rules, pair definitions and pair examples (missing-label and fully-labelled)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mtl_pipeline.data.tweets import load_tweet_dataset as read_tweet_dataset
from mtl_pipeline.params import DegenerateTaskError, OnDegenerate
from mtl_pipeline.specs.tweets import (
    dataset_config,
    load_pairs,
    load_tasks,
    selected_pairs,
    tweet_task,
)
from mtl_pipeline.tasks.tweets import (
    TaskConfigError,
    TweetPair,
    build_pair_examples,
    stacked_pair_examples,
)


def load_tweet_dataset(raw, data_dir, name):
    """Dataset ``name`` configured by ``raw`` (a ``tweets.datasets`` entry), parsed as the
    node parses it."""
    return read_tweet_dataset(dataset_config(name, raw), data_dir)


PARAMS = Path(__file__).resolve().parents[2] / "conf" / "base" / "parameters_tweets.yml"


def _vader():
    return pd.DataFrame(
        {
            "tweet_id": ["1", "2", "3", "4"],
            "text": list("abcd"),
            "mean": [2.5, -0.5, 0.0, -3.0],
            "sd": [0.1, 0.9, 0.5, 0.2],
        }
    )


def test_threshold_rules():
    t = _vader()
    polarity = tweet_task(
        "p", {"dataset": "v", "column": "mean", "rule": "threshold", "op": ">", "value": 0}
    )
    intensity = tweet_task(
        "i",
        {
            "dataset": "v",
            "column": "mean",
            "rule": "threshold",
            "transform": "abs",
            "op": ">=",
            "value": 2,
        },
    )
    disagreement = tweet_task(
        "d", {"dataset": "v", "column": "sd", "rule": "threshold", "value": "median"}
    )
    assert polarity.labels(t).tolist() == [1, 0, 0, 0]
    assert intensity.labels(t).tolist() == [1, 0, 0, 1]
    assert disagreement.labels(t).tolist() == [0, 1, 1, 0]  # median 0.35
    assert polarity.labels(t).dtype == np.int64


def test_identity_rule_orders_classes_and_rejects_unknown_values():
    task = tweet_task(
        "inf",
        {
            "dataset": "a",
            "column": "y",
            "rule": "identity",
            "classes": ["1", "0"],
            "class_names": ["aw", "inf"],
        },
    )
    t = pd.DataFrame({"y": ["0", "1", "0"]})
    assert task.labels(t).tolist() == [1, 0, 1]
    with pytest.raises(TaskConfigError, match=r"holds \['7'\]"):
        task.labels(pd.DataFrame({"y": ["7"]}))
    with pytest.raises(TaskConfigError, match="has no column 'z'"):
        tweet_task(
            "x", {"dataset": "a", "column": "z", "rule": "identity", "classes": [0, 1]}
        ).labels(t)


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"column": "y", "rule": "identity"}, r"tweets\.tasks\.t\.dataset is required"),
        ({"dataset": "a", "column": "y", "rule": "magic"}, "rule is 'magic'"),
        ({"dataset": "a", "column": "y", "rule": "threshold", "op": "=="}, "op is '=='"),
        (
            {
                "dataset": "a",
                "column": "y",
                "rule": "identity",
                "classes": [0, 1],
                "positive_class": 2,
            },
            "positive_class 2",
        ),
    ],
)
def test_bad_task_definitions(raw, message):
    with pytest.raises(TaskConfigError, match=message):
        tweet_task("t", raw)


def test_pairs_must_name_two_defined_tasks():
    tasks = {"a": None, "b": None}
    assert load_pairs({"pairs": {"ab": ["a", "b"]}}, tasks) == {"ab": TweetPair("ab", "a", "b")}
    with pytest.raises(TaskConfigError, match="task 'c' is not defined"):
        load_pairs({"pairs": {"ac": ["a", "c"]}}, tasks)
    with pytest.raises(TaskConfigError, match="exactly two"):
        load_pairs({"pairs": {"x": ["a"]}}, tasks)


def test_pair_examples_union_with_missing_labels():
    a = pd.DataFrame({"tweet_id": ["1", "2", "3"], "text": ["x", "y", "z"], "y": ["0", "1", "1"]})
    b = pd.DataFrame({"tweet_id": ["3", "4"], "text": ["z", "w"], "y": ["1", "0"]})
    tasks = {
        n: tweet_task(n, {"dataset": n, "column": "y", "rule": "identity", "classes": ["0", "1"]})
        for n in ("a", "b")
    }
    ex = build_pair_examples(TweetPair("ab", "a", "b"), tasks, {"a": a, "b": b})
    assert ex["tweet_id"].tolist() == ["1", "2", "3", "4"]
    assert ex["main_label"].tolist() == [0, 1, 1, -1]
    assert ex["aux_label"].tolist() == [-1, -1, 1, 0]
    assert ex["text"].tolist() == ["x", "y", "z", "w"]


def test_shipped_configurations_on_real_data(tweets_dir):
    params = yaml.safe_load(PARAMS.read_text())["tweets"]
    tables = {n: load_tweet_dataset(c, tweets_dir, n)[0] for n, c in params["datasets"].items()}
    tasks = load_tasks(params)
    pairs = {p.name: p for p in selected_pairs(params)}
    flu = build_pair_examples(pairs["flu"], tasks, tables)
    only_main = (flu.main_label >= 0) & (flu.aux_label < 0)
    only_aux = (flu.main_label < 0) & (flu.aux_label >= 0)
    assert only_main.any() and only_aux.any()  # the missing-label case
    assert (flu.main_label >= 0).sum() == 4137 and (flu.aux_label >= 0).sum() == 2584
    assert flu["tweet_id"].is_unique
    vader = build_pair_examples(pairs["vader"], tasks, tables)
    assert len(vader) == 4200 and (vader[["main_label", "aux_label"]] >= 0).all().all()
    # infection (raw label 0) is class 1, the positive class
    aw = tables["lamb_awareness"]
    assert (tasks["flu_infection"].labels(aw) == (aw["awareness"] == "0")).all()


def test_stacked_examples_stop_or_drop_a_pair_with_a_one_class_task(caplog):
    a = pd.DataFrame({"tweet_id": ["1", "2"], "text": ["x", "y"], "y": ["0", "1"]})
    b = pd.DataFrame({"tweet_id": ["1", "2"], "text": ["x", "y"], "y": ["1", "1"]})  # one class
    tasks = {
        n: tweet_task(n, {"dataset": n, "column": "y", "rule": "identity", "classes": ["0", "1"]})
        for n in ("a", "b", "c")
    }
    pairs = [TweetPair("ac", "a", "c"), TweetPair("ab", "a", "b")]
    tables = {"a": a, "b": b, "c": a}
    switch = OnDegenerate("error", "tweets.on_degenerate_task")
    with pytest.raises(DegenerateTaskError, match=r"^task 'b': the labelled data of pair ab"):
        stacked_pair_examples(pairs, tasks, tables, switch)
    dropped = OnDegenerate("drop", "tweets.on_degenerate_task")
    kept = stacked_pair_examples(pairs, tasks, tables, dropped, "tweets.run_pairs")
    assert kept["pair"].unique().tolist() == ["ac"] and len(kept) == 2
    assert "Dropped (tweets.on_degenerate_task is 'drop'): task 'b'" in caplog.text
    with pytest.raises(DegenerateTaskError, match="every pair of tweets.run_pairs was dropped"):
        stacked_pair_examples(pairs[1:], tasks, tables, dropped, "tweets.run_pairs")
