"""The released Kerinec model's switches: Keras-default initialisation, one sigmoid output unit
with binary cross-entropy, and models that draw independently of each other."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from mtl_pipeline.params import ParameterError
from mtl_pipeline.specs import newsgroups as newsgroups_spec
from mtl_pipeline.tasks.jobs import model_draw_seed, mtl_jobs, stl_jobs
from mtl_pipeline.tasks.samples import sample_tasks
from mtl_pipeline.training import ModelJob, ModelSpec, TaskSplit, TrainSpec, train_stacked
from mtl_pipeline.training.batching import ChunkScheduler
from mtl_pipeline.training.dropout import seed_keys
from mtl_pipeline.training.inputs import DenseInput
from mtl_pipeline.training.losses import masked_cross_entropy
from mtl_pipeline.training.network import StackedNetwork
from mtl_pipeline.training.optim import StackedAdam
from mtl_pipeline.training.store import model_fingerprint, spec_fingerprint

from .conftest import make_features, make_task

CPU = torch.device("cpu")


def _network(spec: ModelSpec, in_dim: int, n_classes, seeds=(0,), dtype=torch.float32):
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    return StackedNetwork(
        spec, len(seeds), in_dim, n_classes, gens, CPU, dtype, seed_keys(list(seeds), CPU)
    )


def _spread(param: torch.Tensor, bound: float) -> None:
    """Drawn from U(±bound): inside it, reaching close to its edge, with the uniform's std."""
    values = param.detach().double()
    assert values.abs().max() <= bound
    assert values.abs().max() > 0.95 * bound
    assert values.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)


def test_keras_default_initialisation_of_the_released_model():
    # the released sizes: 10,000 TF-IDF terms, Dense(100), Dense(100), Dense(1, init="uniform")
    spec = ModelSpec(weight_init="keras_default", output_head="sigmoid", activation="sigmoid")
    net = _network(spec, 10_000, [2, 2], seeds=(0, 1))
    _spread(net.weights[0], math.sqrt(6 / 10_100))  # glorot_uniform: ±0.0244
    _spread(net.weights[1], math.sqrt(6 / 200))  # ±0.173
    assert math.sqrt(6 / 10_100) == pytest.approx(0.0244, abs=1e-4)
    for t in range(2):
        assert tuple(net.heads.out_w[t].shape) == (2, 100, 1)  # one output unit per task
        values = net.heads.out_w[t].detach()
        assert values.abs().max() <= 0.05 and values.abs().max() > 0.045
    for bias in [*net.biases, *net.heads.out_b]:
        assert torch.count_nonzero(bias) == 0
    # each model draws from its own generator, so the two stacked models differ
    assert not torch.equal(net.weights[1][0], net.weights[1][1])


def test_torch_default_initialisation_is_unchanged():
    net = _network(ModelSpec(), 400, [2])
    _spread(net.weights[0], 1 / math.sqrt(400))
    _spread(net.weights[1], 1 / math.sqrt(100))
    assert tuple(net.heads.out_w[0].shape) == (1, 100, 2)
    assert torch.count_nonzero(net.biases[1]) == 100  # biases drawn too, U(±1/√fan_in)


def test_new_spec_fields_leave_stored_fingerprints_valid_at_their_defaults():
    task = TaskSplit("a vs b", np.arange(4), np.array([0, 1, 0, 1]), np.arange(4, 6), [1, 0])
    job = ModelJob("stl|a vs b|s3", "stl", 3, (task,), {"pair_id": None})
    # computed with the code before weight_init, output_head and draw_seed existed
    expected = {
        ModelSpec(): (
            "f2a5db6f3db200e88bedeab34461e1d68beb0c5b51e71fb6a4bee3eadaaf763b",
            "1dce1dec0d2c62949ad5621566411a3a",
        ),
        ModelSpec(activation="sigmoid", dropout=0.5): (
            "dbeb3f3ab774ef0934c0789e74bd510f6bbe10d9840d2268afbc8d7b50ca6106",
            "e9a3ae2cf34a5da71f83c88f40b14609",
        ),
    }
    for spec, (spec_fp, model_fp) in expected.items():
        got = spec_fingerprint(spec, TrainSpec(), "feat", "float32", "auto")
        assert (got, model_fingerprint(job, got)) == (spec_fp, model_fp)
    # ... and a switch that changes the model changes the fingerprint
    base = spec_fingerprint(ModelSpec(), TrainSpec(), "feat", "float32", "auto")
    for changed in (ModelSpec(weight_init="keras_default"), ModelSpec(output_head="sigmoid")):
        assert spec_fingerprint(changed, TrainSpec(), "feat", "float32", "auto") != base
    drawn = ModelJob(job.model_id, "stl", 3, (task,), {"pair_id": None}, draw_seed=7)
    assert model_fingerprint(drawn, base) != model_fingerprint(job, base)


def _linear(w: torch.Tensor, b: torch.Tensor) -> nn.Linear:
    lin = nn.Linear(w.shape[0], w.shape[1]).double()
    with torch.no_grad():
        lin.weight.copy_(w.T)
        lin.bias.copy_(b)
    return lin


def test_sigmoid_head_equals_a_reference_binary_cross_entropy_model():
    """M = 1 stacked MTL model with the sigmoid head vs the released architecture in plain
    PyTorch: Linear → sigmoid → Linear → sigmoid → Linear(1) → sigmoid per task, the sum of
    the tasks' nn.BCELoss, torch.optim.Adam."""
    X = make_features(n=80, v=30).toarray()
    spec = ModelSpec(
        hidden_sizes=(12, 12),
        activation="sigmoid",
        weight_init="keras_default",
        output_head="sigmoid",
    )
    net = _network(spec, 30, [2, 2], seeds=(4,), dtype=torch.float64)
    opt = StackedAdam(net.param_groups(), 1, 3, lr=1e-2, impl="fused")
    inp = DenseInput(X, CPU, torch.float64)
    trunk = nn.Sequential(
        _linear(net.weights[0][0], net.biases[0][0]), nn.Sigmoid(),
        _linear(net.weights[1][0], net.biases[1][0]), nn.Sigmoid(),
    )  # fmt: skip
    heads = [
        nn.Sequential(_linear(net.heads.out_w[t][0], net.heads.out_b[t][0]), nn.Sigmoid())
        for t in range(2)
    ]
    ref_opt = torch.optim.Adam(
        [*trunk.parameters(), *heads[0].parameters(), *heads[1].parameters()], lr=1e-2
    )
    Xd = torch.as_tensor(X)
    rng = np.random.default_rng(0)
    B = 8
    for step in range(8):
        rows = rng.integers(0, 80, 2 * B)
        y = [rng.integers(0, 2, B), rng.integers(0, 2, B)]
        lab = torch.full((1, 2 * B, 2), -1, dtype=torch.int64)
        lab[0, :B, 0] = torch.as_tensor(y[0])
        lab[0, B:, 1] = torch.as_tensor(y[1])
        logits = net(inp.gather(torch.as_tensor(rows).view(1, -1)), epoch=0, step=step)
        loss = sum(masked_cross_entropy(logits[t], lab[..., t])[0].sum() for t in range(2))
        opt.zero_grad(skip=[net.weights[0]])
        loss.backward()
        net.finish_backward()
        opt.step()

        ref_opt.zero_grad()
        probs = [heads[t](trunk(Xd[rows[t * B : (t + 1) * B]])).squeeze(1) for t in range(2)]
        ref_loss = sum(
            nn.functional.binary_cross_entropy(probs[t], torch.as_tensor(y[t], dtype=torch.float64))
            for t in range(2)
        )
        ref_loss.backward()
        ref_opt.step()
        assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-10)
        # class 1 is predicted exactly where the sigmoid output exceeds 0.5
        for t in range(2):
            predicted = logits[t][0, t * B : (t + 1) * B].argmax(dim=1)
            assert torch.equal(predicted, (probs[t] > 0.5).long())

    def close(a, b):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-11)

    close(net.weights[0][0], trunk[0].weight.T)
    close(net.weights[1][0], trunk[2].weight.T)
    for t in range(2):
        close(net.heads.out_w[t][0], heads[t][0].weight.T)
        close(net.heads.out_b[t][0], heads[t][0].bias)


def test_sigmoid_head_trains_and_refuses_more_than_two_classes(features):
    spec = ModelSpec(hidden_sizes=(16,), weight_init="keras_default", output_head="sigmoid")
    job = ModelJob("stl|a|s0", "stl", 0, (make_task(features, "a", 0, n_train=150),))
    result = train_stacked(
        features, [job], spec, TrainSpec(epochs=40, learning_rate=1e-2), "cpu", progress=False
    )
    assert result.curves["test_accuracy"].iloc[-1] > 0.75
    with pytest.raises(ValueError, match="output_head 'sigmoid' serves two-class tasks only"):
        _network(spec, features.shape[1], [3])
    with pytest.raises(ValueError, match="ModelSpec.weight_init must be one of"):
        ModelSpec(weight_init="keras")


def _documents() -> pd.DataFrame:
    rows = []
    for group in ("a", "b", "c", "d"):
        rows += [(f"train/{group}/{i}", "train", group) for i in range(12)]
        rows += [(f"test/{group}/{i}", "test", group) for i in range(6)]
    return pd.DataFrame(rows, columns=["doc_id", "split", "newsgroup"])


PAIRS = pd.DataFrame(
    {
        "pair_id": ["p0", "p1"],
        "problem": ["related", "related"],
        "main_task": ["a vs b", "a vs b"],
        "aux_task": ["c vs d", "a vs c"],
        "seeds": [[0], [0]],
    }
)


def _initial_trunk(job: ModelJob) -> torch.Tensor:
    net = _network(ModelSpec(hidden_sizes=(8,)), 40, [2] * len(job.tasks), (job.random_seed,))
    return torch.cat([net.weights[0].flatten(), net.heads.out_w[0].flatten()])


def _first_epoch_rows_of_main_task(job: ModelJob) -> np.ndarray:
    plan = ChunkScheduler([job], "joint", 4, pad_row=-1).next_epoch()
    return plan.rows[:, 0, :4].ravel()  # task slot 0's rows of every step


def test_per_seed_draws_share_the_start_and_per_model_draws_are_independent():
    samples = sample_tasks(_documents(), [(t, 0) for t in ("a vs b", "c vs d", "a vs c")], 6)
    # per_seed (the default): STL(A) and both MTL(A, ·) start from one trunk and main head
    # and see the same first-epoch order of A
    stl = {j.tasks[0].name: j for j in stl_jobs(PAIRS, samples)}["a vs b"]
    mtl = mtl_jobs(PAIRS, samples)
    assert stl.draw_seed is None and all(j.draw_seed is None for j in mtl)
    for job in mtl:
        assert torch.equal(_initial_trunk(job), _initial_trunk(stl))
        assert np.array_equal(
            _first_epoch_rows_of_main_task(job), _first_epoch_rows_of_main_task(stl)
        )
    # per_model: every model its own stream, the same on every rerun
    stl_own = {j.tasks[0].name: j for j in stl_jobs(PAIRS, samples, "per_model")}["a vs b"]
    mtl_own = mtl_jobs(PAIRS, samples, random_draws="per_model")
    models = [stl_own, *mtl_own]
    assert len({j.random_seed for j in models}) == 3
    assert stl_own.seed == 0 and all(j.seed == 0 for j in mtl_own)  # still run (seed) 0
    assert stl_own.random_seed == model_draw_seed(0, "stl|a vs b|s0")
    starts = [_initial_trunk(j) for j in models]
    orders = [_first_epoch_rows_of_main_task(j) for j in models]
    for i in range(3):
        for k in range(i + 1, 3):
            assert not torch.equal(starts[i], starts[k])
            assert not np.array_equal(orders[i], orders[k])
    # independent draws train to other curves; the same call twice gives the same ones
    X = make_features(n=200, v=40)
    rows = np.concatenate([j.tasks[0].train_rows for j in models])
    assert rows.max() < 200
    spec, train = ModelSpec(hidden_sizes=(8,), dropout=0.5), TrainSpec(epochs=2)

    def train_loss(job: ModelJob) -> np.ndarray:
        result = train_stacked(X, [job], spec, train, "cpu", progress=False)
        return result.curves["train_loss"].to_numpy()

    own = train_loss(stl_own)
    assert not np.allclose(train_loss(stl), own)
    np.testing.assert_array_equal(train_loss(stl_own), own)


def _blocks(flat: dict) -> dict:
    """The flat settings as today's blocks (both kinds' epochs given, as conf/base does)."""
    blocks = newsgroups_spec.split_training_block(flat)
    blocks["train"] = {"stl_epochs": 3, "mtl_epochs": 3, **blocks["train"]}
    return blocks


def _model_and_schedule(flat: dict, epochs_key: str):
    blocks = _blocks(flat)
    kind = epochs_key.removesuffix("_epochs")
    model = newsgroups_spec.model_spec(blocks["model"])
    return model, newsgroups_spec.train_spec(blocks["train"]).schedule_of(kind)


def _random_draws(flat: dict) -> str:
    return newsgroups_spec.train_spec(_blocks(flat)["train"]).random_draws


def test_switch_parameters_are_read_and_checked_as_written():
    base = {
        "hidden_sizes": [100, 100],
        "activation": "sigmoid",
        "dropout": 0.5,
        "stl_epochs": 3,
        "batch_size": 32,
        "learning_rate": 0.001,
        "schedule": "joint",
    }
    model, _ = _model_and_schedule(base, "stl_epochs")
    assert (model.weight_init, model.output_head) == ("torch_default", "softmax")
    assert _random_draws(base) == "per_seed"
    released = {**base, "weight_init": "keras_default", "output_head": "sigmoid"}
    model, _ = _model_and_schedule(released, "stl_epochs")
    assert (model.weight_init, model.output_head) == ("keras_default", "sigmoid")
    assert _random_draws({**base, "random_draws": "per_model"}) == "per_model"
    for key, value in (("weight_init", "keras"), ("output_head", "logistic")):
        with pytest.raises(ParameterError, match=f"parameter newsgroups.model.{key} is"):
            _model_and_schedule({**base, key: value}, "stl_epochs")
    with pytest.raises(ParameterError, match="newsgroups.train.random_draws"):
        _random_draws({**base, "random_draws": "independent"})
