"""Soft parameter sharing (family mlp_soft): one trunk per task pulled toward their mean."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from mtl_pipeline.training import ModelJob, ModelSpec, TrainSpec, train_stacked
from tests.training.conftest import make_task

HARD = ModelSpec(encoder="mlp", hidden_sizes=(16, 8), activation="relu", dropout=0.0)
TRAIN = TrainSpec(epochs=4, batch_size=16, learning_rate=0.01, schedule="joint")


def _soft(lam: float) -> ModelSpec:
    return dataclasses.replace(HARD, encoder="mlp_soft", soft_sharing_lambda=lam)


def _mtl_jobs(features) -> list[ModelJob]:
    main = make_task(features, "main", seed=0)
    aux = make_task(features, "aux", seed=1, cols=(5, 6, 7))
    return [ModelJob(f"m{s}", "mtl", s, (main, aux)) for s in (0, 1)]


def _curves(features, model, jobs):
    return train_stacked(features, jobs, model, TRAIN, device="cpu", progress=False).curves


def test_a_single_task_model_is_the_same_with_soft_or_hard_sharing(features):
    jobs = [ModelJob("s", "stl", 0, (make_task(features, "main", seed=0),))]
    pd.testing.assert_frame_equal(
        _curves(features, HARD, jobs), _curves(features, _soft(5.0), jobs)
    )


def _trunk_spread(lam: float, step_size: float = 0.01, all_updated: bool = True) -> float:
    """Spread of the two trunks around their mean after perturbing them and one pull."""
    import torch

    from mtl_pipeline.training.dropout import seed_keys
    from mtl_pipeline.training.network import StackedNetwork

    gens = [torch.Generator().manual_seed(s) for s in range(3)]
    net = StackedNetwork(
        _soft(lam),
        3,
        12,
        [2, 2],
        gens,
        torch.device("cpu"),
        torch.float64,
        seed_keys(range(3), "cpu"),
    )
    with torch.no_grad():
        for p in [*net.weights, *net.biases]:
            p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(1), dtype=p.dtype))
    net.pull_trunks(step_size, torch.ones(3, dtype=torch.bool), all_updated)
    w = net.weights[0].detach().view(3, 12, 2, -1)
    later = net.weights[1].detach()
    return float((w[:, :, 0] - w[:, :, 1]).abs().max() + (later[:, 0] - later[:, 1]).abs().max())


@pytest.mark.parametrize("all_updated", [True, False])
def test_a_very_large_lambda_collapses_the_trunks_into_one_shared_trunk(all_updated):
    spreads = [_trunk_spread(lam, all_updated=all_updated) for lam in (0.0, 1.0, 100.0, 1e12)]
    assert spreads[0] > spreads[1] > spreads[2] > spreads[3]
    assert spreads[3] < 1e-9 * spreads[0]  # one trunk: hard sharing's architecture


def test_soft_sharing_trains_and_starts_as_hard_sharing(features):
    jobs = _mtl_jobs(features)
    hard = _curves(features, HARD, jobs)
    for lam in (0.0, 1e8):
        soft = _curves(features, _soft(lam), jobs)
        assert soft["train_loss"].iloc[-1] < soft["train_loss"].iloc[0]  # it learns
        assert np.isfinite(soft["test_f1"]).all()
    # every trunk starts as the hard-sharing trunk: the first epoch's loss is close to hard's
    first = soft.loc[soft["epoch"] == 1, "train_loss"].to_numpy()
    assert np.allclose(first, hard.loc[hard["epoch"] == 1, "train_loss"].to_numpy(), rtol=0.05)


def test_lambda_must_not_be_negative():
    with pytest.raises(ValueError, match="soft_sharing_lambda"):
        _soft(-1.0)
