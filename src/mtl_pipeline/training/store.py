"""The shard store: every trained model's curves and predictions, keyed by a fingerprint of
everything that determines them, so that a rerun reuses what is already trained.

One file per model (``<root>/<fp[:2]>/<fp>.rec``), written atomically: a run killed at any moment
leaves only complete records (and, at worst, a ``*.partial`` that the next open removes). Keying
per model, not per shard, makes reuse independent of how models were grouped into shards.

A model's fingerprint covers its job (id, kind, seed, meta, and each task's name, classes and
row/label arrays), the ModelSpec fields its family declares (``Family.fingerprint_fields``; the
embedding by content), the TrainSpec, a content hash of
the feature matrix, the dtype and input mode, and ``ENGINE_VERSION``. It leaves out the device:
a model's initial weights, dropout masks and batch order come from its seed alone, drawn the
same way on every device (``trainer.init_generators``), so CPU and CUDA results agree to float
tolerance (tests/training/test_trainer.py) and a study moved to a GPU reuses what a CPU trained.

Records hold data, not code, so that reading a store (a shared ``s3://`` one included) can never
run anything: a record is a zip archive (Python's ``zipfile``, no compression) of
``record.json`` (format, fingerprint, row counts and the SHA-256 of each table) and two Parquet
tables, ``curves.parquet`` and ``predictions.parquet`` (pyarrow; pandas dtypes kept through
Parquet's JSON metadata), plus ``probes.parquet`` for a model trained with a probe (the
warm-up models behind the affinity features: one row of the probe's results). A probed model's
fingerprint also covers the probe's settings (:func:`probed_spec_fingerprint`). Every read
verifies the record: it opens, it names the fingerprint it is filed under (two swapped files
are caught), its tables match their checksums, and its scores lie in range (accuracy/F1 in
[0, 1], losses >= 0). A record that fails is reported with its path and reason, moved to
``<root>/rejected/`` and treated as absent, so it is trained again.

Stores written before this format (``*.pkl`` records: pickles, which run code when loaded) are
refused with one message; ``python -m mtl_pipeline.training.store migrate PATH`` converts a store
you trust, keeping every fingerprint.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import json
import logging
import pickle
import sys
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import fsspec
import numpy as np
import pandas as pd

from mtl_pipeline.atomic import write_atomically
from mtl_pipeline.params import InputError
from mtl_pipeline.provenance import update_with_array

from .specs import ModelJob, ModelSpec, TrainSpec

logger = logging.getLogger(__name__)

#: Bump when a change of the trainer changes its numbers: every stored model is then retrained.
ENGINE_VERSION = "1"
#: A ``*.partial`` older than this is debris of a killed save (a save takes well under a second).
STALE_PARTIAL_SECONDS = 60.0
RECORD_SUFFIX = ".rec"
#: The suffix of the pickled records of stores written before the data-only format.
LEGACY_SUFFIX = ".pkl"
RECORD_FORMAT = "mtl_pipeline.shard_record"
RECORD_FORMAT_VERSION = 1
REJECTED_FOLDER = "rejected"
#: Score columns of a record's curves that must lie in [0, 1] (aux_* = the auxiliary task's).
UNIT_INTERVAL_COLUMNS = (
    "test_accuracy",
    "test_f1",
    "test_macro_f1",
    "aux_test_accuracy",
    "aux_test_f1",
)
#: Loss columns: finite values must be >= 0.
LOSS_COLUMNS = ("train_loss", "main_train_loss", "test_loss", "aux_test_loss")
MIGRATE_COMMAND = "python -m mtl_pipeline.training.store migrate"


def spec_fingerprint(
    model: ModelSpec, train: TrainSpec, features_fp: str, dtype: str, input_mode: str
) -> str:
    """Everything a model's result depends on except its job (shared by a whole work group)."""
    h = hashlib.sha256()
    payload = {
        "engine": ENGINE_VERSION,
        "model": model.fingerprint_fields(),  # what its family declares (families.base)
        "train": dataclasses.asdict(train),
        "features": features_fp,
        "dtype": dtype,
        "input_mode": input_mode,
    }
    h.update(json.dumps(payload, sort_keys=True, default=str).encode())
    if model.embedding is not None:
        update_with_array(h, np.asarray(model.embedding))
    return h.hexdigest()


def probed_spec_fingerprint(spec_fp: str, probe_settings: Mapping[str, object]) -> str:
    """The spec fingerprint of a work group trained with a probe: the group's own one plus
    everything that decides the probe's results (e.g. the lookahead step size), so that a
    changed probe setting retrains the group's models and an unprobed group keeps its key."""
    text = json.dumps({"spec": spec_fp, "probe": probe_settings}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


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
            update_with_array(h, arr)
    return h.hexdigest()[:32]


@dataclass
class StoredModel:
    """One model's result: its curve rows (one per epoch) and final test predictions; with a
    probe, its ``probes`` row (None for a model trained without one)."""

    fingerprint: str
    curves: pd.DataFrame
    predictions: pd.DataFrame
    probes: pd.DataFrame | None = None


class CorruptRecordError(ValueError):
    """A stored record that cannot be trusted (unreadable, altered, misfiled or out of range)."""


class StoreWriteError(InputError):
    """A record could not be written (full disk, read-only store): names the path."""


class LegacyStoreError(InputError):
    """A shard store holding pickled records of the former format."""


def _table_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow")
    return buffer.getvalue()


def encode_record(model: StoredModel) -> bytes:
    """The record file of one model: ``record.json`` + two Parquet tables in a zip archive."""
    frames = {"curves": model.curves, "predictions": model.predictions}
    if model.probes is not None:  # absent otherwise: an unprobed record keeps its former layout
        frames["probes"] = model.probes
    tables = {f"{name}.parquet": _table_bytes(frame) for name, frame in frames.items()}
    header = {
        "format": RECORD_FORMAT,
        "format_version": RECORD_FORMAT_VERSION,
        "fingerprint": model.fingerprint,
        "engine_version": ENGINE_VERSION,
        "rows": {name: len(frame) for name, frame in frames.items()},
        "sha256": {name: hashlib.sha256(blob).hexdigest() for name, blob in tables.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("record.json", json.dumps(header, sort_keys=True))
        for name, blob in tables.items():
            archive.writestr(name, blob)
    return buffer.getvalue()


def _check_scores(curves: pd.DataFrame) -> None:
    for column in UNIT_INTERVAL_COLUMNS + LOSS_COLUMNS:
        if column not in curves.columns:
            continue
        values = pd.to_numeric(curves[column], errors="coerce").to_numpy(dtype=float)
        present = values[~np.isnan(values)]
        if column in UNIT_INTERVAL_COLUMNS:
            bad = present[(present < 0) | (present > 1)]
            expected = "in [0, 1]"
        else:
            bad = present[~np.isfinite(present) | (present < 0)]
            expected = "finite and >= 0"
        if len(bad):
            raise CorruptRecordError(
                f"curves column {column} holds {float(bad[0])!r}; expected {expected}"
            )


def decode_record(blob: bytes, fingerprint: str) -> StoredModel:
    """The model of a record file, verified; raises :class:`CorruptRecordError` saying why not.

    Nothing here can run code: zip, JSON and Parquet are parsed as data."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            header = json.loads(archive.read("record.json"))
            if not isinstance(header, dict) or header.get("format") != RECORD_FORMAT:
                raise CorruptRecordError("record.json does not describe a shard record")
            if header.get("format_version") != RECORD_FORMAT_VERSION:
                raise CorruptRecordError(
                    f"record format version {header.get('format_version')!r}; "
                    f"this code reads {RECORD_FORMAT_VERSION}"
                )
            if header.get("fingerprint") != fingerprint:
                raise CorruptRecordError(
                    f"it is the record of {header.get('fingerprint')!r}, filed under {fingerprint!r}"
                )
            tables = {}
            optional = ("probes",) if "probes" in header["rows"] else ()
            for name in ("curves", "predictions", *optional):
                data = archive.read(f"{name}.parquet")
                if hashlib.sha256(data).hexdigest() != header["sha256"][f"{name}.parquet"]:
                    raise CorruptRecordError(f"{name}.parquet does not match its checksum")
                tables[name] = pd.read_parquet(io.BytesIO(data), engine="pyarrow")
                if len(tables[name]) != header["rows"][name]:
                    raise CorruptRecordError(f"{name}.parquet has a wrong number of rows")
    except CorruptRecordError:
        raise
    except Exception as error:  # any damage: bad zip, bad JSON, missing member or key, bad Parquet
        raise CorruptRecordError(f"unreadable ({type(error).__name__}: {error})") from None
    curves = tables["curves"]
    if "fingerprint" in curves.columns and (curves["fingerprint"] != fingerprint).any():
        raise CorruptRecordError("its curves carry another model's fingerprint")
    _check_scores(curves)
    return StoredModel(fingerprint, curves, tables["predictions"], tables.get("probes"))


class ShardStore:
    """Per-model results under ``root`` (a local path or an fsspec URL).

    ``rejected`` lists the paths of records that failed verification since the store was
    opened (each moved aside under ``<root>/rejected/``)."""

    def __init__(self, root: str, *, refuse_legacy: bool = True) -> None:
        self.root = str(root).rstrip("/")
        self._fs, self._path = fsspec.core.url_to_fs(self.root)
        self._fs.makedirs(self._path, exist_ok=True)
        self.rejected: list[str] = []
        if refuse_legacy:
            legacy = self.legacy_records()
            if legacy:
                raise LegacyStoreError(
                    f"the shard store {self.root} holds {len(legacy)} record(s) in the former "
                    f"pickle format (e.g. {legacy[0]}), which this version no longer reads: "
                    "loading a pickle runs code. If you trust these files (written by this "
                    f"project), convert them, keeping every model: {MIGRATE_COMMAND} {self.root} ; "
                    "otherwise delete the folder (or set training.shard_store to another one) "
                    "and the models are trained again"
                )
        self._remove_stale_partials()

    def __repr__(self) -> str:
        return f"ShardStore({self.root!r})"

    def _file(self, fingerprint: str) -> str:
        # Record folders are named by two characters: the ``??`` of every listing skips
        # ``rejected/``.
        return f"{self._path}/{fingerprint[:2]}/{fingerprint}{RECORD_SUFFIX}"

    def legacy_records(self) -> list[str]:
        """Paths of pickled records of the former format."""
        return sorted(self._fs.glob(f"{self._path}/??/*{LEGACY_SUFFIX}"))

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

    def _reject(self, path: str, reason: str) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        name = PurePosixPath(path).name
        aside = f"{self._path}/{REJECTED_FOLDER}/{name}.{stamp}.rejected"
        self._fs.makedirs(str(PurePosixPath(aside).parent), exist_ok=True)
        self._fs.mv(path, aside)
        self.rejected.append(path)
        logger.warning(
            "shard store: rejected the record %s (%s); moved to %s, its model is trained again",
            path,
            reason,
            aside,
        )

    def get(self, fingerprint: str) -> StoredModel | None:
        """The stored model, verified; None when absent or rejected (then moved aside)."""
        path = self._file(fingerprint)
        if not self._fs.exists(path):
            return None
        with self._fs.open(path, "rb") as handle:
            blob = handle.read()
        try:
            return decode_record(blob, fingerprint)
        except CorruptRecordError as error:
            self._reject(path, str(error))
            return None

    def put(self, models: Iterable[StoredModel]) -> None:
        """Write each model's record atomically (a shard's models, right after it trained)."""
        for model in models:
            blob = encode_record(model)
            path = self._file(model.fingerprint)
            try:
                write_atomically(self._fs, path, lambda h, b=blob: h.write(b))
            except OSError as error:
                raise StoreWriteError(
                    f"could not write the shard store record {path} "
                    f"({error.strerror or error}); every model stored before it is kept "
                    f"({self.count()} in {self.root}): make room or fix the folder, then rerun "
                    "the same command to resume"
                ) from error

    def count(self) -> int:
        """Number of stored models."""
        return len(self._fs.glob(f"{self._path}/??/*{RECORD_SUFFIX}"))


# --------------------------------------------------------------------------- migration


def _legacy_model(path: str, blob: bytes) -> StoredModel:
    """The model of one trusted pickled record (the former format), checked for its shape."""
    record = pickle.loads(blob)  # noqa: S301 - only on the user's explicit request (migrate)
    if not (
        isinstance(record, dict)
        and isinstance(record.get("curves"), pd.DataFrame)
        and isinstance(record.get("predictions"), pd.DataFrame)
    ):
        raise CorruptRecordError("not a {'curves', 'predictions'} record of this project")
    fingerprint = PurePosixPath(path).name.removesuffix(LEGACY_SUFFIX)
    return StoredModel(fingerprint, record["curves"], record["predictions"])


def migrate(root: str) -> dict[str, int]:
    """Convert every pickled record under ``root`` into the data-only format, keeping its
    fingerprint (the file's name); remove each pickle once its new record reads back verified.

    Loads the pickles, so run it only on a store you trust. Safe to rerun after an interruption.
    A record that cannot be converted is moved to ``<root>/rejected/`` (its model is retrained).
    """
    store = ShardStore(root, refuse_legacy=False)
    fs = store._fs
    counts = {"converted": 0, "rejected": 0}
    for path in store.legacy_records():
        with fs.open(path, "rb") as handle:
            blob = handle.read()
        fingerprint = PurePosixPath(path).name.removesuffix(LEGACY_SUFFIX)
        try:
            model = _legacy_model(path, blob)
            encoded = encode_record(model)
            decode_record(encoded, fingerprint)  # the scores are range-checked here too
        except Exception as error:  # noqa: BLE001 - any bad record is set aside, not fatal
            store._reject(path, f"not convertible: {error}")
            counts["rejected"] += 1
            continue
        target = store._file(fingerprint)
        write_atomically(fs, target, lambda h, b=encoded: h.write(b))
        with fs.open(target, "rb") as handle:
            decode_record(handle.read(), fingerprint)
        fs.rm(path)
        counts["converted"] += 1
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mtl_pipeline.training.store",
        description="Shard store maintenance.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    convert = commands.add_parser(
        "migrate",
        help="convert a trusted store of pickled records (*.pkl) into the data-only format",
    )
    convert.add_argument("path", help="the shard store folder (or fsspec URL)")
    args = parser.parse_args(argv)
    fs, path = fsspec.core.url_to_fs(args.path)
    if not fs.isdir(path):
        print(f"Error: no shard store folder at {args.path}", file=sys.stderr)
        return 2
    counts = migrate(args.path)
    print(
        f"shard store {args.path}: converted={counts['converted']} rejected={counts['rejected']} "
        f"(records now: {ShardStore(args.path).count()})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
