"""The shard store's keys of today's models, pinned: the fingerprints below were computed with
the code of commit 51ad260 (before the model families owned their fingerprint fields), so every
record stored by then stays valid only while they hold. Never recompute them to make a change
pass; ``PYTHONPATH=src:. python -m tests.training.test_pinned_fingerprints --print`` prints what
the code gives now.

The specs mirror the configurations models were trained with: newsgroups' MLP (base and
kerinec_code, hard and soft sharing, STL and MTL epochs), each tweets sequence encoder, and a
few specs off those paths (other fields set, another dtype or input mode)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from mtl_pipeline.provenance import features_fingerprint
from mtl_pipeline.training import ModelJob, ModelSpec, TrainSpec
from mtl_pipeline.training.store import (
    model_fingerprint,
    probed_spec_fingerprint,
    spec_fingerprint,
)

from .conftest import make_features, make_task

NEWSGROUPS_BASE = {"hidden_sizes": (100, 100), "activation": "relu", "dropout": 0.0}
NEWSGROUPS_KERINEC = {
    "hidden_sizes": (100, 100),
    "activation": "sigmoid",
    "dropout": 0.5,
    "weight_init": "keras_default",
    "output_head": "sigmoid",
}
TWEETS = {"units": 25, "head_hidden": 25, "dropout": 0.25, "activation": "relu"}
TWEETS_TRAIN = {"epochs": 20, "batch_size": 32, "learning_rate": 1e-3, "schedule": "pooled"}


def _embedding() -> np.ndarray:
    return (np.arange(24, dtype=np.float32).reshape(6, 4) / 7).astype(np.float32)


def _soft(base: dict, lam: float = 1.0) -> dict:
    return {**base, "encoder": "mlp_soft", "soft_sharing_lambda": lam}


#: name -> (ModelSpec kwargs, TrainSpec kwargs, dtype, input_mode)
SPECS = {
    "newsgroups_base_stl": (NEWSGROUPS_BASE, {"epochs": 100}, "float32", "auto"),
    "newsgroups_base_mtl_8_epochs": (NEWSGROUPS_BASE, {"epochs": 8}, "float32", "auto"),
    "newsgroups_base_soft": (_soft(NEWSGROUPS_BASE), {"epochs": 100}, "float32", "auto"),
    "newsgroups_base_soft_lambda": (_soft(NEWSGROUPS_BASE, 0.25), {}, "float32", "auto"),
    # a lambda set on hard sharing has no effect and is not counted
    "newsgroups_hard_with_lambda": (
        {**NEWSGROUPS_BASE, "soft_sharing_lambda": 0.7},
        {"epochs": 100},
        "float32",
        "auto",
    ),
    "newsgroups_kerinec_stl": (NEWSGROUPS_KERINEC, {"epochs": 150}, "float32", "auto"),
    "newsgroups_kerinec_mtl": (NEWSGROUPS_KERINEC, {"epochs": 100}, "float32", "auto"),
    "newsgroups_kerinec_soft": (_soft(NEWSGROUPS_KERINEC), {"epochs": 100}, "float32", "auto"),
    "mlp_keras_init_only": ({"weight_init": "keras_default"}, {}, "float32", "auto"),
    "mlp_sigmoid_head_only": ({"output_head": "sigmoid"}, {}, "float32", "auto"),
    "mlp_other_fields": (
        {"hidden_sizes": (12, 8), "activation": "tanh", "dropout": 0.3, "head_hidden": 4},
        {"schedule": "alternating", "eval_every": 2},
        "float32",
        "auto",
    ),
    "mlp_unused_fields_set": (
        {"units": 7, "kernel_sizes": (2, 3), "train_embedding": True},
        {},
        "float32",
        "auto",
    ),
    "mlp_float64_dense": ({}, {"learning_rate": 5e-3}, "float64", "dense"),
    "mlp_default_sparse": ({}, {}, "float32", "sparse"),
    **{
        f"tweets_{encoder}": ({**TWEETS, "encoder": encoder}, TWEETS_TRAIN, "float32", "auto")
        for encoder in ("bilstm", "cnn", "bilstm_cnn")
    },
    "tweets_cnn_trainable_embedding": (
        {**TWEETS, "encoder": "cnn", "train_embedding": True, "kernel_sizes": (2, 3, 5)},
        TWEETS_TRAIN,
        "float32",
        "auto",
    ),
    "tweets_bilstm_tanh_keras": (
        {**TWEETS, "encoder": "bilstm", "activation": "tanh", "weight_init": "keras_default"},
        TWEETS_TRAIN,
        "float32",
        "auto",
    ),
}

PINNED = {
    "newsgroups_base_stl": "e574105b8013149454d8ea9b72dab27df4975e139ec2a807e4faee22412a736e",
    "newsgroups_base_mtl_8_epochs": "2e2a70c409f8efb4c20dcd7bcca64b8103cbe21501a6398fb1683774b95fbe03",
    "newsgroups_base_soft": "c53856117efcb0c752e1229ec269af5c310734131dff963ae0956a415804ff0d",
    "newsgroups_base_soft_lambda": "112a928cd9d3e26816f63fd129344a3475fca3027b4c74261bcf6046ed1ee986",
    "newsgroups_hard_with_lambda": "e574105b8013149454d8ea9b72dab27df4975e139ec2a807e4faee22412a736e",
    "newsgroups_kerinec_stl": "2a71a5802330da63e560a24222946f65e6e93edc0adfe6c29ff877f4d0f98a66",
    "newsgroups_kerinec_mtl": "6e40a764b38731df5a260a01f7a08547877d06d7ae8d1be1409ed9c041768fbc",
    "newsgroups_kerinec_soft": "9197a264132605672b0487e534475a805c54dfecbe0d020ff9d0b3872f1cd712",
    "mlp_keras_init_only": "85b58f5c618e5b78ed1784d370b518de010a1ce9bc4972d4f64cbc17a7137146",
    "mlp_sigmoid_head_only": "1f658a3ae1425a4972dde5f10c045af198b894ff5f98038df93727f2898dc833",
    "mlp_other_fields": "ca9cffc5289edda33b35b6c00d93140549ff4e5e9041bc43e78b7a4b9edc2b16",
    "mlp_unused_fields_set": "f40254f0c39b617558c59fc6fad3d357560c65f19e5c11e656b8dbd62980253e",
    "mlp_float64_dense": "d9fa84579bead5b8ffcea40aba3bcf75f0023edbc9e22791c26d5c805b7afc4b",
    "mlp_default_sparse": "bc4e1a379a05e8b7e12f878ec95b4b07ead5ddc2b6ff0800f07bc78214ecfa61",
    "tweets_bilstm": "a5b53ab9cf1d593c30fb9004c20956c654aca5ce45088db7d47c9a8781874187",
    "tweets_cnn": "227c7be3aafeaf9463fe20e9e7931616bd86c3f21705e2d517f5bec075678c4c",
    "tweets_bilstm_cnn": "67580ebd2da672ae252efffa1fa52c5dd8433fc1bfabd44f1c8234c0afeafad9",
    "tweets_cnn_trainable_embedding": "bd7130cdda1178ffc4b01046a1318325ffb1235f845e38f115f55ae1bc56b87c",
    "tweets_bilstm_tanh_keras": "d9c3f7cb66d12315a009d2eb0997449f0e3d58e916de2ff91e6b2f9fc7ef8c25",
}

#: model_fingerprint of an STL and an MTL job (draw_seed and meta set on the second) under
#: newsgroups_base_stl, and the probed spec fingerprint of newsgroups_base_mtl_8_epochs
PINNED_JOBS = {
    "stl": "6c0ef89d64e51bf8e6542f4a2891f691",
    "mtl": "a19d02cb33565895de0459adf021e3e4",
    "probed": "e2b89279b1ed2b6f28e338b3ee2faebdef30ae97aa343c0e2795ee343826c4c2",
}


def _features_fp() -> str:
    return features_fingerprint(make_features(n=60, v=12, seed=3))


def spec_fp(name: str) -> str:
    model_kw, train_kw, dtype, input_mode = SPECS[name]
    if "encoder" in model_kw and model_kw["encoder"] not in ("mlp", "mlp_soft"):
        model_kw = {**model_kw, "embedding": _embedding()}
    return spec_fingerprint(
        ModelSpec(**model_kw), TrainSpec(**train_kw), _features_fp(), dtype, input_mode
    )


def job_fps() -> dict[str, str]:
    X = make_features(n=60, v=12, seed=3)
    main, aux = make_task(X, "a", seed=1, n_train=20, n_test=10), make_task(X, "b", seed=2)
    stl = ModelJob("stl|a|0", "stl", 0, (main,))
    mtl = ModelJob("mtl|a|b|1", "mtl", 1, (main, aux), meta={"pair": "a|b"}, draw_seed=17)
    base = spec_fp("newsgroups_base_stl")
    probed = probed_spec_fingerprint(spec_fp("newsgroups_base_mtl_8_epochs"), {"lookahead": 0.1})
    return {
        "stl": model_fingerprint(stl, base),
        "mtl": model_fingerprint(mtl, base),
        "probed": probed,
    }


@pytest.mark.parametrize("name", sorted(SPECS))
def test_spec_fingerprints_are_todays(name):
    assert spec_fp(name) == PINNED[name]


def test_job_fingerprints_are_todays():
    assert job_fps() == PINNED_JOBS


NODE_PARAMS = {
    "hidden_sizes": [100, 100],
    "activation": "relu",
    "dropout": 0.0,
    "batch_size": 32,
    "learning_rate": 0.001,
    "schedule": "joint",
    "stl_epochs": 100,
    "mtl_epochs": 100,
}
KERINEC_PARAMS = {
    **NODE_PARAMS,
    "activation": "sigmoid",
    "dropout": 0.5,
    "weight_init": "keras_default",
    "output_head": "sigmoid",
    "stl_epochs": 150,
}


@pytest.mark.parametrize(
    ("params", "epochs_key", "name"),
    [
        (NODE_PARAMS, "stl_epochs", "newsgroups_base_stl"),
        ({**NODE_PARAMS, "sharing": "hard"}, "mtl_epochs", "newsgroups_base_stl"),
        ({**NODE_PARAMS, "sharing": "soft"}, "mtl_epochs", "newsgroups_base_soft"),
        (KERINEC_PARAMS, "stl_epochs", "newsgroups_kerinec_stl"),
        (KERINEC_PARAMS, "mtl_epochs", "newsgroups_kerinec_mtl"),
        ({**KERINEC_PARAMS, "sharing": "soft"}, "mtl_epochs", "newsgroups_kerinec_soft"),
    ],
)
def test_the_newsgroups_node_builds_specs_of_the_pinned_keys(params, epochs_key, name):
    from mtl_pipeline.specs import newsgroups as newsgroups_spec

    blocks = newsgroups_spec.split_training_block({"mtl_epochs": 100, **params})
    model = newsgroups_spec.model_spec(blocks["model"])
    train = newsgroups_spec.train_spec(blocks["train"]).schedule_of(epochs_key.split("_")[0])
    assert spec_fingerprint(model, train, _features_fp(), "float32", "auto") == PINNED[name]


def test_every_pinned_fingerprint_is_distinct_but_an_unused_lambda():
    assert PINNED["newsgroups_hard_with_lambda"] == PINNED["newsgroups_base_stl"]
    values = [v for k, v in PINNED.items() if k != "newsgroups_hard_with_lambda"]
    assert len(set(values)) == len(values)


if __name__ == "__main__" and sys.argv[1:] == ["--print"]:
    for case in SPECS:
        print(f'    "{case}": "{spec_fp(case)}",')
    print(job_fps())
