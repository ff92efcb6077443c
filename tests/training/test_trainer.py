import logging

import numpy as np
import pandas as pd
import pytest
import torch

from mtl_pipeline.training import (
    ModelJob,
    ModelSpec,
    TaskSplit,
    TrainSpec,
    resolve_device,
    train_stacked,
)
from mtl_pipeline.training import trainer as trainer_mod

from .conftest import make_task

F64 = {"dtype": torch.float64, "progress": False}


def _jobs(X):
    a = make_task(X, "a", 1, n_train=60)
    b = make_task(X, "b", 2, n_train=25, cols=(3, 4))  # smaller aux task: padded/cycled steps
    c = make_task(X, "c", 3, n_train=90, cols=(5, 6))
    return [
        ModelJob("mtl|a|b|s0", "mtl", 0, (a, b), {"pair_id": "ab"}),
        ModelJob("mtl|a|c|s1", "mtl", 1, (a, c), {"pair_id": "ac"}),
        ModelJob("mtl|b|c|s2", "mtl", 2, (b, c), {"pair_id": "bc"}),
        ModelJob("mtl|c|a|s3", "mtl", 3, (c, a), {"pair_id": "ca"}),
    ]


def _assert_same(r1, r2, exact=False):
    cols = [
        "train_loss",
        "main_train_loss",
        "test_loss",
        "test_accuracy",
        "test_f1",
        "aux_test_loss",
    ]
    c1 = r1.curves.set_index(["model_id", "epoch"]).sort_index()
    c2 = r2.curves.set_index(["model_id", "epoch"]).sort_index()
    if exact:
        pd.testing.assert_frame_equal(c1, c2)
    else:
        np.testing.assert_allclose(
            c1[cols].to_numpy(float), c2[cols].to_numpy(float), rtol=1e-9, atol=1e-12
        )
    p1 = r1.predictions.sort_values(["model_id", "task", "row"]).reset_index(drop=True)
    p2 = r2.predictions.sort_values(["model_id", "task", "row"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(p1, p2)


@pytest.mark.parametrize("schedule", ["joint", "alternating", "proportional", "pooled"])
def test_stacked_equals_alone(features, schedule):
    jobs = _jobs(features)
    spec = ModelSpec(hidden_sizes=(10, 6), dropout=0.3, head_hidden=4, activation="sigmoid")
    tr = TrainSpec(epochs=3, batch_size=16, learning_rate=5e-3, schedule=schedule)
    stacked = train_stacked(features, jobs, spec, tr, device="cpu", **F64)
    alone = [train_stacked(features, [j], spec, tr, device="cpu", **F64) for j in jobs]
    merged = type(stacked)(
        curves=pd.concat([r.curves for r in alone], ignore_index=True),
        predictions=pd.concat([r.predictions for r in alone], ignore_index=True),
        device="cpu", seconds=0.0, n_models=4,
    )  # fmt: skip
    _assert_same(stacked, merged)


def test_curves_and_predictions_shape(features):
    jobs = _jobs(features)[:2] + [ModelJob("stl|a|s0", "stl", 0, (make_task(features, "a", 1),))]
    res = train_stacked(
        features,
        jobs,
        ModelSpec(hidden_sizes=(8,)),
        TrainSpec(epochs=4),
        device="cpu",
        progress=False,
    )
    c = res.curves
    expected = ["model_id", "kind", "seed", "task", "epoch", "train_loss", "main_train_loss", "test_loss",
                "test_accuracy", "test_f1", "test_macro_f1", "aux_test_loss", "aux_test_accuracy",
                "aux_test_f1", "pair_id"]  # fmt: skip
    assert list(c.columns) == expected
    assert (
        len(c) == 3 * 4
        and c.groupby("model_id")["epoch"].apply(list).map(lambda e: e == [1, 2, 3, 4]).all()
    )
    assert (
        c[
            [
                k
                for k in expected
                if k not in ("aux_test_loss", "aux_test_accuracy", "aux_test_f1", "pair_id")
            ]
        ]
        .notna()
        .all()
        .all()
    )
    stl = c[c.kind == "stl"]
    assert stl.aux_test_f1.isna().all() and stl.pair_id.isna().all()
    assert c[c.kind == "mtl"].aux_test_f1.notna().all()
    # train_loss = main + aux for MTL, = main for STL
    assert np.allclose(stl.train_loss, stl.main_train_loss)
    assert (c[c.kind == "mtl"].train_loss > c[c.kind == "mtl"].main_train_loss).all()
    p = res.predictions
    assert list(p.columns) == ["model_id", "task", "row", "label", "pred"]
    assert len(p) == 2 * (50 + 50) + 50
    # final-epoch test metrics agree with the predictions
    last = c[(c.epoch == 4)].set_index("model_id")
    for mid, grp in p.groupby("model_id"):
        main = grp[grp.task == jobs[[j.model_id for j in jobs].index(mid)].tasks[0].name]
        assert last.loc[mid, "test_accuracy"] == pytest.approx((main.label == main.pred).mean())
    assert res.n_models == 3 and res.device == "cpu"


def test_same_seed_same_curves(features):
    jobs = _jobs(features)[:2]
    spec, tr = (
        ModelSpec(hidden_sizes=(8, 8), dropout=0.5, activation="sigmoid"),
        TrainSpec(epochs=3, batch_size=8),
    )
    r1 = train_stacked(features, jobs, spec, tr, device="cpu", progress=False)
    r2 = train_stacked(features, jobs, spec, tr, device="cpu", progress=False)
    _assert_same(r1, r2, exact=True)
    other = [ModelJob(j.model_id, j.kind, j.seed + 10, j.tasks, j.meta) for j in jobs]
    r3 = train_stacked(features, other, spec, tr, device="cpu", progress=False)
    assert not np.allclose(r1.curves.test_loss, r3.curves.test_loss)


def test_separable_task_reaches_f1_one():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6))
    y = (X[:, 0] > 0).astype(np.int64)
    X[:, 0] += np.where(y == 1, 2.0, -2.0)  # wide margin
    t = TaskSplit("sep", np.arange(120), y[:120], np.arange(120, 200), y[120:200])
    res = train_stacked(X, [ModelJob("stl|sep|s0", "stl", 0, (t,))], ModelSpec(hidden_sizes=(16,)),
                        TrainSpec(epochs=30, batch_size=16, learning_rate=1e-2), device="cpu", progress=False)  # fmt: skip
    assert res.curves.test_f1.iloc[-1] == 1.0 and res.curves.test_macro_f1.iloc[-1] == 1.0


def test_dense_and_sparse_inputs_agree(features):
    jobs = _jobs(features)[:2]
    spec, tr = ModelSpec(hidden_sizes=(8,)), TrainSpec(epochs=2, batch_size=16)
    r_sparse = train_stacked(features, jobs, spec, tr, device="cpu", input_mode="sparse", **F64)
    r_dense = train_stacked(features.toarray(), jobs, spec, tr, device="cpu", **F64)
    _assert_same(r_sparse, r_dense)


def test_simulated_oom_halves_chunk_with_identical_results(features, monkeypatch, caplog):
    jobs = _jobs(features)
    spec, tr = ModelSpec(hidden_sizes=(8,)), TrainSpec(epochs=2, batch_size=16)
    ref = train_stacked(features, jobs, spec, tr, device="cpu", chunk_size=1, **F64)
    sizes = []

    def fake_oom(n_models, stage):
        sizes.append((n_models, stage))
        if n_models > 1 and stage == "step":  # fails mid-chunk, after a first update
            raise torch.cuda.OutOfMemoryError("simulated")

    monkeypatch.setattr(trainer_mod, "_oom_hook", fake_oom)
    with caplog.at_level(logging.DEBUG, logger="mtl_pipeline.training.trainer"):
        res = train_stacked(features, jobs, spec, tr, device="cpu", chunk_size=4, **F64)
    assert (4, "step") in sizes and (2, "step") in sizes and sizes.count((1, "step")) == 4
    assert "retrying as 2 + 2" in caplog.text
    assert "train_stacked: 4 models, 2 epochs, device cpu" in caplog.text
    _assert_same(ref, res)


def test_automatic_chunking_from_memory_budget(features):
    jobs = _jobs(features)
    spec, tr = ModelSpec(hidden_sizes=(8,)), TrainSpec(epochs=2, batch_size=16)
    big = train_stacked(features, jobs, spec, tr, device="cpu", **F64)
    tiny = train_stacked(features, jobs, spec, tr, device="cpu", memory_budget_bytes=1, **F64)
    _assert_same(big, tiny)


def test_errors_name_the_problem(features):
    t = TaskSplit("t", np.array([0, 10_000]), np.array([0, 1]), np.array([1]), np.array([0]))
    with pytest.raises(ValueError, match="'m'.*'t'.*train_rows contains row 10000"):
        train_stacked(
            features,
            [ModelJob("m", "stl", 0, (t,))],
            ModelSpec(),
            TrainSpec(epochs=1),
            device="cpu",
        )
    with pytest.raises(TypeError, match="token-id"):
        train_stacked(features, [], ModelSpec(encoder="cnn"), TrainSpec(), device="cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("input_mode", ["sparse", "dense"])
def test_gpu_stacked_equals_alone_and_matches_cpu(features, input_mode):
    jobs = _jobs(features)
    spec = ModelSpec(hidden_sizes=(10, 6), dropout=0.3, activation="sigmoid")
    tr = TrainSpec(epochs=3, batch_size=16, learning_rate=5e-3)
    kw = {"dtype": torch.float64, "progress": False, "input_mode": input_mode}
    stacked = train_stacked(features, jobs, spec, tr, device="cuda", **kw)
    alone = [train_stacked(features, [j], spec, tr, device="cuda", **kw) for j in jobs]
    for j, r in zip(jobs, alone, strict=True):
        a = stacked.curves[stacked.curves.model_id == j.model_id].test_loss.to_numpy()
        np.testing.assert_allclose(a, r.curves.test_loss.to_numpy(), rtol=1e-8)
    assert stacked.device.startswith("cuda")
    # Same seeds, same hashed dropout masks: the GPU run is the CPU run up to summation order.
    on_cpu = train_stacked(features, jobs, spec, tr, device="cpu", **kw)
    assert on_cpu.device == "cpu"
    columns = ["train_loss", "test_loss", "test_f1"]
    np.testing.assert_allclose(
        stacked.curves[columns].to_numpy(float), on_cpu.curves[columns].to_numpy(float), rtol=1e-7
    )


@pytest.mark.gpu
@gpu
def test_gpu_real_oom_halves_chunk(features, monkeypatch):
    """Shrinks the allowed CUDA memory so a big chunk really fails, then halves."""
    jobs = _jobs(features) * 1
    spec, tr = ModelSpec(hidden_sizes=(8,)), TrainSpec(epochs=1, batch_size=16)
    ref = train_stacked(features, jobs, spec, tr, device="cuda", chunk_size=1, progress=False)
    calls = []
    real_run = trainer_mod._run_chunk

    def run(jobs_, *a, **k):
        calls.append(len(jobs_))
        if len(jobs_) > 1:
            torch.empty(1 << 50, device="cuda")  # raises a genuine torch.cuda.OutOfMemoryError
        return real_run(jobs_, *a, **k)

    monkeypatch.setattr(trainer_mod, "_run_chunk", run)
    res = train_stacked(features, jobs, spec, tr, device="cuda", chunk_size=4, progress=False)
    assert calls[:3] == [4, 2, 1]
    np.testing.assert_allclose(ref.curves.test_loss, res.curves.test_loss, rtol=1e-5)


def _token_problem(encoder):
    """Token sequences (0 = padding), two "contains token k" tasks, an STL and two MTL jobs.

    Dropout 0.25 as in Joshi et al., the pooled (masked) schedule.
    """
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 30, size=(120, 7))
    tokens[:, 5:][rng.random((120, 2)) < 0.5] = 0
    y = (tokens == 5).any(axis=1).astype(np.int64)
    z = (tokens == 7).any(axis=1).astype(np.int64)
    main = TaskSplit("has5", np.arange(0, 60), y[:60], np.arange(60, 120), y[60:])
    aux = TaskSplit("has7", np.arange(20, 80), z[20:80], np.arange(80, 120), z[80:])
    jobs = [
        ModelJob("stl|s0", "stl", 0, (main,)),
        ModelJob("mtl|s1", "mtl", 1, (main, aux)),
        ModelJob("mtl|s2", "mtl", 2, (main, aux)),
    ]
    embedding = rng.normal(size=(30, 6))
    spec = ModelSpec(encoder=encoder, units=4, dropout=0.25, head_hidden=5, embedding=embedding)
    return tokens, jobs, spec, TrainSpec(epochs=2, batch_size=16, schedule="pooled")


SEQUENCE_CURVE_COLUMNS = ["train_loss", "test_loss", "test_accuracy"]


@pytest.mark.parametrize("encoder", ["bilstm", "cnn", "bilstm_cnn"])
def test_sequence_models_stacked_equal_alone_with_dropout(encoder):
    # Dropout masks must not depend on which other models share the chunk.
    tokens, jobs, spec, tr = _token_problem(encoder)
    stacked = train_stacked(tokens, jobs, spec, tr, device="cpu", **F64)
    for job in jobs:
        alone = train_stacked(tokens, [job], spec, tr, device="cpu", **F64)
        mine = stacked.curves[stacked.curves.model_id == job.model_id].reset_index(drop=True)
        np.testing.assert_allclose(
            mine[SEQUENCE_CURVE_COLUMNS].to_numpy(float),
            alone.curves[SEQUENCE_CURVE_COLUMNS].to_numpy(float),
            rtol=1e-9,
            atol=1e-12,
        )


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("encoder", ["bilstm", "cnn", "bilstm_cnn"])
def test_gpu_sequence_models_match_cpu(encoder):
    tokens, jobs, spec, tr = _token_problem(encoder)
    on_gpu = train_stacked(tokens, jobs, spec, tr, device="cuda", **F64)
    on_cpu = train_stacked(tokens, jobs, spec, tr, device="cpu", **F64)
    assert on_gpu.device.startswith("cuda")
    np.testing.assert_allclose(
        on_gpu.curves[SEQUENCE_CURVE_COLUMNS].to_numpy(float),
        on_cpu.curves[SEQUENCE_CURVE_COLUMNS].to_numpy(float),
        rtol=1e-7,
    )


def _recorded_draws(device: str, monkeypatch) -> list[tuple[str, torch.Tensor]]:
    """Every uniform_ draw made while building a chunk's network for ``device``: the device it
    was drawn on and its values (drawn on the CPU, they can be read even for "meta")."""
    from mtl_pipeline.training.dropout import seed_keys
    from mtl_pipeline.training.network import StackedNetwork

    draws = []
    real_uniform = torch.Tensor.uniform_

    def spy(self, *args, **kwargs):
        out = real_uniform(self, *args, **kwargs)
        draws.append((out.device.type, out.detach().clone() if out.device.type != "meta" else out))
        return out

    monkeypatch.setattr(torch.Tensor, "uniform_", spy)
    seeds = [3, 17]
    dev = torch.device(device)
    StackedNetwork(
        ModelSpec(hidden_sizes=(6, 4), head_hidden=3), 2, 9, [2, 3],
        trainer_mod.init_generators(seeds), dev, torch.float32, seed_keys(seeds, dev),
    )  # fmt: skip
    monkeypatch.undo()
    return draws


def test_initial_weights_do_not_depend_on_the_training_device(monkeypatch):
    # "meta" stands in for a GPU: a network built there must be initialised from the very same
    # CPU draws as on the CPU (CUDA's random stream differs from the CPU's for one seed).
    on_cpu = _recorded_draws("cpu", monkeypatch)
    elsewhere = _recorded_draws("meta", monkeypatch)
    assert len(on_cpu) == len(elsewhere) > 0
    for (dev_a, a), (dev_b, b) in zip(on_cpu, elsewhere, strict=True):
        assert dev_a == dev_b == "cpu"
        assert torch.equal(a, b)
    assert all(g.device.type == "cpu" for g in trainer_mod.init_generators([0, 1]))
