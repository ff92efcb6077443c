"""The Grad-TAG-style gain estimate on cases whose answer is known, and the warm-up probe."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from mtl_pipeline.training import ModelJob, ModelSpec, TaskSplit, TrainSpec, train_stacked
from mtl_pipeline.training.affinity import AFFINITY_COLUMNS
from mtl_pipeline.training.gradtag import GRADTAG_COLUMNS, GradTagProbe, GradTagSettings
from mtl_pipeline.training.probes import warmup_probe

MODEL = ModelSpec(encoder="mlp", hidden_sizes=(16, 16), activation="relu", dropout=0.0)
WARMUP = TrainSpec(epochs=2, batch_size=16, learning_rate=0.05, schedule="joint")


def _jobs() -> list[ModelJob]:
    """A main task on 150 rows; auxiliary tasks on 300 other rows: the main task's own labelling
    (more data of the same task) or random labels."""
    X = sp.random(800, 40, density=0.25, format="csr", dtype=np.float64, random_state=0)
    score = np.asarray(X[:, [0, 1, 2]].sum(axis=1)).ravel()
    y = (score > np.median(score)).astype(np.int64)
    rng = np.random.default_rng(0)
    rows = rng.permutation(X.shape[0])
    main_rows, aux_rows, test = rows[:150], rows[200:500], rows[500:600]
    main = TaskSplit("main", main_rows, y[main_rows], test, y[test])
    same = TaskSplit("same", aux_rows, y[aux_rows], test, y[test])
    noise = TaskSplit("noise", aux_rows, rng.integers(0, 2, aux_rows.size), test, y[test])
    jobs = [
        ModelJob(f"{case}|s{seed}", "mtl", seed, (main, aux), {"case": case})
        for seed in range(4)
        for case, aux in (("same_task", same), ("random_labels", noise))
    ]
    return X, jobs


def _estimate(settings: GradTagSettings | None = None) -> pd.DataFrame:
    X, jobs = _jobs()
    result = train_stacked(
        X,
        jobs,
        MODEL,
        WARMUP,
        device="cpu",
        progress=False,
        probe_factory=partial(GradTagProbe, settings=settings or GradTagSettings()),
    )
    return result.probes


def test_more_data_of_the_same_task_is_estimated_to_help_and_random_labels_not():
    table = _estimate()
    assert list(table.columns[-2:]) == list(GRADTAG_COLUMNS)
    same = table.loc[table["case"] == "same_task", "gradtag_loss_gain"]
    noise = table.loc[table["case"] == "random_labels", "gradtag_loss_gain"]
    assert (same > 0).all()
    assert same.mean() > noise.mean()
    assert same.min() > noise.max()


def test_same_seed_same_estimate_and_another_projection_seed_another():
    first, again = _estimate(), _estimate()
    pd.testing.assert_frame_equal(first, again)
    other = _estimate(GradTagSettings(seed=1))
    assert not np.allclose(first["gradtag_loss_gain"], other["gradtag_loss_gain"])


def test_the_estimate_does_not_change_training():
    X, jobs = _jobs()
    plain = train_stacked(X, jobs[:2], MODEL, WARMUP, device="cpu", progress=False)
    probed = train_stacked(
        X,
        jobs[:2],
        MODEL,
        WARMUP,
        device="cpu",
        progress=False,
        probe_factory=partial(warmup_probe, lookahead_lr=0.1, gradtag=GradTagSettings()),
    )
    pd.testing.assert_frame_equal(plain.curves, probed.curves)
    pd.testing.assert_frame_equal(plain.predictions, probed.predictions)
    assert list(probed.probes.columns[-5:]) == [*AFFINITY_COLUMNS, *GRADTAG_COLUMNS]
    assert probed.probes[list(GRADTAG_COLUMNS)].notna().all().all()


def test_models_the_estimate_cannot_serve_are_refused():
    X, jobs = _jobs()
    three = TaskSplit("three", jobs[0].tasks[0].train_rows, jobs[0].tasks[0].train_labels % 3,
                      jobs[0].tasks[0].test_rows, jobs[0].tasks[0].test_labels, n_classes=3)  # fmt: skip
    job = ModelJob("three", "mtl", 0, (jobs[0].tasks[0], three), {})
    with pytest.raises(ValueError, match="two two-class tasks; model 'three'"):
        train_stacked(
            X, [job], MODEL, WARMUP, device="cpu", progress=False,
            probe_factory=partial(GradTagProbe, settings=GradTagSettings()),
        )  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value"),
    [("projection_dim", 0), ("l2", 0.0), ("holdout_share", 1.0), ("newton_steps", 0)],
)
def test_bad_settings_are_named(field, value):
    with pytest.raises(ValueError, match=f"gradtag {field}"):
        GradTagSettings(**{field: value})


def test_cuda_gives_the_cpu_estimate():
    """The device path (sparse rows gathered on the GPU) agrees with the CPU's host path."""
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    X, jobs = _jobs()
    kw = {"progress": False, "dtype": torch.float64}
    factory = partial(GradTagProbe, settings=GradTagSettings())
    cpu = train_stacked(X, jobs, MODEL, WARMUP, device="cpu", probe_factory=factory, **kw)
    cuda = train_stacked(X, jobs, MODEL, WARMUP, device="cuda", probe_factory=factory, **kw)
    np.testing.assert_allclose(
        cuda.probes[list(GRADTAG_COLUMNS)], cpu.probes[list(GRADTAG_COLUMNS)], atol=1e-6
    )


def test_the_parameters_are_read_and_checked_by_name():
    from mtl_pipeline.params import ParameterError
    from mtl_pipeline.specs.meta import gradtag_settings

    given = {"enabled": True, "projection_dim": 4, "l2": 0.5, "holdout_share": 0.2}
    given |= {"newton_steps": 5, "seed": 3}
    assert gradtag_settings({"gradtag": given}) == GradTagSettings(4, 0.5, 0.2, 5, 3)
    assert gradtag_settings({"gradtag": {**given, "enabled": False}}) is None
    assert gradtag_settings({}) is None
    with pytest.raises(
        ParameterError, match="'projection_dims'.*nearest known value is 'projection_dim'"
    ):
        gradtag_settings({"gradtag": {**given, "projection_dims": 4}})
    with pytest.raises(ParameterError, match="meta.warmup.gradtag.holdout_share is 1"):
        gradtag_settings({"gradtag": {**given, "holdout_share": 1}})
