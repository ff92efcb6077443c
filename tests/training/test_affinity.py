"""TAG affinity and gradient cosine on cases whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mtl_pipeline.training import ModelJob, ModelSpec, TaskSplit, TrainSpec, train_stacked
from mtl_pipeline.training.affinity import AFFINITY_COLUMNS, warmup_affinities
from tests.training.conftest import make_task

MODEL = ModelSpec(encoder="mlp", hidden_sizes=(16, 16), activation="relu", dropout=0.0)
WARMUP = TrainSpec(epochs=2, batch_size=16, learning_rate=0.01, schedule="joint")


def _flipped(task: TaskSplit, name: str) -> TaskSplit:
    return TaskSplit(
        name, task.train_rows, 1 - task.train_labels, task.test_rows, 1 - task.test_labels
    )


def _jobs(features) -> list[ModelJob]:
    main = make_task(features, "main", seed=0)
    same = TaskSplit("same", main.train_rows, main.train_labels, main.test_rows, main.test_labels)
    other = make_task(features, "other", seed=1, cols=(20, 21, 22))
    return [
        ModelJob(f"{name}|s{seed}", "mtl", seed, (main, aux), {"case": name})
        for seed in (0, 1)
        for name, aux in (
            ("identical", same),
            ("flipped", _flipped(main, "flip")),
            ("other", other),
        )
    ]


def _probe_one_step(aux_labels_of, same_heads: bool = True, monkeypatch=None):
    """One measured step of 4 two-task models on a dense batch; the aux head starts as a copy
    of the main head (``same_heads``), so that the tasks' answers are known exactly."""
    import torch

    from mtl_pipeline.training.affinity import TaskAffinityProbe
    from mtl_pipeline.training.dropout import seed_keys
    from mtl_pipeline.training.network import StackedNetwork

    M, R, V = 4, 32, 12
    gens = [torch.Generator().manual_seed(s) for s in range(M)]
    net = StackedNetwork(
        MODEL, M, V, [2, 2], gens, torch.device("cpu"), torch.float64, seed_keys(range(M), "cpu")
    )
    if same_heads:
        with torch.no_grad():
            for a, b in zip(net.heads.params_of(1), net.heads.params_of(0), strict=True):
                a.copy_(b)
    for p, _ in net.param_groups():
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    x = torch.randn(M, R, V, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    main = (x[:, :, 0] > 0).long()
    labels = [main, aux_labels_of(main)]
    net.train()
    logits = net(x, epoch=0, step=0)
    from mtl_pipeline.training.losses import masked_cross_entropy

    losses, counts = zip(
        *(masked_cross_entropy(logits[t], labels[t]) for t in range(2)), strict=True
    )
    probe = TaskAffinityProbe(M, lookahead_lr=0.1)
    if monkeypatch is not None:  # a step must not wait for the device (no copy to the host)
        with monkeypatch.context() as patch:
            for name in ("cpu", "numpy", "item", "tolist"):
                patch.setattr(torch.Tensor, name, _no_host_sync(name))
            probe.observe(net, x, losses, counts, labels, 0, 0)
    else:
        probe.observe(net, x, losses, counts, labels, 0, 0)
    return pd.DataFrame(probe.result(), columns=AFFINITY_COLUMNS)


def _no_host_sync(name: str):
    def refuse(self, *args, **kwargs):
        raise AssertionError(f"Tensor.{name}() during a probed step: a host sync per step")

    return refuse


def test_a_probed_step_does_not_sync_with_the_host(monkeypatch):
    values = _probe_one_step(lambda y: y.clone(), monkeypatch=monkeypatch)
    np.testing.assert_allclose(values["grad_cosine"], 1.0, atol=1e-9)


def test_the_probe_is_counted_in_the_chunk_memory_estimate(features):
    from functools import partial

    import torch

    from mtl_pipeline.training import trainer
    from mtl_pipeline.training.affinity import TaskAffinityProbe

    inp = trainer._make_input(features, MODEL, torch.device("cpu"), torch.float32, "auto")
    plain = trainer._bytes_per_model(MODEL, inp, [2, 2], 32, 4)
    probed = trainer._bytes_per_model(
        MODEL, inp, [2, 2], 32, 4, partial(TaskAffinityProbe, lookahead_lr=0.1)
    )
    V, (H1, H2) = features.shape[1], MODEL.hidden_sizes
    shared = V * H1 + H1 + H1 * H2 + H2  # both hidden layers: the shared trunk
    assert probed - plain == 3 * shared * 4


def test_identical_tasks_have_cosine_one_and_high_affinity():
    values = _probe_one_step(lambda y: y.clone())
    np.testing.assert_allclose(values["grad_cosine"], 1.0, atol=1e-9)
    assert (values["affinity_aux_to_main"] > 0).all()
    np.testing.assert_allclose(values["affinity_aux_to_main"], values["affinity_main_to_aux"])


def test_a_label_flipped_copy_has_negative_cosine_and_affinity():
    values = _probe_one_step(lambda y: 1 - y)
    # -1 exactly only where the predicted probability is 1/2: the errors p - y and p - (1 - y)
    # are opposite up to 2p - 1
    assert (values["grad_cosine"] < -0.7).all()
    assert (values["affinity_aux_to_main"] < 0).all() and (values["affinity_main_to_aux"] < 0).all()


def test_warmup_ranks_identical_above_unrelated_tasks(features):
    """Through the trainer, heads start independent: the label-flipped copy is then NOT
    antagonistic (a task head absorbs the sign; the shared layers want the same features), so
    only what holds whatever the heads is checked here: every pair gets finite values, and
    identical tasks agree more than unrelated ones."""
    warmup = TrainSpec(epochs=5, batch_size=16, learning_rate=0.05, schedule="joint")
    table = warmup_affinities(
        features, _jobs(features), MODEL, warmup, lookahead_lr=0.5, device="cpu"
    )
    assert list(table.columns[-3:]) == list(AFFINITY_COLUMNS)
    assert table[list(AFFINITY_COLUMNS)].notna().all().all()
    by_case = table.groupby("case")[list(AFFINITY_COLUMNS)].mean()
    assert by_case.loc["identical", "grad_cosine"] > by_case.loc["other", "grad_cosine"]
    assert (
        by_case.loc["identical", "affinity_aux_to_main"]
        > by_case.loc["other", "affinity_aux_to_main"]
    )


def test_the_probe_does_not_change_training(features):
    jobs = _jobs(features)[:3]
    plain = train_stacked(features, jobs, MODEL, WARMUP, device="cpu", progress=False)
    from functools import partial

    from mtl_pipeline.training.affinity import TaskAffinityProbe

    probed = train_stacked(
        features,
        jobs,
        MODEL,
        WARMUP,
        device="cpu",
        progress=False,
        probe_factory=partial(TaskAffinityProbe, lookahead_lr=0.5),
    )
    pd.testing.assert_frame_equal(plain.curves, probed.curves)
    assert plain.probes is None and len(probed.probes) == 3
    assert np.isfinite(probed.probes["grad_cosine"]).all()
