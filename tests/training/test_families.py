"""The model-family registry: a family defined here, in the test file alone, trains through the
real stacked trainer; names, sharing modes and options fail with messages that say what is
known; the former name ``mlp_soft`` still reads as mlp with soft sharing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mtl_pipeline.training import ModelJob, ModelSpec, TrainSpec, families, train_stacked
from mtl_pipeline.training.families import FEATURES, TOKENS, Family, Trunk
from mtl_pipeline.training.inputs import SparseBatch
from mtl_pipeline.training.store import spec_fingerprint

from .conftest import make_task

TRAIN = TrainSpec(epochs=6, batch_size=16, learning_rate=0.02)


class OneDenseTrunk(Trunk):
    """One dense layer, ``width`` units, autograd all the way (no hooks of the base overridden)."""

    def __init__(self, n_models, in_dim, width, generators, device, dtype):
        super().__init__()
        weight = torch.stack(
            [torch.randn(in_dim, width, generator=g, dtype=dtype) / in_dim**0.5 for g in generators]
        )
        self.weight = nn.Parameter(weight.to(device))
        self.bias = nn.Parameter(torch.zeros(n_models, width, device=device, dtype=dtype))
        self.out_dim = width

    def forward(self, x, dropout, train, h0=None):
        M, V, H = self.weight.shape
        if isinstance(x, SparseBatch):
            weight = self.weight.reshape(M * V, H)  # the bags' columns count from m·V
            flat = F.embedding_bag(x.cols, weight, x.offsets, mode="sum", per_sample_weights=x.vals)
            h = flat.view(M, x.shape[1], H)
        else:
            h = torch.bmm(x, self.weight)
        h = torch.tanh(h + self.bias.unsqueeze(1))
        return h if dropout is None else dropout(h, 0)


class ToyDense(Family):
    name = "toy_dense"
    input_kind = FEATURES
    options = {"width": 4}

    def activation_width(self, spec, in_dim):
        return spec.option("width")

    def build(self, spec, n_models, in_dim, n_tasks, generators, device, dtype, embedding):
        return OneDenseTrunk(n_models, in_dim, spec.option("width"), generators, device, dtype)


@pytest.fixture
def toy_family():
    families.register(ToyDense)
    try:
        yield ToyDense
    finally:
        families.unregister("toy_dense")


def _jobs(features) -> list[ModelJob]:
    main = make_task(features, "main", seed=0)
    aux = make_task(features, "aux", seed=1, cols=(5, 6, 7))
    return [
        ModelJob("stl", "stl", 0, (main,)),
        *(ModelJob(f"mtl{s}", "mtl", s, (main, aux)) for s in (1, 2)),
    ]


@pytest.mark.parametrize("input_mode", ["sparse", "dense"])
def test_a_family_defined_in_a_test_trains_through_the_stacked_trainer(
    features, toy_family, input_mode
):
    model = ModelSpec(encoder="toy_dense", options={"width": 3})
    result = train_stacked(
        features, _jobs(features), model, TRAIN, device="cpu", progress=False, input_mode=input_mode
    )
    curves = result.curves
    assert set(curves["model_id"]) == {"stl", "mtl1", "mtl2"}
    assert np.isfinite(curves["test_f1"]).all()
    for _, model_curves in curves.groupby("model_id"):
        assert model_curves["train_loss"].iloc[-1] < model_curves["train_loss"].iloc[0]
    assert set(result.predictions["pred"]) <= {0, 1}
    # stacked == alone: a model's result does not depend on the others of its chunk
    alone = train_stacked(
        features, _jobs(features)[2:], model, TRAIN, device="cpu", progress=False,
        input_mode=input_mode,
    )  # fmt: skip
    np.testing.assert_allclose(
        curves.loc[curves["model_id"] == "mtl2", "test_loss"].to_numpy(),
        alone.curves["test_loss"].to_numpy(),
        rtol=1e-5,
    )


def test_a_family_counts_its_own_options_and_fields_only(toy_family):
    def fp(**kw):
        return spec_fingerprint(ModelSpec(encoder="toy_dense", **kw), TRAIN, "f", "float32", "auto")

    assert fp() == fp(options={"width": 4})  # the default, set or not
    assert fp(options={"width": 5}) != fp()
    assert fp(units=99, kernel_sizes=(7,)) == fp()  # fields it does not declare: not counted
    assert fp(head_hidden=3) != fp()  # the heads' fields count for every family
    assert ModelSpec(encoder="toy_dense").option("width") == 4


def test_unknown_families_name_the_known_and_the_nearest():
    with pytest.raises(
        ValueError, match=r"ModelSpec\.encoder.*'mlpp'.*nearest known value is 'mlp'"
    ):
        ModelSpec(encoder="mlpp")
    with pytest.raises(ValueError, match=r"'bilstm', 'cnn', 'bilstm_cnn'.*nearest.*'cnn'"):
        families.get("cnnn", "encoder", input_kind=TOKENS)
    with pytest.raises(ValueError, match="'transformer'"):
        families.get("transformer")


def test_a_name_is_registered_once(toy_family):
    with pytest.raises(ValueError, match="'toy_dense' is registered already"):
        families.register(ToyDense)
    assert "toy_dense" in families.names(FEATURES) and "toy_dense" not in families.names(TOKENS)


def test_sharing_is_an_axis_each_family_declares():
    assert ModelSpec(sharing="soft").sharing == "soft"
    with pytest.raises(
        ValueError, match=r"ModelSpec\.sharing='soft': family 'cnn' builds \['hard'\]"
    ):
        ModelSpec(encoder="cnn", sharing="soft")
    with pytest.raises(ValueError, match=r"ModelSpec\.sharing must be one of \('hard', 'soft'\)"):
        ModelSpec(sharing="medium")


def test_options_a_family_does_not_have_are_refused(toy_family):
    with pytest.raises(ValueError, match=r"family 'mlp' has no option 'width'; it has none"):
        ModelSpec(options={"width": 3})
    with pytest.raises(
        ValueError, match=r"'toy_dense' has no option 'depth'; its options: \['width'\]"
    ):
        ModelSpec(encoder="toy_dense", options={"depth": 2})


def test_mlp_soft_reads_as_mlp_with_soft_sharing_and_keeps_its_fingerprint():
    with pytest.warns(DeprecationWarning, match="encoder='mlp', sharing='soft'"):
        old = ModelSpec(encoder="mlp_soft", soft_sharing_lambda=0.5)
    new = ModelSpec(encoder="mlp", sharing="soft", soft_sharing_lambda=0.5)
    assert old == new and old.encoder == "mlp"
    assert spec_fingerprint(old, TRAIN, "f", "float32", "auto") == spec_fingerprint(
        new, TRAIN, "f", "float32", "auto"
    )
    # replace keeps the axis: a changed lambda stays soft
    assert dataclasses.replace(new, soft_sharing_lambda=2.0).sharing == "soft"
