"""Durable training: jobs → shards → an executor (in-process or Dask) → the shard store.

``train_durably`` is what the training nodes call. It fingerprints every model, reuses those the
store holds, groups the others into shards (a fixed partition of each work group's jobs, so
that a rerun retrains a killed shard with the same models), trains the shards on the chosen
executor and writes each finished shard's models to the store at once. A kill -9 therefore loses
at most the shards in flight. One progress bar counts shards (with tqdm's ETA) and one summary
line per call reports ``models: trained=<n> reused=<k> rejected=<r> seconds=<s>`` (rejected:
stored records that failed verification, moved aside and trained again).

Executors are chosen by name (``EXECUTORS``): ``local`` trains shard after shard in this
process; ``dask`` submits each shard as a task to a ``distributed`` cluster (a LocalCluster, or
a running scheduler at ``dask_address``) and stores results as they come back, so the store
need not be reachable from the workers and a worker that dies loses only its shard (the
scheduler reruns it elsewhere).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from mtl_pipeline.params import ParameterError
from mtl_pipeline.provenance import features_fingerprint

from .layout import by_task_signature, curve_columns
from .specs import ModelJob, ModelSpec, TrainingResult, TrainSpec
from .store import (
    ShardStore,
    StoredModel,
    model_fingerprint,
    probed_spec_fingerprint,
    spec_fingerprint,
)
from .trainer import resolve_device, train_stacked

logger = logging.getLogger(__name__)

#: Models per shard when ``shard_size`` is null: on CPU a stack of 32 already amortises the
#: per-step overhead; a GPU needs far larger stacks to be busy.
DEFAULT_SHARD_SIZE = {"cpu": 32, "cuda": 512}
DTYPES = {"float32": torch.float32, "float64": torch.float64}
FINGERPRINT_COLUMN = "fingerprint"


@dataclass(frozen=True)
class ExecutionSpec:
    """Where and how shards are trained and stored (parsed from a ``<block>.training``
    parameter block by :func:`mtl_pipeline.specs.execution.execution_spec`)."""

    store: str | None = None  # None = no store: nothing reused, nothing kept
    executor: str = "local"
    shard_size: int | None = None  # None = DEFAULT_SHARD_SIZE of the device type
    dask_address: str | None = None
    dask_workers: int = 2
    device: str = "auto"
    chunk_size: int | None = None
    progress: bool = True
    dtype: str = "float32"
    input_mode: str = "auto"
    # torch's CPU threads while a shard trains (None = torch's default, one per core). On a
    # loaded machine idle torch threads spin: measured 2 threads burning several times the CPU
    # time of 1 (benchmarks/README.md, "bound.py"); 1 per worker is the setting for shared hosts.
    torch_threads: int | None = None

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise ValueError(
                f"training.executor must be one of {sorted(EXECUTORS)}, got {self.executor!r}"
            )
        if self.shard_size is not None and self.shard_size < 1:
            raise ValueError(f"training.shard_size must be >= 1, got {self.shard_size}")
        if self.dask_workers < 1:
            raise ValueError(f"training.dask.n_workers must be >= 1, got {self.dask_workers}")
        if self.torch_threads is not None and int(self.torch_threads) < 1:
            raise ValueError(
                f"training.torch_threads must be >= 1 or null, got {self.torch_threads}"
            )
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {self.dtype!r}")


def check_device(device: str, parameter: str) -> str:
    """``device`` if torch can use it here ('auto', 'cpu', 'cuda', 'cuda:<n>'), else a
    :class:`~mtl_pipeline.params.ParameterError` naming ``parameter``."""
    try:
        wanted = torch.device(device) if device != "auto" else None
    except RuntimeError:
        raise ParameterError(
            f"parameter {parameter} is {device!r}; expected 'auto', 'cpu', 'cuda' or 'cuda:<n>'"
        ) from None
    if wanted is None or wanted.type == "cpu":
        return device
    if wanted.type != "cuda":
        raise ParameterError(
            f"parameter {parameter} is {device!r}; expected 'auto', 'cpu', 'cuda' or 'cuda:<n>'"
        )
    if not torch.cuda.is_available():
        raise ParameterError(
            f"parameter {parameter} is {device!r} but torch {torch.__version__} sees no CUDA "
            "device here; set it to auto (CUDA when there is one, else the CPU) or cpu, or "
            "install a CUDA build of torch (README, 'Running on a GPU')"
        )
    if wanted.index is not None and wanted.index >= torch.cuda.device_count():
        raise ParameterError(
            f"parameter {parameter} is {device!r} but torch sees {torch.cuda.device_count()} "
            "CUDA device(s) (numbered from 0)"
        )
    return device


@dataclass
class WorkGroup:
    """Jobs sharing one ModelSpec and TrainSpec (e.g. all STL models, or one encoder's).

    ``probe_factory`` (``n_models -> probe``, picklable for Dask): train with a probe
    (``train_stacked(probe_factory=...)``), whose per-model results are stored with each model
    and returned as ``TrainingResult.probes``; ``probe_settings`` must then name everything that
    decides those results (it enters the models' fingerprints)."""

    name: str
    jobs: Sequence[ModelJob]
    model: ModelSpec
    train: TrainSpec
    probe_factory: Callable[[int], Any] | None = None
    probe_settings: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if (self.probe_factory is None) != (self.probe_settings is None):
            raise ValueError(
                f"work group {self.name!r}: probe_factory and probe_settings go together "
                "(the settings key the stored probe results)"
            )


@dataclass
class TrainingSummary:
    trained: int = 0
    reused: int = 0
    rejected: int = 0  # stored records that failed verification (moved aside, retrained)
    seconds: float = 0.0
    features_fingerprint: str = ""
    fingerprints: dict[str, str] = field(default_factory=dict)  # group name → spec fingerprint

    def line(self) -> str:
        return (
            f"models: trained={self.trained} reused={self.reused} rejected={self.rejected} "
            f"seconds={self.seconds:.1f}"
        )


@dataclass(frozen=True)
class _Shard:
    group: int
    jobs: tuple[ModelJob, ...]
    fingerprints: tuple[str, ...]


def train_shard(
    features: object,
    jobs: Sequence[ModelJob],
    model: ModelSpec,
    train: TrainSpec,
    torch_threads: int | None = None,
    **kw: Any,
) -> TrainingResult:
    """One unit of work (runs on a Dask worker as well): a plain, silent ``train_stacked``,
    with ``torch_threads`` CPU threads when given (restored afterwards)."""
    before = torch.get_num_threads()
    if torch_threads is not None:
        torch.set_num_threads(int(torch_threads))
    try:
        return train_stacked(features, jobs, model, train, progress=False, **kw)
    finally:
        torch.set_num_threads(before)


# ---- executors: a context manager that yields ``submit_all(shards) -> iterator of results``


@contextlib.contextmanager
def _local(execution: ExecutionSpec, features: object):
    def run_all(calls):
        for key, args in calls:
            yield key, train_shard(features, *args[0], **args[1])

    yield run_all


@contextlib.contextmanager
def _dask(execution: ExecutionSpec, features: object):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ImportError(
            'training.executor: dask needs Dask distributed: pip install -e ".[dask]"'
        ) from None

    with contextlib.ExitStack() as stack:
        if execution.dask_address:
            client = stack.enter_context(Client(execution.dask_address))
        else:
            cluster = stack.enter_context(_local_cluster(execution.dask_workers))
            client = stack.enter_context(Client(cluster))
        logger.info("Dask: %s", client)
        shared = client.scatter(features, broadcast=True)

        def run_all(calls):
            futures = {
                client.submit(train_shard, shared, *args[0], pure=False, **args[1]): key
                for key, args in calls
            }
            for future in as_completed(futures):
                yield futures[future], future.result()

        yield run_all


def _local_cluster(n_workers: int):
    """A LocalCluster of ``n_workers`` one-thread workers whose memory is not trimmed.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, so glibc hands every freed
    block above 64 KiB back to the OS and the next step faults it in again. The trainer frees and
    reallocates multi-MB tensors every step: measured on a BiLSTM step of 32 models, 5.00 ms of
    CPU per model-step with that setting (1.06 of them in the kernel) against 3.06 without it.
    The other variables of ``pre-spawn-environ`` (one BLAS/OpenMP thread) are kept.
    """
    import dask
    from distributed import LocalCluster

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        return LocalCluster(n_workers=n_workers, threads_per_worker=1, dashboard_address=None)


EXECUTORS: dict[str, Callable[[ExecutionSpec, object], contextlib.AbstractContextManager]] = {
    "local": _local,
    "dask": _dask,
}


# ---- planning


def _shards(group_index: int, jobs: Sequence[ModelJob], fps: Sequence[str], size: int):
    """Fixed partition of a group's jobs: by task signature, then consecutive runs of ``size``."""
    for members in by_task_signature(jobs).values():
        for a in range(0, len(members), size):
            idx = members[a : a + size]
            yield _Shard(group_index, tuple(jobs[i] for i in idx), tuple(fps[i] for i in idx))


def _split_per_model(
    result: TrainingResult,
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]]:
    preds = dict(tuple(result.predictions.groupby("model_id", sort=False)))
    probes = (
        {} if result.probes is None else dict(tuple(result.probes.groupby("model_id", sort=False)))
    )
    empty = result.predictions.iloc[:0]

    def probe_row(mid):
        return None if result.probes is None else probes[mid].reset_index(drop=True)

    return {
        str(mid): (
            c.reset_index(drop=True),
            preds.get(mid, empty).reset_index(drop=True),
            probe_row(mid),
        )
        for mid, c in result.curves.groupby("model_id", sort=False)
    }


def _assemble(group: WorkGroup, fps: Sequence[str], models: Mapping[str, StoredModel]):
    curves = pd.concat([models[fp].curves for fp in fps], ignore_index=True)
    # the column order train_stacked gives the whole group, whatever the shards were
    curves = curves.reindex(columns=[*curve_columns(group.jobs), FINGERPRINT_COLUMN])
    predictions = pd.concat([models[fp].predictions for fp in fps], ignore_index=True)
    probes = None
    if group.probe_factory is not None:
        probes = pd.concat([models[fp].probes for fp in fps], ignore_index=True)
    return curves, predictions, probes


def train_durably(
    features: object, groups: Sequence[WorkGroup], execution: ExecutionSpec
) -> tuple[list[TrainingResult], TrainingSummary]:
    """Train (or reuse from the store) every job of every group; one result per group.

    Curves gain a ``fingerprint`` column: the store key of each model.
    """
    t0 = time.perf_counter()
    store = ShardStore(execution.store) if execution.store else None
    summary = TrainingSummary(features_fingerprint=features_fingerprint(features))
    models: dict[str, StoredModel] = {}
    group_fps, todo = _plan(groups, execution, store, summary, models)
    summary.rejected = len(store.rejected) if store else 0
    devices = _train_missing(features, groups, todo, execution, store, summary, models)
    results = []
    for g, group in enumerate(groups):
        curves, predictions, probes = _assemble(group, group_fps[g], models)
        results.append(
            TrainingResult(
                curves=curves,
                predictions=predictions,
                device=devices.get(g, "store"),
                seconds=time.perf_counter() - t0,
                n_models=len(group.jobs),
                probes=probes,
            )
        )
    summary.seconds = time.perf_counter() - t0
    logger.info(summary.line())
    return results, summary


def _plan(
    groups: Sequence[WorkGroup],
    execution: ExecutionSpec,
    store: ShardStore | None,
    summary: TrainingSummary,
    models: dict[str, StoredModel],
) -> tuple[list[list[str]], list[_Shard]]:
    """Every group's model fingerprints, and the shards (reduced to their models the store
    lacks) still to train; the stored models found go to ``models``, their count to
    ``summary``."""
    features_fp = summary.features_fingerprint
    shard_size = execution.shard_size or DEFAULT_SHARD_SIZE.get(
        resolve_device(execution.device).type, DEFAULT_SHARD_SIZE["cpu"]
    )
    group_fps: list[list[str]] = []
    todo: list[_Shard] = []
    for g, group in enumerate(groups):
        spec_fp = spec_fingerprint(
            group.model, group.train, features_fp, execution.dtype, execution.input_mode
        )
        if group.probe_settings is not None:
            spec_fp = probed_spec_fingerprint(spec_fp, group.probe_settings)
        summary.fingerprints[group.name] = spec_fp[:16]
        fps = [model_fingerprint(job, spec_fp) for job in group.jobs]
        if len(set(fps)) != len(fps):
            raise ValueError(f"work group {group.name!r}: two jobs have the same model_id")
        group_fps.append(fps)
        for shard in _shards(g, group.jobs, fps, shard_size):
            found = {fp: store.get(fp) for fp in shard.fingerprints} if store else {}
            if group.probe_factory is not None:  # a record without the probe's row: retrain
                found = {fp: m for fp, m in found.items() if m is None or m.probes is not None}
            missing = [i for i, fp in enumerate(shard.fingerprints) if found.get(fp) is None]
            models.update({fp: m for fp, m in found.items() if m is not None})
            summary.reused += len(shard.jobs) - len(missing)
            if missing:
                todo.append(
                    _Shard(
                        g,
                        tuple(shard.jobs[i] for i in missing),
                        tuple(shard.fingerprints[i] for i in missing),
                    )
                )
    return group_fps, todo


def _train_missing(
    features: object,
    groups: Sequence[WorkGroup],
    todo: Sequence[_Shard],
    execution: ExecutionSpec,
    store: ShardStore | None,
    summary: TrainingSummary,
    models: dict[str, StoredModel],
) -> dict[int, str]:
    """Train the shards of ``todo`` on the chosen executor, storing each as it finishes (into
    the store and ``models``); returns the device each group trained on."""
    kwargs = {
        "device": execution.device,
        "chunk_size": execution.chunk_size,
        "dtype": DTYPES[execution.dtype],
        "input_mode": execution.input_mode,
        "torch_threads": execution.torch_threads,
    }

    def shard_kwargs(group: WorkGroup) -> dict[str, Any]:
        if group.probe_factory is None:
            return kwargs
        return {**kwargs, "probe_factory": group.probe_factory}

    calls = (
        (i, ((s.jobs, groups[s.group].model, groups[s.group].train), shard_kwargs(groups[s.group])))
        for i, s in enumerate(todo)
    )
    devices: dict[int, str] = {}
    with tqdm(
        total=len(todo), desc="train shards", unit="shard", disable=not execution.progress
    ) as bar:
        if todo:
            with EXECUTORS[execution.executor](execution, features) as run_all:
                for i, result in run_all(calls):
                    shard = todo[i]
                    finished = _stored_models(shard, result)
                    if store:
                        store.put(finished)
                    models.update({m.fingerprint: m for m in finished})
                    devices[shard.group] = result.device
                    summary.trained += len(finished)
                    bar.update(1)
    return devices


def _stored_models(shard: _Shard, result: TrainingResult) -> list[StoredModel]:
    """A trained shard's models as store records, each curve tagged with its fingerprint."""
    per_model = _split_per_model(result)
    finished = []
    for job, fp in zip(shard.jobs, shard.fingerprints, strict=True):
        curves, preds, probes = per_model[job.model_id]
        finished.append(StoredModel(fp, curves.assign(**{FINGERPRINT_COLUMN: fp}), preds, probes))
    return finished


def fingerprint_values(frame: pd.DataFrame, column: str) -> list[str]:
    """Distinct values of a fingerprint column (``[]`` when the column is absent)."""
    if column not in frame.columns:
        return []
    return sorted(str(v) for v in np.unique(frame[column].astype(str)))
