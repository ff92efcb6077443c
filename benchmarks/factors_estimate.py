"""How many models the full factor sweep needs, and an estimate of its wall time on this CPU.

Builds the sweep plan of a configuration (default conf/base: 52 related + 26 unrelated-only
pairs × 2 seeds, five sizes per size sweep, four class ratios) on the real 20NG archive without
training it, counts its distinct STL and MTL models and those at the base configuration (the
base study's own models, found in the shard store after ``kedro run --pipelines=meta``), then
estimates the training time of the rest from a per-model-epoch cost:

- **measured here**: ``--sample`` STL and as many MTL models drawn at random from the plan
  (every sweep point represented in proportion), trained ``--epochs`` epochs in shards of the
  default size without a store; CPU time of this process (``time.process_time``, torch on one
  thread), per model-epoch, per kind;
- **from a quick run** (``--quick-seconds S --quick-models N --quick-epochs E``, the
  ``models: trained=N ... seconds=S`` line of ``kedro run --pipelines=factors --env quick``):
  S / (N × E), the same for both kinds (wall time on a loaded machine: an upper bound).

Both are estimates: the full sweep trains ``stl_epochs`` / ``mtl_epochs`` epochs per model
(100 in conf/base), and the per-epoch cost is taken as constant over epochs.

    PYTHONPATH=src OMP_NUM_THREADS=1 nice -n 19 python benchmarks/factors_estimate.py
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from mtl_pipeline.pipelines.factors import nodes as factor_nodes
from mtl_pipeline.pipelines.newsgroups import nodes as ng_nodes
from mtl_pipeline.settings import project_parameters
from mtl_pipeline.specs import newsgroups as newsgroups_spec
from mtl_pipeline.training.executor import ExecutionSpec, WorkGroup, train_durably

ROOT = Path(__file__).resolve().parents[1]


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h ({seconds / 60:.0f} min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", default=str(ROOT.parent / "shared/data/20news-bydate.tar.gz"))
    parser.add_argument("--env", default="base")
    parser.add_argument("--sample", type=int, default=32, help="models timed per kind")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the timed models")
    parser.add_argument("--quick-seconds", type=float, default=None)
    parser.add_argument("--quick-models", type=int, default=None)
    parser.add_argument("--quick-epochs", type=int, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)

    parameters = project_parameters(args.env)
    params = parameters
    ng, factors = dict(params["newsgroups"]), params["factors"]
    ng["archive"] = args.archive
    documents = ng_nodes.ingest_newsgroups(ng)
    pairs = factor_nodes.build_factor_pairs(documents, ng, factors)
    samples = factor_nodes.build_factor_samples(documents, pairs, ng)
    _, plan = factor_nodes._plan(pairs, samples, ng, factors)
    runs = plan.runs
    base_ids = set(runs.loc[runs["base_point"], "stl_model_id"]) | set(
        runs.loc[runs["base_point"], "mtl_model_id"]
    )
    n_stl, n_mtl = len(plan.stl), len(plan.mtl)
    new_stl = sum(j.model_id not in base_ids for j in plan.stl)
    new_mtl = sum(j.model_id not in base_ids for j in plan.mtl)
    train = newsgroups_spec.train_spec(ng["train"])
    epochs = {"stl": train.stl_epochs, "mtl": train.mtl_epochs}
    print(
        f"env {args.env}: pairs {pairs['group'].value_counts().to_dict()} x seeds "
        f"{list(factors['seeds'])}; {len(runs)} runs ({int((runs['status'] != 'ok').sum())} "
        "degenerate)"
    )
    print(
        f"distinct models: {n_stl} STL + {n_mtl} MTL = {n_stl + n_mtl}; at the base "
        f"configuration (the base study's, reused): {n_stl + n_mtl - new_stl - new_mtl}; "
        f"to train: {new_stl} STL + {new_mtl} MTL = {new_stl + new_mtl}; epochs {epochs}"
    )
    model_epochs = {"stl": new_stl * epochs["stl"], "mtl": new_mtl * epochs["mtl"]}

    tfidf, _ = ng_nodes.build_tfidf(documents, ng["tfidf"])
    rng = np.random.default_rng(0)
    execution = ExecutionSpec(store=None, progress=False, device="cpu", torch_threads=1)
    per_model_epoch = {}
    for kind, jobs in (("stl", plan.stl), ("mtl", plan.mtl)):
        chosen = [
            jobs[i] for i in rng.choice(len(jobs), min(args.sample, len(jobs)), replace=False)
        ]
        model = newsgroups_spec.model_spec(ng["model"])
        schedule = train.schedule_of(kind, args.epochs)
        t = time.process_time()
        train_durably(tfidf, [WorkGroup(kind, chosen, model, schedule)], execution)
        per_model_epoch[kind] = (time.process_time() - t) / (len(chosen) * args.epochs)
        print(
            f"measured {kind.upper()}: {len(chosen)} models x {args.epochs} epochs, "
            f"{1000 * per_model_epoch[kind]:.1f} ms CPU per model-epoch"
        )
    measured = sum(model_epochs[k] * per_model_epoch[k] for k in model_epochs)
    print(
        f"ESTIMATED full sweep (measured costs, one core): {_hours(measured)} of CPU time; "
        f"about {_hours(measured / 2)} wall with two idle cores (two workers)"
    )
    if args.quick_seconds and args.quick_models and args.quick_epochs:
        cost = args.quick_seconds / (args.quick_models * args.quick_epochs)
        quick = sum(model_epochs.values()) * cost
        print(
            f"ESTIMATED full sweep (quick run: {args.quick_models} models x "
            f"{args.quick_epochs} epochs in {args.quick_seconds:.1f} s = "
            f"{1000 * cost:.1f} ms per model-epoch, wall): {_hours(quick)} wall"
        )


if __name__ == "__main__":
    main()
