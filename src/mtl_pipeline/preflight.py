"""Checks before the work: a run that cannot finish stops before its first node.

``PreflightHooks.before_pipeline_run`` checks, in seconds,

- every parameter block the pipeline reads (:mod:`mtl_pipeline.pipelines.checks`, through the
  one validation layer), so that e.g. a bad ``stl_epochs`` is not found after the MTL node has
  trained for minutes;
- that every catalog entry the run reads but does not make has a saved version (``--nodes`` or
  ``--from-nodes`` on a project where the nodes that make it never ran);
- that the shard store of each training block read, and the folder of every file the run will
  write, can be written to (a probe file is written and removed) and has at least
  ``MIN_FREE_BYTES`` free, so that a read-only or full disk is not found after the first shard
  has trained; and that no shard store holds records of the former (pickled) format.

Each failure is an :class:`~mtl_pipeline.params.InputError`: the run ends with its message.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem
from kedro.framework.hooks import hook_impl

from mtl_pipeline.params import InputError
from mtl_pipeline.pipelines.checks import check_parameters
from mtl_pipeline.training.store import ShardStore

logger = logging.getLogger(__name__)

#: Less free space than this where a run writes stops it before training: records and tables
#: of a run are megabytes, so this leaves room for them and catches a full disk.
MIN_FREE_BYTES = 64 * 2**20


class UnwritableError(InputError):
    """A folder the run must write to is not writable or has no room."""


def _training_stores(parameters: Mapping[str, Any], blocks: Iterable[str]) -> dict[str, str]:
    """``<block>.training.shard_store`` → its path, for the blocks checked."""
    stores = {}
    for block in blocks:
        training = (parameters.get(block) or {}).get("training") or {}
        if isinstance(training, Mapping) and training.get("shard_store"):
            stores[f"parameter {block}.training.shard_store"] = str(training["shard_store"])
    return stores


def _output_folders(pipeline, catalog) -> dict[str, str]:
    """The folder of every file-backed output of the pipeline → the dataset writing it."""
    folders: dict[str, str] = {}
    for name in sorted(pipeline.outputs() | pipeline.all_outputs()):
        try:
            dataset = catalog.get(name) if hasattr(catalog, "get") else catalog._get_dataset(name)
        except Exception:  # noqa: BLE001 - a dataset the catalog cannot build is not ours to check
            continue
        filepath = getattr(dataset, "_filepath", None)
        if filepath is None:
            continue
        protocol = getattr(dataset, "_protocol", "file")
        path = str(filepath) if protocol == "file" else f"{protocol}://{filepath}"
        folders.setdefault(str(PurePosixPath(path).parent), f"catalog entry {name}")
    return folders


def check_writable(path: str, what: str) -> None:
    """Create ``path`` if needed, write and remove a probe file, and (on a local disk) check
    the free space; an :class:`UnwritableError` names ``what`` and the path."""
    fs, root = fsspec.core.url_to_fs(path)
    probe = f"{root.rstrip('/')}/.write_probe.{uuid.uuid4().hex}"
    try:
        fs.makedirs(root, exist_ok=True)
        with fs.open(probe, "wb") as handle:
            handle.write(b"probe")
        fs.rm(probe)
    except OSError as error:
        reason = error.strerror or str(error)
        raise UnwritableError(
            f"{what}: cannot write to {path} ({reason}); make it writable or point it elsewhere "
            "before the run (nothing has been trained yet)"
        ) from None
    if isinstance(fs, LocalFileSystem):
        free = shutil.disk_usage(Path(root)).free
        if free < MIN_FREE_BYTES:
            raise UnwritableError(
                f"{what}: only {free / 2**20:.1f} MiB free at {path} (at least "
                f"{MIN_FREE_BYTES / 2**20:.0f} MiB needed); free some space or point it elsewhere "
                "before the run (nothing has been trained yet)"
            )


def check_inputs_exist(pipeline, catalog) -> None:
    """Every free input of the pipeline (read, not made by this run) has been saved."""
    for name in sorted(pipeline.inputs()):
        if name.startswith("params:") or name == "parameters":
            continue
        try:
            dataset = catalog.get(name) if hasattr(catalog, "get") else catalog._get_dataset(name)
        except Exception:  # noqa: BLE001 - not a dataset of the catalog: Kedro reports it
            continue
        if dataset is None or dataset.exists():
            continue
        missing = getattr(dataset, "_missing_message", None)
        if missing is not None:
            raise InputError(missing())
        where = getattr(dataset, "_filepath", None)
        raise InputError(
            f"catalog entry {name} has no saved version"
            + (f" (at {where})" if where else "")
            + ": this run reads it but does not make it (--nodes / --from-nodes leave out the "
            "node that does). Run the pipeline that makes it first, e.g. the same command "
            "without --nodes / --from-nodes"
        )


class PreflightHooks:
    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:  # noqa: ARG002
        parameters = catalog.load("parameters")
        blocks = check_parameters(parameters, pipeline.inputs())
        check_inputs_exist(pipeline, catalog)
        places = {**_training_stores(parameters, blocks)}
        for folder, what in _output_folders(pipeline, catalog).items():
            places.setdefault(what, folder)
        for what, path in places.items():
            check_writable(path, what)
        for path in _training_stores(parameters, blocks).values():
            ShardStore(path)  # refuses a store of the former pickled records, with the fix
        logger.info(
            "Checked before the run: parameters %s; %d folder(s) writable", blocks, len(places)
        )
