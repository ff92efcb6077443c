"""How far the CPU trainer is above its memory bound, on real 20NG TF-IDF (one run, one thread).

The bound: every step, Adam must read and write every parameter of every model (exact torch
Adam: a row with a zero gradient still moves), and the first layer's (10,000 x 100) weight
gradient must be written whole for it; every evaluation must read the first-layer weight once.
Both costs are measured here, on this machine, in this run:

* ``adam``: ``torch._fused_adam_`` over M models' parameters (the trainer's shapes), one list
  entry per stacked tensor: the least a step of exact Adam costs;
* ``grad_write``: writing an (M, 10,000, 100) gradient buffer (``zero_``);
* ``weight_read``: reading the (M, 10,000, 100) first-layer weight once (``sum``);

each measured before and after the trainer is timed, the two samples averaged (both printed).

bound per model-epoch = steps per epoch x (adam + grad_write) + evaluations per epoch x
weight_read, with the steps per epoch of the jobs timed. Then ``train_stacked`` trains the same
M MTL models (paper configuration, real TF-IDF) for ``--epochs`` epochs (default the
configuration's, 100); its CPU time per
model-epoch (``time.process_time``, torch.set_num_threads(1); the best of ``--repeats`` runs,
each printed, chunk construction included) over the bound is ``ratio_to_bound``.

    PYTHONPATH=src OMP_NUM_THREADS=1 nice -n 19 python benchmarks/bound.py
    PYTHONPATH=src nice -n 19 python benchmarks/bound.py --threads 1 2 --load 2   # spinning

``--phases N`` also times the trainer's phases (Adam, first-layer gradient, forward, evaluation,
...) over an N-epoch run. ``--threads`` times the trainer with each torch thread count; ``--load
N`` first starts N busy-looping processes (a loaded machine), so that the CPU time burnt by idle
threads spinning shows.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from mtl_pipeline.pipelines.newsgroups import nodes as ng_nodes
from mtl_pipeline.settings import project_parameters
from mtl_pipeline.specs import newsgroups as newsgroups_spec
from mtl_pipeline.tasks.jobs import mtl_jobs
from mtl_pipeline.training import train_stacked
from mtl_pipeline.training.batching import ChunkScheduler

ROOT = Path(__file__).resolve().parents[1]


def _spin(stop) -> None:  # one busy core of "load"
    x = 0
    while not stop.is_set():
        x += 1


def real_jobs(archive: str, n_models: int):
    """Real 20NG TF-IDF and the first ``n_models`` MTL jobs of the paper configuration."""
    parameters = project_parameters("base")
    ng = dict(parameters["newsgroups"])
    ng["archive"] = archive
    documents = ng_nodes.ingest_newsgroups(ng)
    tfidf, _ = ng_nodes.build_tfidf(documents, ng["tfidf"])
    # 2 problems x p pairs x 5 seeds MTL models
    per_problem = max(1, -(-n_models // (2 * len(ng["seeds"]))))
    pairs = ng_nodes.build_task_pairs(documents, {**ng, "pairs_per_problem": per_problem})
    samples = ng_nodes.build_task_samples(documents, pairs, ng)
    jobs = mtl_jobs(pairs, samples)[:n_models]
    if len(jobs) < n_models:
        raise ValueError(f"--models {n_models}: only {len(jobs)} MTL jobs in the configuration")
    model = newsgroups_spec.model_spec(ng["model"])
    train = newsgroups_spec.train_spec(ng["train"]).schedule_of("mtl")
    return tfidf, jobs, model, train


def _cpu_ms(fn, reps: int) -> float:
    """Median CPU ms of fn() over reps calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(reps):
        t = time.process_time()
        fn()
        times.append(1000 * (time.process_time() - t))
    return statistics.median(times)


def measure_bound(in_dim: int, hidden: tuple[int, ...], n_classes: list[int], M: int, reps: int):
    """(adam, grad_write, weight_read) CPU ms per model-step on this machine."""
    sizes = [in_dim, *hidden]
    shapes = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):
        shapes += [(d_in, d_out), (d_out,)]
    for c in n_classes:
        shapes += [(hidden[-1], c), (c,)]
    params = [torch.rand(M, *s) for s in shapes]
    grads = [torch.rand(M, *s) * 1e-3 for s in shapes]
    exp_avg = [torch.zeros(M, *s) for s in shapes]
    exp_avg_sq = [torch.zeros(M, *s) for s in shapes]
    steps = [torch.zeros(()) for _ in shapes]

    def adam():
        torch._fused_adam_(
            params, grads, exp_avg, exp_avg_sq, [], steps,
            amsgrad=False, lr=1e-3, beta1=0.9, beta2=0.999, weight_decay=0.0, eps=1e-8,
            maximize=False, grad_scale=None, found_inf=None,
        )  # fmt: skip

    first_grad = grads[0]
    adam_ms = _cpu_ms(adam, reps) / M
    write_ms = _cpu_ms(first_grad.zero_, reps) / M
    read_ms = _cpu_ms(lambda: params[0].sum(), reps) / M
    return adam_ms, write_ms, read_ms


def time_trainer(tfidf, jobs, model, train, threads: int, repeats: int) -> list[float]:
    """CPU ms per model-epoch of train_stacked on these jobs (one chunk), one per repeat."""
    torch.set_num_threads(threads)
    times = []
    for _ in range(repeats):
        t = time.process_time()
        train_stacked(tfidf, jobs, model, train, device="cpu", chunk_size=len(jobs), progress=False)
        times.append(1000 * (time.process_time() - t) / (len(jobs) * train.epochs))
    torch.set_num_threads(1)
    return times


def time_phases(tfidf, jobs, model, train) -> dict[str, float]:
    """CPU ms per model-epoch of the trainer's phases, each trainer function wrapped with
    ``time.process_time`` for one run (``forward`` includes the evaluation's later layers,
    ``gather`` the evaluation's one gather per chunk)."""
    from mtl_pipeline.training import inputs, network, optim, trainer

    phases = {
        "adam": (optim.StackedAdam, "step"),
        "first-layer gradient (transpose + addmm)": (network.StackedNetwork, "finish_backward"),
        "  of which transpose": (inputs.SparseBatch, "transposed"),
        "forward": (network.StackedNetwork, "__call__"),
        "evaluation": (trainer, "_evaluate"),
        "backward": (torch.Tensor, "backward"),
        "gather": (inputs.SparseInput, "gather"),
        "loss": (trainer, "masked_cross_entropy"),
        "epoch plan": (ChunkScheduler, "next_epoch"),
    }
    spent = dict.fromkeys(phases, 0.0)
    originals = {name: getattr(*where) for name, where in phases.items()}
    own = {name: attr in vars(owner) for name, (owner, attr) in phases.items()}  # vs inherited

    def timed(name, fn):
        def call(*args, **kwargs):
            t = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - t

        return call

    try:
        for name, (owner, attr) in phases.items():
            setattr(owner, attr, timed(name, originals[name]))
        t = time.process_time()
        train_stacked(tfidf, jobs, model, train, device="cpu", chunk_size=len(jobs), progress=False)
        spent["total"] = time.process_time() - t
    finally:
        for name, (owner, attr) in phases.items():
            if own[name]:
                setattr(owner, attr, originals[name])
            else:
                delattr(owner, attr)
    return {name: 1000 * sec / (len(jobs) * train.epochs) for name, sec in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", default=str(ROOT.parent / "shared/data/20news-bydate.tar.gz"))
    parser.add_argument("--models", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=None, help="default: the configuration's")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--threads", type=int, nargs="+", default=[1])
    parser.add_argument("--load", type=int, default=0, help="busy-looping processes to start")
    parser.add_argument(
        "--phases", type=int, default=0, metavar="EPOCHS",
        help="also time the trainer's phases over a run of this many epochs (0 = no)",
    )  # fmt: skip
    args = parser.parse_args()
    torch.set_num_threads(1)
    tfidf, jobs, model, train = real_jobs(args.archive, args.models)
    train = dataclasses.replace(train, epochs=args.epochs or train.epochs)
    n_classes = [t.n_classes for t in jobs[0].tasks]
    sched = ChunkScheduler(jobs, train.schedule, train.batch_size, tfidf.shape[0])
    steps = float(np.mean(sched.steps_per_model))
    evals = 1.0 / train.eval_every
    M = len(jobs)

    stop = mp.Event()
    load = [mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(args.load)]
    for p in load:
        p.start()
    shapes = (tfidf.shape[1], model.hidden_sizes, n_classes, M, 20)
    try:
        # the bound is sampled before and after the trainer is timed: on a shared machine the
        # memory bandwidth left to this process drifts by tens of percent within minutes
        samples = [measure_bound(*shapes)]
        trainer = {
            t: time_trainer(tfidf, jobs, model, train, t, args.repeats) for t in args.threads
        }
        samples.append(measure_bound(*shapes))
    finally:
        stop.set()
        for p in load:
            p.join()
    adam, write, read = np.mean(samples, axis=0)
    bound = steps * (adam + write) + evals * read
    each_bound = [steps * (a + w) + evals * r for a, w, r in samples]
    print(
        f"{M} MTL models (real 20NG TF-IDF {tfidf.shape[0]} x {tfidf.shape[1]}, "
        f"{tfidf.nnz / tfidf.shape[0]:.0f} non-zeros per row), {train.epochs} epochs, "
        f"{steps:.1f} steps per epoch, load {args.load} busy processes"
    )
    print(
        f"per model-step: fused Adam {adam:.3f} ms, gradient write {write:.3f} ms; "
        f"weight read {read:.3f} ms per evaluation"
    )
    print(
        f"bound {bound:.2f} ms per model-epoch (CPU time, one thread; mean of the samples "
        f"before and after the trainer: {each_bound[0]:.2f}, {each_bound[1]:.2f})"
    )
    for threads, times in trainer.items():
        each = ", ".join(f"{ms:.2f}" for ms in times)
        print(
            f"trainer, torch threads {threads}: {min(times):.2f} ms CPU per model-epoch "
            f"(best of {args.repeats}: {each})"
        )
    if args.phases:
        torch.set_num_threads(1)
        phase_train = dataclasses.replace(train, epochs=args.phases)
        print(f"phases, CPU ms per model-epoch ({args.phases} epochs, one thread):")
        for name, ms in time_phases(tfidf, jobs, model, phase_train).items():
            print(f"  {name:42s} {ms:6.2f}")
    print(f"ratio_to_bound={min(trainer[args.threads[0]]) / bound:.2f}")


if __name__ == "__main__":
    main()
