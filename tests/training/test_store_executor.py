"""The shard store and the durable executor: fingerprints, reuse, atomic records, Dask."""

import logging
import os
import time

import numpy as np
import pandas as pd
import pytest
import torch

from mtl_pipeline.params import ParameterError
from mtl_pipeline.provenance import features_fingerprint
from mtl_pipeline.specs.execution import execution_spec
from mtl_pipeline.training import ModelJob, ModelSpec, TaskSplit, TrainSpec
from mtl_pipeline.training.executor import ExecutionSpec, WorkGroup, train_durably
from mtl_pipeline.training.store import (
    ShardStore,
    StoredModel,
    model_fingerprint,
    spec_fingerprint,
)

from .conftest import make_task

SPEC = ModelSpec(hidden_sizes=(8,), dropout=0.2)
TRAIN = TrainSpec(epochs=3, batch_size=16)


def _jobs(X, seeds=(0, 1, 2)):
    a = make_task(X, "a", 1)
    b = make_task(X, "b", 2, cols=(3, 4))
    jobs = [ModelJob(f"stl|a|s{s}", "stl", s, (a,), {"pair_id": None}) for s in seeds]
    jobs += [ModelJob(f"mtl|ab|s{s}", "mtl", s, (a, b), {"pair_id": "ab"}) for s in seeds]
    return jobs


def _execution(tmp_path, **kw):
    base = {"store": str(tmp_path / "store"), "shard_size": 2, "device": "cpu", "progress": False}
    return ExecutionSpec(**{**base, **kw})


def _summary_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("models:")]


def test_second_run_trains_nothing_and_returns_identical_curves(features, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="mtl_pipeline.training.executor")
    groups = [WorkGroup("all", _jobs(features), SPEC, TRAIN)]
    (first,), s1 = train_durably(features, groups, _execution(tmp_path))
    (second,), s2 = train_durably(features, groups, _execution(tmp_path))
    assert (s1.trained, s1.reused) == (6, 0)
    assert (s2.trained, s2.reused) == (0, 6)
    pd.testing.assert_frame_equal(first.curves, second.curves)
    pd.testing.assert_frame_equal(first.predictions, second.predictions)
    assert first.curves["fingerprint"].nunique() == 6
    lines = _summary_lines(caplog)
    assert lines[0].startswith("models: trained=6 reused=0 rejected=0 seconds=")
    assert lines[1].startswith("models: trained=0 reused=6 rejected=0 seconds=")
    assert ShardStore(str(tmp_path / "store")).count() == 6


def test_fresh_result_does_not_depend_on_shards_or_store(features, tmp_path):
    """Per-model keys: reuse and results are independent of how models were grouped."""
    groups = [WorkGroup("all", _jobs(features), SPEC, TRAIN)]
    (by_two,), _ = train_durably(
        features, groups, _execution(tmp_path, shard_size=2, dtype="float64")
    )
    (no_store,), _ = train_durably(
        features, groups, _execution(tmp_path, store=None, shard_size=5, dtype="float64")
    )
    cols = ["train_loss", "test_loss", "test_f1"]
    np.testing.assert_allclose(by_two.curves[cols], no_store.curves[cols], rtol=1e-9, atol=1e-12)
    assert list(by_two.curves.columns) == list(no_store.curves.columns)
    # regrouped (shard size 4), every model is still found under its own key
    (_,), again = train_durably(
        features, groups, _execution(tmp_path, shard_size=4, dtype="float64")
    )
    assert (again.trained, again.reused) == (0, 6)


def test_changes_retrain_only_the_models_they_affect(features, tmp_path):
    jobs = _jobs(features)
    train_durably(features, [WorkGroup("all", jobs, SPEC, TRAIN)], _execution(tmp_path))
    # one seed added: only its two models train
    more = _jobs(features, seeds=(0, 1, 2, 3))
    _, s = train_durably(features, [WorkGroup("all", more, SPEC, TRAIN)], _execution(tmp_path))
    assert (s.trained, s.reused) == (2, 6)
    # one task's training rows changed: the models that use it (here: all with task a) train
    a = jobs[0].tasks[0]
    edited = TaskSplit("a", a.train_rows[:-1], a.train_labels[:-1], a.test_rows, a.test_labels)
    stl = [ModelJob(j.model_id, j.kind, j.seed, (edited,), j.meta) for j in jobs[:3]]
    _, s = train_durably(
        features, [WorkGroup("all", stl + jobs[3:], SPEC, TRAIN)], _execution(tmp_path)
    )
    assert (s.trained, s.reused) == (3, 3)
    # the training spec of one group changed: only that group trains
    groups = [
        WorkGroup("stl", jobs[:3], SPEC, TRAIN),
        WorkGroup("mtl", jobs[3:], SPEC, TrainSpec(epochs=4, batch_size=16)),
    ]
    _, s = train_durably(features, groups, _execution(tmp_path))
    assert (s.trained, s.reused) == (3, 3)
    # edited features: everything trains
    X = features.copy()
    X.data[0] += 1.0
    _, s = train_durably(X, [WorkGroup("all", jobs, SPEC, TRAIN)], _execution(tmp_path))
    assert (s.trained, s.reused) == (6, 0)


def test_fingerprint_covers_what_determines_a_result(features):
    fp = features_fingerprint(features)
    spec = spec_fingerprint(SPEC, TRAIN, fp, "float32", "auto")
    job = _jobs(features)[0]
    base = model_fingerprint(job, spec)
    assert base == model_fingerprint(job, spec_fingerprint(SPEC, TRAIN, fp, "float32", "auto"))
    other_seed = ModelJob(job.model_id, "stl", 9, job.tasks, job.meta)
    assert model_fingerprint(other_seed, spec) != base
    for changed in (
        spec_fingerprint(ModelSpec(hidden_sizes=(9,), dropout=0.2), TRAIN, fp, "float32", "auto"),
        spec_fingerprint(
            SPEC, TrainSpec(epochs=3, batch_size=16, learning_rate=0.01), fp, "float32", "auto"
        ),
        spec_fingerprint(SPEC, TRAIN, "other-features", "float32", "auto"),
        spec_fingerprint(SPEC, TRAIN, fp, "float64", "auto"),
    ):
        assert model_fingerprint(job, changed) != base
    t = job.tasks[0]
    relabelled = TaskSplit("a", t.train_rows, 1 - t.train_labels, t.test_rows, t.test_labels)
    assert (
        model_fingerprint(ModelJob(job.model_id, "stl", 0, (relabelled,), job.meta), spec) != base
    )


def test_store_writes_atomically_and_removes_stale_partials(tmp_path):
    store = ShardStore(str(tmp_path))
    curves = pd.DataFrame({"model_id": ["m"], "epoch": [1], "test_f1": [0.5]})
    store.put([StoredModel("ab" + "0" * 30, curves, curves.iloc[:0])])
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["ab" + "0" * 30 + ".rec"]
    pd.testing.assert_frame_equal(store.get("ab" + "0" * 30).curves, curves)
    assert store.get("cd" + "0" * 30) is None
    # debris of a save killed mid-write: removed by the next open (a fresh one is left alone,
    # it may belong to a run writing right now)
    stale = tmp_path / "ab" / "deadbeef.pkl.1234.partial"
    fresh = tmp_path / "ab" / "cafe.pkl.5678.partial"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    ShardStore(str(tmp_path))
    assert not stale.exists() and fresh.exists()


def test_training_leaves_an_unsorted_sparse_input_untouched(features, tmp_path):
    X = features.copy()
    X.indices[X.indptr[0] : X.indptr[1]] = X.indices[X.indptr[0] : X.indptr[1]][::-1].copy()
    X.data[X.indptr[0] : X.indptr[1]] = X.data[X.indptr[0] : X.indptr[1]][::-1].copy()
    X.has_sorted_indices = False
    before = (X.indices.copy(), X.data.copy(), features_fingerprint(X))
    assert before[2] == features_fingerprint(features)  # entry order within a row does not count
    train_durably(X, [WorkGroup("all", _jobs(features)[:1], SPEC, TRAIN)], _execution(tmp_path))
    assert (X.indices == before[0]).all() and (X.data == before[1]).all()
    assert features_fingerprint(X) == before[2]


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"executor": "spark"},
            "parameter newsgroups.training.executor is 'spark'; expected one of ['dask', 'local']",
        ),
        (
            {"shard_size": 0},
            "parameter newsgroups.training.shard_size is 0; expected an integer >= 1",
        ),
        (
            {"shard_size": "ten"},
            "parameter newsgroups.training.shard_size is 'ten'; expected an integer >= 1",
        ),
        (
            {"chunk_size": 0},
            "parameter newsgroups.training.chunk_size is 0; expected an integer >= 1",
        ),
        (
            {"dask": {"n_workers": 0}},
            "parameter newsgroups.training.dask.n_workers is 0; expected an integer >= 1",
        ),
        (
            {"device": "gpu"},
            "parameter newsgroups.training.device is 'gpu'; expected 'auto', 'cpu', 'cuda' or 'cuda:<n>'",
        ),
        (
            {"progress": "yes"},
            "parameter newsgroups.training.progress is 'yes'; expected true or false",
        ),
    ],
)
def test_bad_execution_parameters_are_named(params, message):
    with pytest.raises(ParameterError) as error:
        execution_spec(params, "newsgroups.training")
    assert str(error.value) == message


def test_cuda_without_a_gpu_names_the_parameter(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(
        ParameterError,
        match=r"newsgroups.training.device is 'cuda' but torch .* sees no CUDA device here; set it to auto",
    ):
        execution_spec({"device": "cuda"}, "newsgroups.training")


def test_dask_local_cluster_gives_the_same_curves_as_in_process(features, tmp_path):
    pytest.importorskip("distributed")
    from mtl_pipeline.training.gradtag import GradTagSettings

    mtl = [j for j in _jobs(features) if j.kind == "mtl"]
    # a probed group too (the warm-up): its probe is sent to the workers with the shard
    groups = [
        WorkGroup("all", _jobs(features), SPEC, TRAIN),
        _warmup_group(mtl, gradtag=GradTagSettings(projection_dim=4)),
    ]
    (local, local_warmup), _ = train_durably(features, groups, _execution(tmp_path, store=None))
    (dask, dask_warmup), summary = train_durably(
        features, groups, _execution(tmp_path, executor="dask", dask_workers=2)
    )
    assert (summary.trained, summary.reused) == (9, 0)
    pd.testing.assert_frame_equal(local.curves, dask.curves)
    pd.testing.assert_frame_equal(local.predictions, dask.predictions)
    pd.testing.assert_frame_equal(local_warmup.probes, dask_warmup.probes)
    # the Dask results went through the store: an in-process rerun reuses them all
    _, again = train_durably(features, groups, _execution(tmp_path))
    assert (again.trained, again.reused) == (0, 9)


def test_torch_threads_apply_while_a_shard_trains_and_are_restored(monkeypatch):
    import torch

    from mtl_pipeline.training import executor

    seen = []
    monkeypatch.setattr(
        executor, "train_stacked", lambda *a, **k: seen.append(torch.get_num_threads())
    )
    before = torch.get_num_threads()
    target = 2 if before == 1 else 1
    executor.train_shard(None, [], None, None, torch_threads=target)
    assert seen == [target]
    assert torch.get_num_threads() == before
    with pytest.raises(
        ValueError,
        match="parameter newsgroups.training.torch_threads is 0; expected an integer >= 1",
    ):
        execution_spec({"torch_threads": 0}, "newsgroups.training")


def _warmup_group(jobs, lookahead_lr=0.1, gradtag=None):
    from functools import partial

    from mtl_pipeline.training.probes import warmup_probe, warmup_probe_settings

    return WorkGroup(
        "warmup",
        jobs,
        SPEC,
        TrainSpec(epochs=2, batch_size=16),
        probe_factory=partial(warmup_probe, lookahead_lr=lookahead_lr, gradtag=gradtag),
        probe_settings=warmup_probe_settings(lookahead_lr, gradtag),
    )


def test_probed_models_are_stored_with_their_probe_results_and_reused(features, tmp_path):
    from mtl_pipeline.training.gradtag import GradTagSettings

    mtl = [j for j in _jobs(features) if j.kind == "mtl"]
    gradtag = GradTagSettings(projection_dim=4)
    (first,), s1 = train_durably(
        features, [_warmup_group(mtl, gradtag=gradtag)], _execution(tmp_path)
    )
    (again,), s2 = train_durably(
        features, [_warmup_group(mtl, gradtag=gradtag)], _execution(tmp_path)
    )
    assert (s1.trained, s1.reused, s2.trained, s2.reused) == (3, 0, 0, 3)
    pd.testing.assert_frame_equal(first.probes, again.probes)
    assert list(first.probes["model_id"]) == [j.model_id for j in mtl]
    assert first.probes.filter(like="gradtag").notna().all().all()
    # the probe's settings key its models: another lookahead step size retrains them all,
    # and an unprobed group of the same jobs and schedule is another model
    (_,), s3 = train_durably(
        features, [_warmup_group(mtl, lookahead_lr=0.2, gradtag=gradtag)], _execution(tmp_path)
    )
    plain = WorkGroup("plain", mtl, SPEC, TrainSpec(epochs=2, batch_size=16))
    (unprobed,), s4 = train_durably(features, [plain], _execution(tmp_path))
    assert (s3.trained, s4.trained) == (3, 3)
    assert unprobed.probes is None
    pd.testing.assert_frame_equal(
        first.curves.drop(columns="fingerprint"), unprobed.curves.drop(columns="fingerprint")
    )


def test_a_probe_needs_its_settings_to_be_stored():
    from mtl_pipeline.training.probes import warmup_probe

    with pytest.raises(ValueError, match="probe_factory and probe_settings go together"):
        WorkGroup("warmup", [], SPEC, TRAIN, probe_factory=warmup_probe)
