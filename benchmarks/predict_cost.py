"""Seconds per pair: the `predict` pipeline's work vs training the pair's STL and MTL models.

On the real 20NG archive with a configuration's parameters (default conf/base: 200 documents
per class, 100 epochs, headers/footers/quotes removed), for K pairs of one problem and seed 0:

1. predict (no curves): task samples + dataset features + the fitted meta-model applied;
   "+ warm-up" adds the warm-up affinities (``meta.warmup``: a short joint warm-up of each
   pair's MTL model with the affinity probe), which `predict` computes when the model uses them;
   "+ Grad-TAG" adds the Grad-TAG-style estimate at the warm-up's end (``meta.warmup.gradtag``,
   timed inside the warm-up: ``GradTagProbe.finish``);
2. predict with STL curves: 1. plus the two tasks' single-task models and curve features;
3. training: STL models of the pairs' tasks + their MTL models (what `newsgroups` runs),
   then the gains that label the meta-examples.

Then the cost of each predictor of the registry (``mtl_pipeline.meta.predictors.PREDICTORS``,
the predictors ``meta_targets`` scores) per pair, from the work items it needs (dataset
features, STL curves, warm-up, Grad-TAG fits), as a fraction of training the pair's STL and MTL models.

Reading the archive and TF-IDF are timed apart: `predict` loads them from the catalog, and
training needs them too. No shard store (nothing reused). The meta-model applied in 1. is
fitted on the K pairs' own training outcome (the apply step is what is timed, not its quality).
Times are CPU time of this process (``time.process_time``, torch on one thread), so that a
loaded machine changes them less than wall time.

    PYTHONPATH=src OMP_NUM_THREADS=1 nice -n 15 python benchmarks/predict_cost.py --pairs 4
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from mtl_pipeline.meta.model import MetaModelConfig
from mtl_pipeline.meta.predict import fit_meta_predictor, predict_gains
from mtl_pipeline.meta.predictors import NEEDS, PREDICTORS
from mtl_pipeline.pipelines.meta import nodes as meta_nodes
from mtl_pipeline.pipelines.newsgroups import nodes as ng_nodes
from mtl_pipeline.settings import project_parameters
from mtl_pipeline.tasks.hierarchy import assign_seeds
from mtl_pipeline.training.gradtag import GradTagProbe

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", default=str(ROOT.parent / "shared/data/20news-bydate.tar.gz"))
    parser.add_argument("--env", default="base")
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--problem", default="related")
    parser.add_argument("--epochs", type=int, default=None, help="override stl/mtl epochs")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="write each predictor's cost per pair as JSON (read by readme_tables --costs)",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)

    parameters = project_parameters(args.env)
    params = parameters
    ng, meta = dict(params["newsgroups"]), params["meta"]
    ng["archive"] = args.archive
    execution = {**ng["training"], "shard_store": None, "progress": False, "device": "cpu"}
    train = dict(ng["train"])
    if args.epochs:
        train.update(stl_epochs=args.epochs, mtl_epochs=args.epochs)
    training = (ng["model"], train, execution)

    t = time.process_time()
    documents = ng_nodes.ingest_newsgroups(ng)
    t_read = time.process_time() - t
    t = time.process_time()
    tfidf, _ = ng_nodes.build_tfidf(documents, ng["tfidf"])
    t_tfidf = time.process_time() - t
    all_pairs = ng_nodes.build_task_pairs(documents, {**ng, "pairs_per_problem": None})
    pairs = all_pairs.loc[all_pairs["problem"] == args.problem].head(args.pairs)
    pairs = assign_seeds(pairs.drop(columns="seeds"), [0]).reset_index(drop=True)
    k = len(pairs)

    t = time.process_time()
    samples = ng_nodes.build_task_samples(documents, pairs, ng)
    features = meta_nodes.compute_dataset_features(pairs, samples, documents, meta)
    t_features = time.process_time() - t

    # the Grad-TAG estimate runs at the warm-up's end (GradTagProbe.finish), in this process
    # (local executor): timed there, and the rest of the warm-up is TAG's
    finish_seconds = []
    real_finish = GradTagProbe.finish

    def timed_finish(self, *args):
        started = time.process_time()
        real_finish(self, *args)
        finish_seconds.append(time.process_time() - started)

    GradTagProbe.finish = timed_finish
    t = time.process_time()
    warmup = meta_nodes.compute_warmup_features(tfidf, pairs, samples, *training, meta)
    t_gradtag = sum(finish_seconds)
    t_warmup = time.process_time() - t - t_gradtag
    GradTagProbe.finish = real_finish
    assert warmup.filter(like="affinity").notna().all().all()
    assert warmup.filter(like="gradtag").notna().all().all()

    t = time.process_time()
    stl = ng_nodes.train_stl_models(tfidf, pairs, samples, *training)
    t_stl = time.process_time() - t
    t = time.process_time()
    curve = meta_nodes.compute_curve_features(pairs, stl, meta)
    t_curve_features = time.process_time() - t
    t = time.process_time()
    mtl = ng_nodes.train_mtl_models(tfidf, pairs, samples, *training)
    t_mtl = time.process_time() - t
    gains, _ = ng_nodes.compute_mtl_gains(
        pairs, ng_nodes.combine_learning_curves(stl, mtl), ng["gain"]
    )

    meta_features = meta_nodes.join_features(gains, features, curve, warmup)
    predictor = fit_meta_predictor(
        meta_features, MetaModelConfig(repetitions=1, folds=2), feature_subset="no_curve"
    )
    t = time.process_time()
    predicted = predict_gains(predictor, features.merge(warmup))
    t_apply = time.process_time() - t
    assert len(predicted) == k

    epochs = train["stl_epochs"], train["mtl_epochs"]
    n_stl = stl["model_id"].nunique()
    print(f"{k} {args.problem} pairs x seed 0, env {args.env}, epochs (STL, MTL) {epochs}")
    print(f"read archive {t_read:.1f} s, TF-IDF {t_tfidf:.1f} s (both: once, shared)")
    per = {
        "predict (dataset features + apply)": t_features + t_apply,
        f"predict + warm-up ({meta['warmup']['epochs']} epochs)": t_features + t_apply + t_warmup,
        "predict + warm-up + Grad-TAG": t_features + t_apply + t_warmup + t_gradtag,
        "predict with STL curves": t_features + t_apply + t_stl + t_curve_features,
        f"train STL ({n_stl} models) + MTL ({k} models)": t_stl + t_mtl,
    }
    for name, seconds in per.items():
        print(f"{name:45s} {seconds:8.2f} s  = {seconds / k:7.2f} s per pair")
    ratio = (t_stl + t_mtl) / (t_features + t_apply)
    print(f"training / predict (no curves) = {ratio:.0f}x;  apply alone {t_apply * 1e3:.1f} ms")

    need_seconds = {
        "dataset": t_features + t_apply,
        "stl": t_stl + t_curve_features,
        "warmup": t_warmup,
        "gradtag": t_gradtag,
    }
    assert set(need_seconds) == set(NEEDS)
    training_per_pair = (t_stl + t_mtl) / k
    print(f"\ncost per pair of each predictor (CPU s; training = {training_per_pair:.2f} s/pair)")
    costs = {}
    for predictor in PREDICTORS.values():
        seconds = sum(need_seconds[n] for n in predictor.needs) / k
        share = seconds / training_per_pair
        costs[predictor.name] = {
            "seconds_per_pair": seconds,
            "fraction_of_training": share,
            "needs": list(predictor.needs),
        }
        print(
            f"{predictor.name:15s} {seconds:8.3f} s  = {share:6.1%} of training  ({'+'.join(predictor.needs)})"
        )
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "command": "python benchmarks/predict_cost.py " + " ".join(sys.argv[1:]),
            "date": time.strftime("%Y-%m-%d"),
            "env": args.env,
            "problem": args.problem,
            "pairs": k,
            "training_seconds_per_pair": training_per_pair,
            "clock": "CPU time of this process (time.process_time), torch on one thread",
            "predictors": costs,
        }
        args.output.write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
