"""The shard store: every trained model's curves and predictions, keyed by a fingerprint of
everything that determines them, so that a rerun reuses what is already trained.

One file per model (``<root>/<fp[:2]>/<fp>.pkl``), written atomically: a run killed at any moment
leaves only complete records (and, at worst, a ``*.partial`` that the next open removes). Keying
per model, not per shard, makes reuse independent of how models were grouped into shards.

A model's fingerprint covers its job (id, kind, seed, meta, and each task's name, classes and
row/label arrays), the ModelSpec (the embedding by content), the TrainSpec, a content hash of
the feature matrix, the dtype and input mode, and ``ENGINE_VERSION``. It leaves out the device:
CPU and CUDA results agree to float tolerance (tests/training/test_trainer.py), and a study moved
to a GPU should reuse what a CPU trained.

Records are pickles: the store is a local cache written by this code, trusted like Kedro's
PickleDataset; do not point it at files from elsewhere.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import pickle
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import fsspec
import numpy as np
import pandas as pd
import scipy.sparse as sp

from mtl_pipeline.atomic import write_atomically

from .specs import ModelJob, ModelSpec, TrainSpec

logger = logging.getLogger(__name__)

#: Bump when a change of the trainer changes its numbers: every stored model is then retrained.
ENGINE_VERSION = "1"
#: ModelSpec fields added after models were stored, with the default that reproduces those
#: models: left out of the fingerprint at that default, so that stored fingerprints stay valid.
FIELDS_ADDED_LATER = {"weight_init": "torch_default", "output_head": "softmax"}
#: A ``*.partial`` older than this is debris of a killed save (a save takes well under a second).
STALE_PARTIAL_SECONDS = 60.0


def _update_with_array(h: hashlib._Hash, arr: np.ndarray) -> None:
    arr = np.ascontiguousarray(arr)
    h.update(f"{arr.dtype.str}{arr.shape}".encode())
    h.update(memoryview(arr).cast("B"))


def features_fingerprint(features: object) -> str:
    """Content hash of a feature matrix (scipy.sparse or dense array); the order in which a
    sparse row stores its entries does not count."""
    h = hashlib.sha256()
    if sp.issparse(features):
        csr = sp.csr_matrix(features, copy=True)
        csr.sum_duplicates()  # also sorts the indices (of the copy)
        h.update(b"csr")
        h.update(str(csr.shape).encode())
        for part in (csr.data, csr.indices, csr.indptr):
            _update_with_array(h, part)
    else:
        h.update(b"dense")
        _update_with_array(h, np.asarray(features))
    return h.hexdigest()


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """Content hash of a table (column names, dtypes and values, row order included)."""
    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    _update_with_array(h, pd.util.hash_pandas_object(frame, index=False).to_numpy())
    return h.hexdigest()[:16]


def mapping_fingerprint(values: Mapping[str, object]) -> str:
    """Hash of a parameter mapping (keys sorted), e.g. the training parameters of a node."""
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def spec_fingerprint(
    model: ModelSpec, train: TrainSpec, features_fp: str, dtype: str, input_mode: str
) -> str:
    """Everything a model's result depends on except its job (shared by a whole work group)."""
    h = hashlib.sha256()
    fields = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}
    embedding = fields.pop("embedding")
    if model.encoder != "mlp_soft":  # no effect elsewhere: fingerprints from before it stay valid
        fields.pop("soft_sharing_lambda")
    for name, default in FIELDS_ADDED_LATER.items():  # at their default: fingerprints stay valid
        if fields[name] == default:
            fields.pop(name)
    payload = {
        "engine": ENGINE_VERSION,
        "model": fields,
        "train": dataclasses.asdict(train),
        "features": features_fp,
        "dtype": dtype,
        "input_mode": input_mode,
    }
    h.update(json.dumps(payload, sort_keys=True, default=str).encode())
    if embedding is not None:
        _update_with_array(h, np.asarray(embedding))
    return h.hexdigest()


def model_fingerprint(job: ModelJob, spec_fp: str) -> str:
    """The store key of one model: its job's content + the work group's spec fingerprint."""
    h = hashlib.sha256(spec_fp.encode())
    header = {
        "model_id": job.model_id,
        "kind": job.kind,
        "seed": int(job.seed),
        "meta": dict(job.meta),
        "tasks": [[t.name, t.n_classes, t.positive_class] for t in job.tasks],
    }
    if job.draw_seed is not None:  # absent = the seed draws: fingerprints from before stay valid
        header["draw_seed"] = int(job.draw_seed)
    h.update(json.dumps(header, sort_keys=True, default=str).encode())
    for task in job.tasks:
        for arr in (task.train_rows, task.train_labels, task.test_rows, task.test_labels):
            _update_with_array(h, arr)
    return h.hexdigest()[:32]


@dataclass
class StoredModel:
    """One model's result: its curve rows (one per epoch) and final test predictions."""

    fingerprint: str
    curves: pd.DataFrame
    predictions: pd.DataFrame


class ShardStore:
    """Per-model results under ``root`` (a local path or an fsspec URL)."""

    def __init__(self, root: str) -> None:
        self.root = str(root).rstrip("/")
        self._fs, self._path = fsspec.core.url_to_fs(self.root)
        self._fs.makedirs(self._path, exist_ok=True)
        self._remove_stale_partials()

    def __repr__(self) -> str:
        return f"ShardStore({self.root!r})"

    def _file(self, fingerprint: str) -> str:
        return f"{self._path}/{fingerprint[:2]}/{fingerprint}.pkl"

    def _remove_stale_partials(self) -> None:
        now = time.time()
        removed = 0
        for path in self._fs.glob(f"{self._path}/*/*.partial"):
            modified = self._fs.modified(path).timestamp()
            if now - modified > STALE_PARTIAL_SECONDS:
                self._fs.rm(path)
                removed += 1
        if removed:
            logger.info(
                "shard store %s: removed %d partial file(s) of a killed save", self.root, removed
            )

    def get(self, fingerprint: str) -> StoredModel | None:
        """The stored model, or None when absent."""
        path = self._file(fingerprint)
        if not self._fs.exists(path):
            return None
        with self._fs.open(path, "rb") as handle:
            record = pickle.load(handle)
        return StoredModel(fingerprint, record["curves"], record["predictions"])

    def put(self, models: Iterable[StoredModel]) -> None:
        """Write each model's record atomically (a shard's models, right after it trained)."""
        for model in models:
            record = {"curves": model.curves, "predictions": model.predictions}
            blob = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
            write_atomically(self._fs, self._file(model.fingerprint), lambda h, b=blob: h.write(b))

    def count(self) -> int:
        """Number of stored models."""
        return len(self._fs.glob(f"{self._path}/*/*.pkl"))
