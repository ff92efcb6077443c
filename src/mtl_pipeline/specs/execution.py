"""The execution block shared by ``newsgroups.training`` and ``tweets.training``: where and how
fast models train and where they are kept (:class:`~mtl_pipeline.training.executor.ExecutionSpec`).

Nothing here decides what a model learns, so no execution key is part of any fingerprint: a
model trained on Dask with a shard size of 8 is the model trained locally with 32.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mtl_pipeline.params import Params, check_keys
from mtl_pipeline.training.executor import EXECUTORS, ExecutionSpec, check_device

#: The keys of an execution block (``dask`` is a mapping of ``address`` and ``n_workers``).
EXECUTION_KEYS = (
    "device",
    "chunk_size",
    "progress",
    "shard_store",
    "shard_size",
    "executor",
    "torch_threads",
    "dask",
)
DASK_KEYS = ("address", "n_workers")


def execution_spec(
    raw: Mapping[str, Any] | None, where: str, moved: Mapping[str, str] | None = None
) -> ExecutionSpec:
    """An execution block (``where``, e.g. ``newsgroups.training``) as an ExecutionSpec; an
    unknown key is an error naming it and the nearest known key (or, for a key of ``moved``,
    where it now lives)."""
    check_keys(raw, EXECUTION_KEYS, where, moved=moved)
    p = Params(raw, where)
    dask = p.section("dask", required=False)
    check_keys(dask.raw, DASK_KEYS, dask.where)
    store = p.raw.get("shard_store")
    return ExecutionSpec(
        store=None if store is None else p.text("shard_store"),
        executor=p.choice("executor", sorted(EXECUTORS), default="local"),
        shard_size=p.optional_integer("shard_size", minimum=1),
        dask_address=None if dask.raw.get("address") is None else dask.text("address"),
        dask_workers=dask.integer("n_workers", default=2, minimum=1),
        device=check_device(p.text("device", default="auto"), p.name("device")),
        chunk_size=p.optional_integer("chunk_size", minimum=1),
        progress=p.boolean("progress", default=True),
        torch_threads=p.optional_integer("torch_threads", minimum=1),
    )
