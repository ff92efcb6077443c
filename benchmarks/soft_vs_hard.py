"""Hard vs soft parameter sharing on a few related 20NG pairs (real archive, one seed).

STL models once, then the pairs' MTL models with hard sharing and with soft sharing for each
λ given; gains of MTL over STL on the main task (the configuration's gain metric and epochs).

    PYTHONPATH=src OMP_NUM_THREADS=1 nice -n 15 python benchmarks/soft_vs_hard.py --pairs 6
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from mtl_pipeline.pipelines.newsgroups import nodes as ng_nodes
from mtl_pipeline.settings import project_parameters
from mtl_pipeline.tasks.hierarchy import assign_seeds

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", default=str(ROOT.parent / "shared/data/20news-bydate.tar.gz"))
    parser.add_argument("--env", default="base")
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--lambdas", type=float, nargs="+", default=[0.1, 10.0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    parameters = project_parameters(args.env)
    ng = dict(parameters["newsgroups"])
    ng["archive"] = args.archive
    execution = {**ng["training"], "shard_store": None, "progress": False, "device": "cpu"}
    documents = ng_nodes.ingest_newsgroups(ng)
    tfidf, _ = ng_nodes.build_tfidf(documents, ng["tfidf"])
    pairs = ng_nodes.build_task_pairs(documents, {**ng, "pairs_per_problem": None})
    pairs = pairs.loc[pairs["problem"] == "related"].head(args.pairs).drop(columns="seeds")
    pairs = assign_seeds(pairs, [args.seed]).reset_index(drop=True)
    samples = ng_nodes.build_task_samples(documents, pairs, ng)
    stl = ng_nodes.train_stl_models(tfidf, pairs, samples, ng["model"], ng["train"], execution)
    print(f"{len(pairs)} related pairs x seed {args.seed}, env {args.env}, metric "
          f"{ng['gain']['metric']}, epochs (STL, MTL) {ng['train']['stl_epochs']}, "
          f"{ng['train']['mtl_epochs']}")  # fmt: skip
    variants = [("hard", {})] + [
        (f"soft λ={lam:g}", {"sharing": "soft", "soft_sharing_lambda": lam}) for lam in args.lambdas
    ]
    for name, extra in variants:
        t = time.perf_counter()
        mtl = ng_nodes.train_mtl_models(
            tfidf, pairs, samples, {**ng["model"], **extra}, ng["train"], execution
        )
        seconds = time.perf_counter() - t
        # STL models do not depend on the sharing, but the provenance check compares the whole
        # model block (sharing keys included): same STL curves, relabelled
        stl_same = stl.assign(training_fingerprint=mtl["training_fingerprint"].iloc[0])
        gains, _ = ng_nodes.compute_mtl_gains(
            pairs, ng_nodes.combine_learning_curves(stl_same, mtl), ng["gain"]
        )
        print(
            f"{name:14s} STL {gains['stl_score'].mean():.4f}  MTL {gains['mtl_score'].mean():.4f}  "
            f"gain {gains['gain'].mean():+.4f}  improved {gains['improved'].mean():.0%} "
            f"of {len(gains)}  ({seconds:.0f} s)"
        )


if __name__ == "__main__":
    main()
