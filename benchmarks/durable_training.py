"""Cost of durable training: the shard store's overhead, and Dask vs in-process, on the same work.

Same synthetic 20-Newsgroups-shaped data and MTL jobs as ``train_speed.py``. Times, in order:
  1. in-process, no store (the baseline: what training costs);
  2. in-process with a fresh store (fingerprints + lookups + one atomic write per model), with
     the store's own time measured separately (fingerprinting, lookups, writes);
  3. the same again, every model now reused (what a rerun with nothing to do costs);
  4. the Dask executor on a LocalCluster of ``--workers`` single-threaded workers, no store
     (cluster start-up included, reported separately), checked to give the same curves as 1.

Example:
  PYTHONPATH=src python benchmarks/durable_training.py --models 64 --epochs 5 --workers 2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_speed import make_jobs, synthetic_corpus  # noqa: E402

from mtl_pipeline.training import ModelSpec, TrainSpec  # noqa: E402
from mtl_pipeline.training import executor as executor_mod  # noqa: E402
from mtl_pipeline.training import store as store_mod  # noqa: E402
from mtl_pipeline.training.executor import ExecutionSpec, WorkGroup, train_durably  # noqa: E402


class _Timer:
    """Accumulates the time spent in the wrapped functions."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, func):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0

        return timed


def _timed_store_run(features, groups, execution):
    """A train_durably call with the store's own work (hashing, lookups, writes) timed apart."""
    timer = _Timer()
    patched = {
        (store_mod.ShardStore, "get"): store_mod.ShardStore.get,
        (store_mod.ShardStore, "put"): store_mod.ShardStore.put,
        (executor_mod, "features_fingerprint"): executor_mod.features_fingerprint,
        (executor_mod, "model_fingerprint"): executor_mod.model_fingerprint,
    }
    for (owner, name), func in patched.items():
        setattr(owner, name, timer.wrap(func))
    try:
        t0 = time.perf_counter()
        (result,), summary = train_durably(features, groups, execution)
        return result, summary, time.perf_counter() - t0, timer.seconds
    finally:
        for (owner, name), func in patched.items():
            setattr(owner, name, func)


def _fmt(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--models", type=int, default=64, help="MTL models (two tasks each)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--shard-size", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster workers (1 thread each)")
    ap.add_argument("--n-docs", type=int, default=18_846)
    ap.add_argument("--vocab", type=int, default=10_000)
    ap.add_argument("--device", default="cpu")
    ap.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="alternate runs 1 and 2 this often; report the minima",
    )
    args = ap.parse_args(argv)

    X, groups, is_train = synthetic_corpus(args.n_docs, args.vocab, 0.01, 20, 0)
    jobs = make_jobs(groups, is_train, args.models, 0, 200, 20)
    work = [WorkGroup("mtl", jobs, ModelSpec(hidden_sizes=(100, 100)), TrainSpec(args.epochs))]
    base = {"shard_size": args.shard_size, "device": args.device, "progress": False}
    print(
        f"{args.models} MTL models x {args.epochs} epochs, {X.shape[0]} x {X.shape[1]} TF-IDF, "
        f"shards of {args.shard_size}, torch threads {torch.get_num_threads()}"
    )

    plain_times, store_times, own_times = [], [], []
    for _ in range(args.repeats):  # alternated, so that a load change hits both alike
        t0 = time.perf_counter()
        (plain,), _ = train_durably(X, work, ExecutionSpec(**base))
        plain_times.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as root:
            execution = ExecutionSpec(store=root, **base)
            stored, s, t_store, t_own = _timed_store_run(X, work, execution)
            assert s.trained == args.models
            store_times.append(t_store)
            own_times.append(t_own)
            _, s, t_reuse, t_own_reuse = _timed_store_run(X, work, execution)
            assert (s.trained, s.reused) == (0, args.models)
    t_plain, t_store, t_own = min(plain_times), min(store_times), max(own_times)
    print(f"1. in-process, no store:        {t_plain:8.2f} s  (runs: {_fmt(plain_times)})")
    print(
        f"2. in-process, fresh store:     {t_store:8.2f} s  (runs: {_fmt(store_times)}); "
        f"store's own work at most {t_own:.2f} s = {100 * t_own / t_plain:.2f} % of training; "
        f"end to end {100 * (t_store / t_plain - 1):+.1f} %"
    )
    print(
        f"3. rerun, all {args.models} reused:    {t_reuse:8.2f} s  (store's own work {t_own_reuse:.2f} s)"
    )
    cols = ["train_loss", "test_loss", "test_f1"]
    assert np.array_equal(plain.curves[cols].to_numpy(), stored.curves[cols].to_numpy())

    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None) as c:
        with Client(c):
            pass
    t_start = time.perf_counter() - t0
    t0 = time.perf_counter()
    (dask,), _ = train_durably(
        X, work, ExecutionSpec(executor="dask", dask_workers=args.workers, **base)
    )
    t_dask = time.perf_counter() - t0
    same = np.array_equal(plain.curves[cols].to_numpy(), dask.curves[cols].to_numpy())
    close = np.allclose(plain.curves[cols].to_numpy(), dask.curves[cols].to_numpy(), rtol=1e-5)
    print(
        f"4. Dask LocalCluster x{args.workers}:      {t_dask:8.2f} s  (of which ~{t_start:.1f} s "
        f"cluster start-up); {t_plain / t_dask:.2f}x in-process; curves identical: {same}"
        f"{'' if same else f', within rtol 1e-5: {close}'}"
    )


if __name__ == "__main__":
    main()
