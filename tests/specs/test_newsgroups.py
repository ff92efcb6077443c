"""The ``newsgroups`` blocks parsed once (specs.newsgroups): unknown and moved keys, the curves'
training fingerprint, the gain block, the sample spec."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mtl_pipeline.params import ParameterError
from mtl_pipeline.specs import newsgroups as spec

ROOT = Path(__file__).resolve().parents[2]


def _conf(env: str = "base") -> dict:
    base = yaml.safe_load((ROOT / "conf/base/parameters_newsgroups.yml").read_text())["newsgroups"]
    if env == "base":
        return base
    over = yaml.safe_load((ROOT / f"conf/{env}/parameters_newsgroups.yml").read_text())
    merged = dict(base)
    for key, value in over["newsgroups"].items():
        merged[key] = {**(base.get(key) or {}), **value} if isinstance(value, dict) else value
    return merged


def _training(ng: dict) -> spec.NewsgroupsTraining:
    return spec.training(ng["model"], ng["train"], ng["training"])


@pytest.mark.parametrize("env", ["base", "quick", "kerinec_code", "gpu_dry_run"])
def test_every_shipped_environment_parses(env):
    ng = _conf(env)
    training = _training(ng)
    spec.gain_spec(ng["gain"], training.train)
    spec.sample_spec(ng)
    assert training.model.encoder == "mlp"


def test_a_key_of_the_old_layout_says_where_it_moved():
    ng = _conf()
    with pytest.raises(ParameterError) as err:
        spec.training(ng["model"], ng["train"], {**ng["training"], "mtl_epochs": 10})
    assert str(err.value) == (
        "parameter newsgroups.training.mtl_epochs has moved: set it as newsgroups.train.mtl_epochs"
    )
    with pytest.raises(ParameterError, match="set it as newsgroups.gain.metric"):
        spec.training_execution({"gain_metric": "test_f1"})


@pytest.mark.parametrize(
    ("block", "key", "nearest"),
    [
        ("model", "hiden_sizes", "hidden_sizes"),
        ("train", "learning_rat", "learning_rate"),
        ("training", "shard_stor", "shard_store"),
        ("gain", "metrik", "metric"),
    ],
)
def test_a_misspelt_key_names_the_nearest_known_one(block, key, nearest):
    ng = _conf()
    raw = {**ng[block], key: 1}
    with pytest.raises(ParameterError) as err:
        if block == "gain":
            spec.gain_spec(raw)
        else:
            spec.training(*(raw if b == block else ng[b] for b in ("model", "train", "training")))
    assert str(err.value) == (
        f"unknown key {key!r} in parameter newsgroups.{block}; "
        f"the nearest known value is {nearest!r}"
    )


def test_the_training_fingerprint_is_one_per_run_and_ignores_execution_and_gain():
    ng = _conf()
    training = _training(ng)
    fingerprint = training.fingerprint("features")
    elsewhere = spec.training(
        ng["model"], ng["train"], {**ng["training"], "executor": "dask", "shard_size": 8}
    )
    assert elsewhere.fingerprint("features") == fingerprint
    longer = spec.training(ng["model"], {**ng["train"], "stl_epochs": 7}, ng["training"])
    assert longer.fingerprint("features") != fingerprint
    wider = spec.training({**ng["model"], "dropout": 0.5}, ng["train"], ng["training"])
    assert wider.fingerprint("features") != fingerprint
    assert training.fingerprint("other features") != fingerprint


def test_the_old_layout_split_gives_the_same_specs():
    ng = _conf("kerinec_code")
    old = {**ng["model"], **ng["train"], **ng["training"]}
    old |= {"gain_metric": ng["gain"]["metric"], "stl_eval_epoch": ng["gain"]["stl_eval_epoch"]}
    old["mtl_eval_epoch"] = ng["gain"]["mtl_eval_epoch"]
    blocks = spec.split_training_block(old)
    assert blocks == {b: ng[b] for b in ("model", "train", "training", "gain")}
    assert _training(blocks) == _training(ng)


def test_gain_epochs_must_lie_within_the_epochs_trained():
    ng = _conf()
    train = spec.train_spec(ng["train"])
    with pytest.raises(ParameterError) as err:
        spec.gain_spec({**ng["gain"], "mtl_eval_epoch": 101}, train)
    assert str(err.value) == (
        "parameter newsgroups.gain.mtl_eval_epoch is 101, after the last trained epoch "
        "(newsgroups.train.mtl_epochs = 100)"
    )
    with pytest.raises(ParameterError, match=r"newsgroups\.gain\.metric is 'auc'; expected one"):
        spec.gain_spec({**ng["gain"], "metric": "auc"})


def test_sample_settings_are_checked_where_the_user_wrote_them():
    ng = _conf()
    assert spec.sample_spec(ng).train_size == 200
    with pytest.raises(ParameterError, match=r"^parameter newsgroups\.sampling is 'weird'"):
        spec.sample_spec({**ng, "sampling": "weird"})
    with pytest.raises(ParameterError, match=r"^parameter newsgroups\.test_per_task is 0"):
        spec.sample_spec({**ng, "test_per_task": 0})


def test_the_documents_and_the_pairs_are_read_where_the_user_wrote_them():
    ng = _conf()
    source = spec.document_source(ng)
    assert (source.documents, source.archive) == (None, ng["archive"])  # null: a download
    assert source.remove_headers_footers_quotes == ng["remove_headers_footers_quotes"]
    assert spec.document_source({**ng, "archive": "20news.tar.gz"}).archive == "20news.tar.gz"
    with pytest.raises(ParameterError, match=r"^parameter newsgroups\.archive is 3; expected a"):
        spec.document_source({**ng, "archive": 3})
    chosen = spec.pair_selection(ng)
    assert chosen.seeds == tuple(ng["seeds"]) and chosen.hierarchy == ng["hierarchy"]
    with pytest.raises(ParameterError, match=r"^parameter newsgroups\.pairs_per_problem is 0"):
        spec.pair_selection({**ng, "pairs_per_problem": 0})
    with pytest.raises(ParameterError, match=r"^parameter newsgroups\.seeds is \['a'\]"):
        spec.pair_selection({**ng, "seeds": ["a"]})


def test_a_registered_pair_rule_named_in_problems_reaches_the_task_pairs():
    import pandas as pd

    from mtl_pipeline.pipelines.newsgroups import nodes
    from mtl_pipeline.tasks.pair_rules import PAIR_RULES, pair_rule

    @pair_rule("same_top_aux")
    def same_top_aux(main_a, main_b, aux_c, aux_d) -> bool:
        """The two auxiliary newsgroups share a top level (a toy rule)."""
        return aux_c.top == aux_d.top

    try:
        ng = _conf()
        groups = [g for father in ng["hierarchy"] for g in father["newsgroups"]]
        documents = pd.DataFrame({"newsgroup": groups})
        assert spec.pair_rules({"problems": ["same_top_aux"]}) == (
            "unrelated",
            "related",
            "same_top_aux",
        )
        pairs = nodes.build_task_pairs(documents, {**ng, "problems": ["same_top_aux"]})
        assert set(pairs["problem"]) == {"same_top_aux"}
        # the paper's related pairs have the same top level for A and B, so for C and D too
        related = nodes.build_task_pairs(documents, {**ng, "problems": ["related"]})
        assert set(related["pair_id"]) <= set(pairs["pair_id"])
    finally:
        del PAIR_RULES["same_top_aux"]
    with pytest.raises(ParameterError, match=r"newsgroups\.problems.*nearest.*'related'"):
        nodes.build_task_pairs(documents, {**ng, "problems": ["relatd"]})
