"""Speed of the stacked trainer vs training the same models one at a time (synthetic 20NG shape).

Builds a 20-Newsgroups-shaped TF-IDF matrix (18,846 documents by default, 20 groups split
60/40 train/test like "bydate", Zipf-distributed vocabulary, L2-normalised rows), binary tasks
"group X vs group Y" with 200 training documents per class and all test documents of the two
groups as test rows, and MTL jobs of two tasks each (10,000 -> 100 -> 100 ReLU, two heads,
Adam 1e-3, batch 32).

Baselines for "one at a time" (``--baseline``):
  stacked1  a loop of train_stacked calls with one model each (same code, M = 1)
  plain     a plain per-model PyTorch loop: nn.Sequential trunk + nn.Linear heads,
            torch.optim.Adam, first layer as torch.sparse.mm on the batch's CSR rows, the
            same per-epoch test evaluation

Examples:
  python benchmarks/train_speed.py --device cpu --models 8 --epochs 5
  python benchmarks/train_speed.py --device cuda --models 256 --epochs 10 --baseline plain
  python benchmarks/train_speed.py --device cuda --full-study
"""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mtl_pipeline.training import (  # noqa: E402
    ModelJob,
    ModelSpec,
    TaskSplit,
    TrainSpec,
    resolve_device,
    train_stacked,
)


def synthetic_corpus(n_docs: int, vocab: int, density: float, n_groups: int, seed: int):
    """Sparse TF-IDF-like matrix with group-dependent Zipf vocabularies; doc groups; train flag.

    Zipf draws repeat frequent terms, so the draw count is calibrated once to hit ``density``.
    """
    X, groups, is_train = _corpus(n_docs, vocab, density, n_groups, seed)
    actual = X.nnz / (n_docs * vocab)
    return _corpus(n_docs, vocab, density * density / actual, n_groups, seed)


def _corpus(n_docs: int, vocab: int, density: float, n_groups: int, seed: int):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups, n_docs)
    is_train = rng.random(n_docs) < 0.6
    nnz_per_doc = np.maximum(1, rng.poisson(density * vocab, n_docs))
    base = 1.0 / np.arange(1, vocab + 1) ** 1.05
    # every group prefers its own random subset of the vocabulary
    perms = [rng.permutation(vocab) for _ in range(n_groups)]
    probs = []
    for g in range(n_groups):
        p = base.copy()
        p[perms[g][: vocab // 20]] *= 8.0
        probs.append(p / p.sum())
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(nnz_per_doc)
    indices = np.empty(indptr[-1], dtype=np.int32)
    for g in range(n_groups):
        docs = np.flatnonzero(groups == g)
        need = nnz_per_doc[docs].sum()
        draws = rng.choice(vocab, size=int(need * 1.3) + 10, p=probs[g])
        pos = 0
        for d in docs:
            k = nnz_per_doc[d]
            cols = np.unique(draws[pos : pos + k])
            pos += k
            indices[indptr[d] : indptr[d] + cols.size] = cols
            nnz_per_doc[d] = cols.size
    # compact (np.unique may have shrunk rows)
    rows = [indices[indptr[d] : indptr[d] + nnz_per_doc[d]] for d in range(n_docs)]
    X = sp.csr_matrix(
        (np.ones(sum(r.size for r in rows), dtype=np.float32), np.concatenate(rows),
         np.concatenate([[0], np.cumsum([r.size for r in rows])])),
        shape=(n_docs, vocab),
    )  # fmt: skip
    X.data = (rng.random(X.nnz).astype(np.float32) + 0.1) * 3
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = sp.diags(1.0 / np.maximum(norms, 1e-12)).astype(np.float32) @ X
    return X.tocsr(), groups, is_train


def make_task(groups, is_train, a: int, b: int, seed: int, per_class: int) -> TaskSplit:
    rng = np.random.default_rng(seed * 1000 + a * 20 + b)
    tr_a = rng.choice(np.flatnonzero((groups == a) & is_train), per_class, replace=False)
    tr_b = rng.choice(np.flatnonzero((groups == b) & is_train), per_class, replace=False)
    te = np.flatnonzero(((groups == a) | (groups == b)) & ~is_train)
    rows = np.concatenate([tr_a, tr_b])
    return TaskSplit(
        f"g{a} vs g{b}",
        rows,
        (groups[rows] == a).astype(np.int64),
        te,
        (groups[te] == a).astype(np.int64),
    )


def make_jobs(
    groups, is_train, n_mtl: int, n_stl: int, per_class: int, n_groups: int, seeds: int = 5
):
    pairs = list(itertools.combinations(range(n_groups), 2))
    task_cache: dict[tuple[int, int, int], TaskSplit] = {}

    def task(i: int, seed: int) -> TaskSplit:
        a, b = pairs[i % len(pairs)]
        key = (a, b, seed)
        if key not in task_cache:
            task_cache[key] = make_task(groups, is_train, a, b, seed, per_class)
        return task_cache[key]

    jobs = []
    for k in range(n_stl):
        seed = k % seeds
        jobs.append(ModelJob(f"stl|{k}", "stl", seed, (task(k // seeds, seed),)))
    for k in range(n_mtl):
        seed = k % seeds
        i = k // seeds
        jobs.append(ModelJob(f"mtl|{k}", "mtl", seed, (task(i, seed), task(i + 7, seed))))
    return jobs


def plain_one_model(
    X: sp.csr_matrix, job: ModelJob, train: TrainSpec, device: torch.device
) -> None:
    """Reference one-model loop in plain PyTorch (what a straightforward implementation does)."""
    torch.manual_seed(job.seed)
    V = X.shape[1]
    trunk = nn.Sequential(nn.Linear(V, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU()).to(device)
    heads = nn.ModuleList(nn.Linear(100, 2) for _ in job.tasks).to(device)
    opt = torch.optim.Adam([*trunk.parameters(), *heads.parameters()], lr=train.learning_rate)
    rng = np.random.default_rng(job.seed)

    def to_torch(rows):
        sub = X[rows]
        return torch.sparse_csr_tensor(
            torch.as_tensor(sub.indptr, dtype=torch.int64), torch.as_tensor(sub.indices, dtype=torch.int64),
            torch.as_tensor(sub.data), size=sub.shape,
        ).to(device)  # fmt: skip

    def forward(xs, t):
        h = torch.sparse.mm(xs, trunk[0].weight.t()) + trunk[0].bias
        return heads[t](trunk[3](trunk[2](trunk[1](h))))

    tests = [
        (to_torch(t.test_rows), torch.as_tensor(t.test_labels, device=device)) for t in job.tasks
    ]
    n_max = max(t.train_rows.size for t in job.tasks)
    B = train.batch_size
    for _ in range(train.epochs):
        perms = [rng.permutation(t.train_rows.size) for t in job.tasks]
        for s in range(0, n_max, B):
            opt.zero_grad()
            loss = 0
            for t, task in enumerate(job.tasks):
                idx = perms[t][s : s + B]
                xb = to_torch(task.train_rows[idx])
                yb = torch.as_tensor(task.train_labels[idx], device=device)
                loss = loss + nn.functional.cross_entropy(forward(xb, t), yb)
            loss.backward()
            opt.step()
        with torch.no_grad():
            for t, (xt, yt) in enumerate(tests):
                logits = forward(xt, t)
                pred = logits.argmax(1)
                _ = (
                    nn.functional.cross_entropy(logits, yt),
                    (pred == yt).float().mean(),
                    (pred & yt).sum(),
                )
    if device.type == "cuda":
        torch.cuda.synchronize()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--device", default="auto")
    ap.add_argument("--models", type=int, default=16, help="MTL models to time (two tasks each)")
    ap.add_argument("--epochs", type=int, default=None, help="default 5 (100 with --full-study)")
    ap.add_argument("--docs-per-task", type=int, default=400, help="training documents per task")
    ap.add_argument("--vocab", type=int, default=10_000)
    ap.add_argument(
        "--density", type=float, default=0.01, help="mean share of non-zero columns per doc"
    )
    ap.add_argument("--n-docs", type=int, default=18_846)
    ap.add_argument("--baseline", choices=["stacked1", "plain", "none"], default="stacked1")
    ap.add_argument("--baseline-models", type=int, default=None, help="time the baseline on this many "
                    "of the models and extrapolate linearly (default: all)")  # fmt: skip
    ap.add_argument("--chunk-size", type=int, default=None)
    ap.add_argument("--input-mode", default="auto", choices=["auto", "sparse", "dense"])
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (CPU)")
    ap.add_argument(
        "--full-study", action="store_true", help="time the full 20NG-sized study stacked only"
    )
    ap.add_argument(
        "--full-study-tasks", type=int, default=190, help="distinct STL tasks (x5 seeds)"
    )
    ap.add_argument("--full-study-mtl", type=int, default=2580)
    ap.add_argument("--progress", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = resolve_device(args.device)
    t = time.perf_counter()
    X, groups, is_train = synthetic_corpus(args.n_docs, args.vocab, args.density, 20, seed=0)
    print(f"corpus: {X.shape[0]} docs x {X.shape[1]} terms, density {X.nnz / np.prod(X.shape):.4f}, "
          f"built in {time.perf_counter() - t:.1f}s; device {dev}; torch threads {torch.get_num_threads()}")  # fmt: skip
    spec = ModelSpec(hidden_sizes=(100, 100), activation="relu")
    per_class = args.docs_per_task // 2
    if args.full_study:
        train = TrainSpec(epochs=args.epochs or 100)
        jobs = make_jobs(
            groups, is_train, args.full_study_mtl, args.full_study_tasks * 5, per_class, 20
        )
        print(f"full study: {len(jobs)} models ({args.full_study_tasks * 5} STL + {args.full_study_mtl} MTL), "
              f"{train.epochs} epochs")  # fmt: skip
        res = train_stacked(X, jobs, spec, train, device=args.device, chunk_size=args.chunk_size,
                            progress=args.progress, input_mode=args.input_mode)  # fmt: skip
        print(f"full_study_seconds={res.seconds:.1f}")
        return
    train = TrainSpec(epochs=args.epochs or 5)
    jobs = make_jobs(groups, is_train, args.models, 0, per_class, 20)
    # warm-up (allocator, kernels) so neither side pays first-call costs
    train_stacked(X, jobs[:2], spec, TrainSpec(epochs=1), device=args.device, progress=False)
    res = train_stacked(X, jobs, spec, train, device=args.device, chunk_size=args.chunk_size,
                        progress=args.progress, input_mode=args.input_mode)  # fmt: skip
    stacked = res.seconds
    print(f"stacked: {len(jobs)} models x {train.epochs} epochs in {stacked:.2f}s "
          f"({stacked / len(jobs) * 1e3:.1f} ms/model)")  # fmt: skip
    if args.baseline == "none":
        return
    n_base = args.baseline_models or len(jobs)
    t = time.perf_counter()
    for job in jobs[:n_base]:
        if args.baseline == "stacked1":
            train_stacked(
                X,
                [job],
                spec,
                train,
                device=args.device,
                progress=False,
                input_mode=args.input_mode,
            )
        else:
            plain_one_model(X, job, train, dev)
    base = (time.perf_counter() - t) * len(jobs) / n_base
    note = "" if n_base == len(jobs) else f" (timed {n_base}, extrapolated)"
    print(
        f"one-at-a-time ({args.baseline}): {base:.2f}s{note} ({base / len(jobs) * 1e3:.1f} ms/model)"
    )
    print(f"speedup={base / stacked:.2f}")


if __name__ == "__main__":
    main()
