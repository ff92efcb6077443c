"""train_stacked: the one trainer of every model family (STL/MTL MLPs, sequence encoders).

All models of a chunk are trained as one set of batched tensors (leading dim M): one batched
matmul per layer, one fused Adam step for all. Each model's initialisation comes only from its
own CPU ``torch.Generator(seed)`` (drawn on the CPU, then moved to the training device), its data
order from its own ``numpy.random.Generator(seed)`` and its dropout from a hash of its seed
(integer arithmetic, the same on every device), so a model gets the same result alone or
stacked, and on CPU or GPU (up to floating-point summation order).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from .batching import ChunkScheduler
from .dropout import seed_keys
from .layout import AUX_METRICS, METRICS, by_task_signature, curve_columns, has_aux, meta_keys
from .losses import masked_cross_entropy
from .metrics import f1_scores
from .network import StackedNetwork
from .optim import StackedAdam
from .specs import ModelJob, ModelSpec, TrainingResult, TrainSpec

logger = logging.getLogger(__name__)

CPU_MAX_CHUNK = 64  # on CPU, beyond this the per-step Python overhead is already amortised
CUDA_MAX_CHUNK = 4096


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """ "auto" → cuda if available else cpu; anything else is passed to torch.device."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device={device!r} was requested but CUDA is not available")
    return dev


def init_generators(seeds: Sequence[int]) -> list[torch.Generator]:
    """One CPU ``torch.Generator(seed)`` per model, whatever the training device: every initial
    weight is drawn on the CPU and then moved, so a model's initialisation (and its result, up to
    float summation order) is the same on CPU and GPU, and a shard store trained on one device is
    valid on the other. CUDA's random stream differs from the CPU's for the same seed."""
    return [torch.Generator(device="cpu").manual_seed(int(s)) for s in seeds]


def _oom_hook(n_models: int, stage: str) -> None:
    """Injection point for tests: raise torch.cuda.OutOfMemoryError to simulate a chunk too big."""


@contextlib.contextmanager
def _tf32(enabled: bool, device: torch.device) -> Iterator[None]:
    if device.type != "cuda" or not enabled:
        yield
        return
    prev = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = prev


@dataclass
class _ChunkOut:
    jobs: list[ModelJob]
    train_loss: np.ndarray  # (E, M, T) mean train loss per task and epoch (nan = task unscheduled)
    metrics: np.ndarray  # (E, M, T, 4) test metrics, nan where not evaluated
    preds: list[np.ndarray]  # per slot (M, N_t) final predictions (-1 on padding)
    test_rows: list[np.ndarray]  # per slot (M, N_t) rows (-1 on padding)
    test_labels: list[np.ndarray]
    probe: np.ndarray | None = None  # (M, n) per-model values of a probe (None = no probe)


def _make_input(
    features: object, model: ModelSpec, device: torch.device, dtype: torch.dtype, mode: str
):
    """The features on the device as the input adapter of the model's family."""
    family = model.family
    return family.input_kind.make(features, family.name, device, dtype, mode)


def _validate(jobs: Sequence[ModelJob], n_rows: int) -> None:
    if not jobs:
        raise ValueError("train_stacked: jobs is empty")
    seen: set[str] = set()
    for job in jobs:
        if job.model_id in seen:
            raise ValueError(f"train_stacked: duplicate model_id {job.model_id!r}")
        seen.add(job.model_id)
        for task in job.tasks:
            for split in ("train", "test"):
                rows = getattr(task, f"{split}_rows")
                if rows.size and rows.max() >= n_rows:
                    raise ValueError(
                        f"model {job.model_id!r}, task {task.name!r}: {split}_rows contains row "
                        f"{int(rows.max())} but features has only {n_rows} rows"
                    )


def _available_bytes(device: torch.device, memory_budget_bytes: int | None) -> int:
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        avail = int(free * 0.7)
    else:
        try:
            avail = int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") * 0.5)
        except (ValueError, OSError, AttributeError):
            avail = 2 * 1024**3
        avail = min(avail, 8 * 1024**3)
    return min(avail, memory_budget_bytes) if memory_budget_bytes else avail


def _bytes_per_model(
    model: ModelSpec,
    inp,
    n_classes: Sequence[int],
    rows_per_step: int,
    itemsize: int,
    probe_factory=None,
) -> int:
    """Parameters x (weight, grad, 2 moments) + a generous activation allowance per model, + what
    a probe observing every step adds (its ``bytes_per_model(n_shared_params, itemsize)``)."""
    probe = StackedNetwork(
        model, 1, inp.dim, n_classes, [torch.Generator().manual_seed(0)], torch.device("cpu"),
        torch.float32, seed_keys([0], torch.device("cpu")), _embedding(model, torch.device("cpu")),
    )  # fmt: skip
    n_params = sum(p.numel() for p in probe.parameters() if p.requires_grad)
    act = rows_per_step * _activation_width(model, inp) * itemsize * 8
    if inp.kind == "sparse":  # gathered bag indices/values + the sorted transpose (~80 B/nnz)
        act += int(rows_per_step * _avg_nnz(inp) * 80)
    elif inp.kind == "dense":
        act += rows_per_step * inp.dim * itemsize * 2
    if probe_factory is not None and hasattr(probe_factory(1), "bytes_per_model"):
        shared = sum(p.numel() for p, group in probe.param_groups() if group == 0)
        act += probe_factory(1).bytes_per_model(shared, itemsize)
    return 4 * n_params * itemsize + act


def _activation_width(model: ModelSpec, inp) -> int:
    """Activation values per row (all hidden layers, or the sequence encoder) + a margin."""
    return model.family.activation_width(model, inp.dim) + 64


def _avg_nnz(inp) -> float:
    return float(max(1.0, inp.lens_host.mean())) if inp.kind == "sparse" else 0.0


def _to_device(arr: np.ndarray, device: torch.device) -> torch.Tensor:
    """Host plan -> device without stalling the host: pinned + non_blocking on CUDA."""
    t = torch.as_tensor(arr)
    if device.type == "cuda":
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)


def _embedding(
    model: ModelSpec, device: torch.device, dtype: torch.dtype = torch.float32
) -> torch.Tensor | None:
    if not model.family.needs_embedding:
        return None
    if model.embedding is None:
        raise ValueError(
            f"ModelSpec.encoder={model.encoder!r} needs ModelSpec.embedding (vocab, dim)"
        )
    return torch.as_tensor(np.asarray(model.embedding), dtype=dtype, device=device)


@dataclass
class _EvalLayout:
    """Static evaluation layout of a chunk: slot t occupies columns [offs[t], offs[t] + N_t)."""

    sizes: list[int]
    offs: np.ndarray
    rows: np.ndarray  # (M, sum N_t) host rows, pad_row on padding
    rows_dev: torch.Tensor
    labels: list[np.ndarray]  # per slot (M, N_t), -1 on padding
    labels_dev: list[torch.Tensor]
    positive: list[torch.Tensor]  # per slot (M,) positive class
    blocks: list[tuple[int, int]]  # column blocks evaluated at once
    block_nnz: list[object]
    # CPU, sparse MLP input: every test row gathered once per chunk (the rows never change);
    # its first layer is then one model-major pass, each model's weight rows hot in cache
    all_rows: object | None = None


def _plan_evaluation(jobs: list[ModelJob], inp, device: torch.device, rows_per_block: int):
    T = len(jobs[0].tasks)
    sizes = [max(j.tasks[t].test_rows.size for j in jobs) for t in range(T)]
    offs = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    rows = np.full((len(jobs), max(1, offs[-1])), inp.pad_row, dtype=np.int64)
    labels = [np.full((len(jobs), n), -1, dtype=np.int64) for n in sizes]
    for m, job in enumerate(jobs):
        for t, task in enumerate(job.tasks):
            rows[m, offs[t] : offs[t] + task.test_rows.size] = task.test_rows
            labels[t][m, : task.test_rows.size] = task.test_labels
    n_cols = rows.shape[1]
    blocks = [(a, min(a + rows_per_block, n_cols)) for a in range(0, n_cols, rows_per_block)]
    return _EvalLayout(
        sizes=sizes,
        offs=offs,
        rows=rows,
        rows_dev=torch.as_tensor(rows, device=device),
        labels=labels,
        labels_dev=[torch.as_tensor(x, device=device) for x in labels],
        positive=[
            torch.as_tensor([j.tasks[t].positive_class for j in jobs], device=device)
            for t in range(T)
        ],
        blocks=blocks,
        block_nnz=[inp.nnz_of(rows[:, a:b]) for a, b in blocks],
        all_rows=(
            inp.gather(torch.as_tensor(rows), inp.nnz_of(rows))
            if inp.kind == "sparse" and device.type == "cpu"
            else None
        ),
    )


@torch.no_grad()
def _evaluate(
    net: StackedNetwork, inp, layout: _EvalLayout, n_classes: Sequence[int], dtype: torch.dtype
):
    """Test metrics (M, T, 4) and predictions per slot (M, N_t), -1 on padding."""
    net.eval()
    M, device = layout.rows.shape[0], layout.rows_dev.device
    logits = [
        torch.empty((M, n, c), device=device, dtype=dtype)
        for n, c in zip(layout.sizes, n_classes, strict=True)
    ]
    offs = layout.offs
    h0 = None if layout.all_rows is None else net.first_layer(layout.all_rows)
    for (a, b), nnz in zip(layout.blocks, layout.block_nnz, strict=True):
        if h0 is None:
            out = net(inp.gather(layout.rows_dev[:, a:b], nnz))
        else:
            out = net(None, h0=h0[:, a:b])
        for t in range(len(logits)):
            lo, hi = max(a, offs[t]), min(b, offs[t + 1])
            if lo < hi:
                logits[t][:, lo - offs[t] : hi - offs[t]] = out[t][:, lo - a : hi - a]
    metrics, preds = [], []
    for t, labels in enumerate(layout.labels_dev):
        loss, _ = masked_cross_entropy(logits[t], labels)
        pred = logits[t].argmax(dim=2)
        acc, f1, macro = f1_scores(pred, labels, n_classes[t], layout.positive[t])
        metrics.append(torch.stack([loss.to(torch.float64), acc, f1, macro], dim=1))
        preds.append(torch.where(labels >= 0, pred, -1))
    net.train()
    return torch.stack(metrics, dim=1), preds


def _train_epoch(
    net, opt, sched: ChunkScheduler, inp, epoch: int, n_tasks: int, manual, probe=None
):
    """One epoch of steps; returns the mean training loss per model and task (nan = none).
    A ``probe`` (e.g. :class:`~.affinity.TaskAffinityProbe`) observes each step's batch before
    the optimizer step."""
    device = opt.steps.device
    plan = sched.next_epoch()
    rows = _to_device(plan.rows, device)
    labels = _to_device(plan.labels, device)
    update = _to_device(plan.update, device)
    nnz = [inp.nnz_of(plan.rows[s]) for s in range(plan.rows.shape[0])]
    loss_sum = torch.zeros((opt.M, n_tasks), dtype=torch.float64, device=device)
    loss_cnt = torch.zeros_like(loss_sum)
    for s in range(plan.rows.shape[0]):
        x = inp.gather(rows[s], nnz[s])
        logits = net(x, epoch=epoch, step=s)
        total = 0
        losses, counts = [], []
        for t in range(n_tasks):
            loss, count = masked_cross_entropy(logits[t], labels[s, :, :, t])
            losses.append(loss)
            counts.append(count)
            total = total + loss.sum()
            has = (count > 0).to(torch.float64)
            loss_sum[:, t] += loss.detach().to(torch.float64) * has
            loss_cnt[:, t] += has
        if probe is not None:
            step_labels = [labels[s, :, :, t] for t in range(n_tasks)]
            probe.observe(net, x, losses, counts, step_labels, epoch, s)
        opt.zero_grad(skip=manual)
        total.backward()
        net.finish_backward()
        opt.step(update[s], plan.update[s])
        # soft sharing's pull toward the trunks' mean (a no-op otherwise)
        net.pull_trunks(opt.lr, update[s][:, 0], bool(plan.update[s][:, 0].all()))
        if epoch == 0 and s == 0:
            _oom_hook(opt.M, "step")
    return torch.where(loss_cnt > 0, loss_sum / loss_cnt.clamp(min=1), float("nan"))


def _run_chunk(
    jobs: list[ModelJob],
    inp,
    model: ModelSpec,
    train: TrainSpec,
    device: torch.device,
    dtype: torch.dtype,
    optimizer_impl: str,
    eval_rows_per_block: int,
    pbar_desc: str,
    progress: bool,
    probe_factory=None,
) -> _ChunkOut:
    """Build the chunk's stacked network and optimizer, train it, evaluate it on schedule."""
    M, T, E = len(jobs), len(jobs[0].tasks), train.epochs
    n_classes = [t.n_classes for t in jobs[0].tasks]
    seeds = [j.random_seed for j in jobs]
    net = StackedNetwork(
        model, M, inp.dim, n_classes, init_generators(seeds), device, dtype, seed_keys(seeds, device),
        _embedding(model, device, dtype),
    )  # fmt: skip
    opt = StackedAdam(net.param_groups(), M, 1 + T, lr=train.learning_rate, impl=optimizer_impl)
    sched = ChunkScheduler(jobs, train.schedule, train.batch_size, inp.pad_row)
    _oom_hook(M, "start")
    layout = _plan_evaluation(jobs, inp, device, eval_rows_per_block)

    train_hist = torch.full((E, M, T), float("nan"), dtype=torch.float64, device=device)
    metric_hist = torch.full((E, M, T, 4), float("nan"), dtype=torch.float64, device=device)
    preds: list[torch.Tensor] = []
    probe = probe_factory(M) if probe_factory is not None else None
    net.train()
    with tqdm(total=E, desc=pbar_desc, disable=not progress, leave=False) as bar:
        for e in range(E):
            manual = net.hand_written_grads()
            train_hist[e] = _train_epoch(net, opt, sched, inp, e, T, manual, probe)
            if e == E - 1 or (e + 1) % train.eval_every == 0:
                metric_hist[e], preds = _evaluate(net, inp, layout, n_classes, dtype)
            bar.update(1)
    if probe is not None and hasattr(probe, "finish"):  # once, on the trained models (read only)
        probe.finish(net, inp, jobs)

    return _ChunkOut(
        jobs=jobs,
        train_loss=train_hist.cpu().numpy(),
        metrics=metric_hist.cpu().numpy(),
        preds=[p.cpu().numpy() for p in preds],
        test_rows=[layout.rows[:, layout.offs[t] : layout.offs[t + 1]] for t in range(T)],
        test_labels=layout.labels,
        probe=None if probe is None else probe.result(),
    )


def _chunks_with_retry(run, jobs: list[ModelJob], device: torch.device) -> list[_ChunkOut]:
    """Run a chunk; on CUDA out-of-memory free what we can, halve it and retry both halves."""
    try:
        return [run(jobs)]
    except torch.cuda.OutOfMemoryError:
        if len(jobs) == 1:
            raise
        gc.collect()
        if device.type == "cuda":
            torch.cuda.empty_cache()
        half = len(jobs) // 2
        logger.warning(
            "out of memory with a chunk of %d models; retrying as %d + %d",
            len(jobs),
            half,
            len(jobs) - half,
        )
        return _chunks_with_retry(run, jobs[:half], device) + _chunks_with_retry(
            run, jobs[half:], device
        )


def _plan_chunks(
    jobs: list[ModelJob],
    inp,
    model: ModelSpec,
    train: TrainSpec,
    device: torch.device,
    chunk_size: int | None,
    memory_budget_bytes: int | None,
    itemsize: int,
    probe_factory=None,
) -> list[tuple[list[ModelJob], int]]:
    """(chunk, evaluation rows per block) pairs: jobs grouped by task signature, each group cut
    into balanced chunks of at most ``chunk_size`` models (None = sized from free memory)."""
    plan: list[tuple[list[ModelJob], int]] = []
    for sig, members in by_task_signature(jobs).items():
        group = [jobs[i] for i in members]
        rows_per_step = train.batch_size * (len(sig) if train.schedule == "joint" else 1)
        budget = _available_bytes(device, memory_budget_bytes)
        if chunk_size is None:
            per_model = _bytes_per_model(model, inp, sig, rows_per_step, itemsize, probe_factory)
            cap = CUDA_MAX_CHUNK if device.type == "cuda" else CPU_MAX_CHUNK
            size = int(max(1, min(cap, budget // max(per_model, 1))))
        else:
            size = chunk_size
        # eval blocks: keep M x block activations to about a quarter of the budget; on CPU
        # small blocks stay in cache (measured: 128 rows is ~25% faster than 4096)
        eval_cap = 4096 if device.type == "cuda" else 128
        per_row = _activation_width(model, inp) * itemsize * 4 + _avg_nnz(inp) * 48
        eval_block = int(max(16, min(eval_cap, budget // 4 // (min(size, len(group)) * per_row))))
        n = math.ceil(len(group) / size)
        # balanced chunks (e.g. 2 x 600 rather than 1000 + 200)
        bounds = np.linspace(0, len(group), n + 1).round().astype(int)
        plan.extend((group[a:b], eval_block) for a, b in zip(bounds[:-1], bounds[1:], strict=True))
    return plan


def _train_chunks(
    plan: list[tuple[list[ModelJob], int]],
    inp,
    model: ModelSpec,
    train: TrainSpec,
    dev: torch.device,
    dtype: torch.dtype,
    optimizer_impl: str,
    progress: bool,
    probe_factory,
) -> list[_ChunkOut]:
    """Every chunk of the plan trained in turn (a CUDA out-of-memory error halves the chunk
    and retries)."""
    counter = iter(range(1, 10**9))

    def run(chunk: list[ModelJob], eval_block: int) -> _ChunkOut:
        i = next(counter)
        return _run_chunk(
            chunk, inp, model, train, dev, dtype, optimizer_impl, eval_block,
            f"train chunk {i} ({len(chunk)} models)", progress, probe_factory,
        )  # fmt: skip

    outs: list[_ChunkOut] = []
    for chunk, eval_block in plan:
        outs.extend(_chunks_with_retry(partial(run, eval_block=eval_block), chunk, dev))
    return outs


def train_stacked(
    features: object,
    jobs: Sequence[ModelJob],
    model: ModelSpec,
    train: TrainSpec,
    device: str = "auto",
    chunk_size: int | None = None,
    progress: bool = True,
    *,
    dtype: torch.dtype = torch.float32,
    input_mode: str = "auto",
    optimizer_impl: str = "auto",
    memory_budget_bytes: int | None = None,
    allow_tf32: bool = True,
    probe_factory=None,
) -> TrainingResult:
    """Train every job as stacked models; return per-epoch curves and final test predictions.

    features: scipy.sparse CSR (kept sparse; first layer as a bag sum) or dense float array for
    the MLP, int64 (N, L) token ids (0 = padding) for sequence encoders. Jobs are grouped by
    their task signature (number of tasks and classes per task) and trained in chunks of at most
    ``chunk_size`` models (None = sized from free memory). A CUDA out-of-memory error halves the
    chunk and retries. Optional: ``dtype`` (float64 for exactness tests), ``input_mode``
    ("auto" | "sparse" | "dense"; auto keeps sparse features sparse), ``optimizer_impl``
    ("auto" | "fused" | "vectorised"), ``memory_budget_bytes`` (caps the chunk sizing budget),
    ``allow_tf32`` (TF32 matmuls on CUDA), ``probe_factory`` (``n_models -> probe``: a probe
    observing every training step of a chunk, e.g. :class:`~.affinity.TaskAffinityProbe`; its
    per-model results are ``TrainingResult.probes``).
    """
    t0 = time.perf_counter()
    dev = resolve_device(device)
    jobs = list(jobs)
    inp = _make_input(features, model, dev, dtype, input_mode)
    _validate(jobs, inp.n_rows)
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1 or None, got {chunk_size}")

    itemsize = torch.empty((), dtype=dtype).element_size()
    with _tf32(allow_tf32, dev):
        plan = _plan_chunks(
            jobs, inp, model, train, dev, chunk_size, memory_budget_bytes, itemsize, probe_factory
        )
        outs = _train_chunks(
            plan, inp, model, train, dev, dtype, optimizer_impl, progress, probe_factory
        )
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    curves, predictions = _assemble(outs, jobs, train.epochs)
    seconds = time.perf_counter() - t0
    logger.log(
        logging.INFO if progress else logging.DEBUG,  # a silent call is one shard of a bar
        "train_stacked: %d models, %d epochs, device %s, %d chunk(s), %.1f s",
        len(jobs), train.epochs, dev, len(outs), seconds,
    )  # fmt: skip
    return TrainingResult(
        curves=curves,
        predictions=predictions,
        device=str(dev),
        seconds=seconds,
        n_models=len(jobs),
        probes=_probe_table(outs, probe_factory),
    )


def _probe_table(outs: list[_ChunkOut], probe_factory) -> pd.DataFrame | None:
    """One row per model (``model_id``, its ``meta`` and the probe's columns), or None."""
    if probe_factory is None:
        return None
    rows = []
    for out in outs:
        names = probe_factory(1).columns
        for job, values in zip(out.jobs, out.probe, strict=True):
            rows.append(
                {"model_id": job.model_id, "seed": int(job.seed), **job.meta}
                | dict(zip(names, map(float, values), strict=True))
            )
    return pd.DataFrame(rows)


def _assemble(
    outs: list[_ChunkOut], jobs: list[ModelJob], epochs: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    any_mtl = has_aux(jobs)
    keys = meta_keys(jobs)
    columns = curve_columns(jobs)
    frames, pred_frames = [], []
    ep = np.arange(1, epochs + 1)
    for out in outs:
        M = len(out.jobs)
        T = out.train_loss.shape[2]
        tl = out.train_loss  # (E, M, T)
        cols: dict[str, object] = {
            "model_id": np.repeat([j.model_id for j in out.jobs], epochs),
            "kind": np.repeat([j.kind for j in out.jobs], epochs),
            "seed": np.repeat(np.array([j.seed for j in out.jobs], dtype=np.int64), epochs),
            "task": np.repeat([j.tasks[0].name for j in out.jobs], epochs),
            "epoch": np.tile(ep, M),
            "train_loss": np.nansum(tl, axis=2).T.reshape(-1),
            "main_train_loss": tl[:, :, 0].T.reshape(-1),
        }
        for i, name in enumerate(METRICS):
            cols[name] = out.metrics[:, :, 0, i].T.reshape(-1)
        if any_mtl:
            for i, name in enumerate(AUX_METRICS):
                col = (
                    out.metrics[:, :, 1, i].T.reshape(-1) if T > 1 else np.full(M * epochs, np.nan)
                )
                cols[name] = col
        for k in keys:
            cols[k] = np.repeat(np.array([j.meta.get(k) for j in out.jobs], dtype=object), epochs)
        frames.append(pd.DataFrame(cols, columns=columns))
        for t in range(T):
            rows, labels, preds = out.test_rows[t], out.test_labels[t], out.preds[t]
            mask = labels >= 0
            mi, _ = np.nonzero(mask)
            pred_frames.append(
                pd.DataFrame(
                    {
                        "model_id": np.array([j.model_id for j in out.jobs], dtype=object)[mi],
                        "task": np.array([j.tasks[t].name for j in out.jobs], dtype=object)[mi],
                        "row": rows[mask],
                        "label": labels[mask],
                        "pred": preds[mask],
                    }
                )
            )
    order = {j.model_id: i for i, j in enumerate(jobs)}
    curves = pd.concat(frames, ignore_index=True)
    curves = curves.sort_values(
        ["model_id", "epoch"],
        key=lambda s: s.map(order) if s.name == "model_id" else s,
        kind="stable",
    ).reset_index(drop=True)
    predictions = (
        pd.concat(pred_frames, ignore_index=True)
        if pred_frames
        else pd.DataFrame(columns=["model_id", "task", "row", "label", "pred"])
    )
    return curves, predictions
