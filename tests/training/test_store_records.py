"""Shard-store records hold data, not code, and are verified on every read; migration of the
former pickled stores keeps every fingerprint."""

import io
import logging
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest

from mtl_pipeline.training.executor import ExecutionSpec, WorkGroup, train_durably
from mtl_pipeline.training.store import (
    CorruptRecordError,
    LegacyStoreError,
    ShardStore,
    StoredModel,
    StoreWriteError,
    decode_record,
    encode_record,
    main,
    migrate,
)

from .test_store_executor import SPEC, TRAIN, _jobs


def _execution(store):
    return ExecutionSpec(store=str(store), shard_size=2, device="cpu", progress=False)


def _train(features, store):
    (result,), summary = train_durably(
        features, [WorkGroup("all", _jobs(features), SPEC, TRAIN)], _execution(store)
    )
    return result, summary


def _records(store):
    return sorted(p for p in store.glob("??/*.rec"))


def _member_offset(blob: bytes, member: str) -> int:
    """Where the bytes of one zip member start inside a record file."""
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        info = archive.getinfo(member)
    header = blob[info.header_offset : info.header_offset + 30]
    name_length = int.from_bytes(header[26:28], "little")
    extra_length = int.from_bytes(header[28:30], "little")
    return info.header_offset + 30 + name_length + extra_length


def _write_legacy(store, model: StoredModel) -> None:
    """A record as the former ``ShardStore.put`` wrote it (a pickle at ``<fp[:2]>/<fp>.pkl``)."""
    path = store / model.fingerprint[:2] / f"{model.fingerprint}.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"curves": model.curves, "predictions": model.predictions}
    path.write_bytes(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))


def test_flipped_truncated_and_swapped_records_are_rejected_and_retrained(
    features, tmp_path, caplog
):
    uninterrupted, _ = _train(features, tmp_path / "reference")
    store = tmp_path / "store"
    _train(features, store)
    records = _records(store)
    assert len(records) == 6
    # one bit of the curves table flipped
    blob = bytearray(records[0].read_bytes())
    blob[_member_offset(bytes(blob), "curves.parquet") + 40] ^= 0x04
    records[0].write_bytes(bytes(blob))
    # a record cut short (as by a full disk)
    records[1].write_bytes(records[1].read_bytes()[:-100])
    # two records' files swapped
    third, fourth = records[2].read_bytes(), records[3].read_bytes()
    records[2].write_bytes(fourth)
    records[3].write_bytes(third)

    caplog.set_level(logging.INFO, logger="mtl_pipeline.training")
    rerun, summary = _train(features, store)
    assert (summary.trained, summary.reused, summary.rejected) == (4, 2, 4)
    pd.testing.assert_frame_equal(rerun.curves, uninterrupted.curves)
    pd.testing.assert_frame_equal(rerun.predictions, uninterrupted.predictions)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for path in records[:4]:
        assert any(f"rejected the record {path} " in w for w in warnings), path
    assert any("Bad CRC-32 for file 'curves.parquet'" in w for w in warnings)  # the flip
    assert any("BadZipFile" in w for w in warnings)  # the truncation
    assert sum("filed under" in w for w in warnings) == 2  # the swap
    assert len(list((store / "rejected").iterdir())) == 4
    assert any("rejected=4" in r.getMessage() for r in caplog.records)
    # the retrained records are good: a third run reuses everything
    again, summary = _train(features, store)
    assert (summary.trained, summary.reused, summary.rejected) == (0, 6, 0)
    pd.testing.assert_frame_equal(again.curves, uninterrupted.curves)


def test_no_single_bit_flip_changes_what_a_record_returns(features, tmp_path):
    _train(features, tmp_path)
    path = _records(tmp_path)[0]
    fingerprint = path.stem
    blob = path.read_bytes()
    original = decode_record(blob, fingerprint)
    accepted = 0
    for position in range(0, len(blob), 3):
        damaged = bytearray(blob)
        damaged[position] ^= 1 << (position % 8)
        try:
            model = decode_record(bytes(damaged), fingerprint)
        except CorruptRecordError:
            continue
        # a flip that is not rejected hit zip bookkeeping that holds no data
        accepted += 1
        pd.testing.assert_frame_equal(model.curves, original.curves)
        pd.testing.assert_frame_equal(model.predictions, original.predictions)
    assert accepted < len(blob) // 3 / 10  # nearly every flip is caught


def test_a_score_out_of_range_is_rejected_even_with_a_valid_checksum(features, tmp_path):
    """A record rewritten with a consistent checksum but an F1 of 1.856 is still refused."""
    _train(features, tmp_path)
    path = _records(tmp_path)[0]
    model = decode_record(path.read_bytes(), path.stem)
    curves = model.curves.copy()
    curves.loc[curves.index[-1], "test_f1"] = 1.856
    path.write_bytes(encode_record(StoredModel(path.stem, curves, model.predictions)))
    with pytest.raises(CorruptRecordError, match=r"test_f1 holds 1.856; expected in \[0, 1\]"):
        decode_record(path.read_bytes(), path.stem)
    store = ShardStore(str(tmp_path))
    assert store.get(path.stem) is None
    assert store.rejected == [str(path)] and not path.exists()


def test_a_table_replaced_behind_its_header_fails_the_checksum(features, tmp_path):
    """A record rebuilt with valid zip CRCs but another table than its header's SHA-256."""
    _train(features, tmp_path)
    path = _records(tmp_path)[0]
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    other = pd.read_parquet(io.BytesIO(members["curves.parquet"]))
    other["test_accuracy"] = other["test_accuracy"] * 0.5
    buffer = io.BytesIO()
    other.to_parquet(buffer)
    members["curves.parquet"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(CorruptRecordError, match="curves.parquet does not match its checksum"):
        decode_record(path.read_bytes(), path.stem)


class _RunsCode:
    """Unpickling this creates a file: what a crafted pickled record could do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickled_store_is_refused_without_loading_it(tmp_path):
    marker = tmp_path / "code_ran"
    record = tmp_path / "store" / "ab" / ("ab" + "0" * 30 + ".pkl")
    record.parent.mkdir(parents=True)
    record.write_bytes(pickle.dumps(_RunsCode(marker)))
    with pytest.raises(LegacyStoreError) as error:
        ShardStore(str(tmp_path / "store"))
    message = str(error.value)
    assert "holds 1 record(s) in the former pickle format" in message
    assert f"python -m mtl_pipeline.training.store migrate {tmp_path / 'store'}" in message
    assert "delete the folder" in message
    assert not marker.exists()


def test_migration_keeps_every_fingerprint_and_every_result(features, tmp_path, capsys):
    store = tmp_path / "store"
    first, _ = _train(features, store)
    # the same store as the former code wrote it: pickles under the same fingerprints
    for path in _records(store):
        _write_legacy(store, decode_record(path.read_bytes(), path.stem))
        path.unlink()
    fingerprints = sorted(p.stem for p in store.glob("??/*.pkl"))
    assert len(fingerprints) == 6
    with pytest.raises(LegacyStoreError):
        _train(features, store)
    assert main(["migrate", str(store)]) == 0
    assert "converted=6 rejected=0 (records now: 6)" in capsys.readouterr().out
    assert sorted(p.stem for p in _records(store)) == fingerprints
    assert not list(store.glob("??/*.pkl"))
    migrated, summary = _train(features, store)
    assert (summary.trained, summary.reused, summary.rejected) == (0, 6, 0)
    pd.testing.assert_frame_equal(migrated.curves, first.curves)
    pd.testing.assert_frame_equal(migrated.predictions, first.predictions)
    # rerunning the migration on a converted store does nothing
    assert migrate(str(store)) == {"converted": 0, "rejected": 0}


def test_migration_sets_aside_what_is_not_a_record(tmp_path):
    store = tmp_path / "store"
    bad = store / "cd" / ("cd" + "1" * 30 + ".pkl")
    bad.parent.mkdir(parents=True)
    bad.write_bytes(pickle.dumps({"curves": [1, 2]}))
    good = StoredModel(
        "ef" + "2" * 30,
        pd.DataFrame({"model_id": ["m"], "epoch": [1], "test_f1": [np.float32(0.5)]}),
        pd.DataFrame({"model_id": ["m"], "row": [3], "pred": [1]}),
    )
    _write_legacy(store, good)
    assert migrate(str(store)) == {"converted": 1, "rejected": 1}
    assert len(list((store / "rejected").iterdir())) == 1
    loaded = ShardStore(str(store)).get(good.fingerprint)
    pd.testing.assert_frame_equal(loaded.curves, good.curves)
    pd.testing.assert_frame_equal(loaded.predictions, good.predictions)


def test_migrate_names_a_missing_folder(tmp_path, capsys):
    assert main(["migrate", str(tmp_path / "nowhere")]) == 2
    assert f"no shard store folder at {tmp_path / 'nowhere'}" in capsys.readouterr().err


def test_a_failed_write_names_its_path_and_keeps_what_was_stored(tmp_path, monkeypatch):
    import mtl_pipeline.training.store as store_module

    store = ShardStore(str(tmp_path))
    frame = pd.DataFrame({"model_id": ["m"], "epoch": [1], "test_f1": [0.5]})
    first, second = "ab" + "0" * 30, "cd" + "0" * 30
    store.put([StoredModel(first, frame, frame.iloc[:0])])

    def full_disk(fs, path, write):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module, "write_atomically", full_disk)
    with pytest.raises(StoreWriteError) as error:
        store.put([StoredModel(second, frame, frame.iloc[:0])])
    assert str(error.value).startswith(
        f"could not write the shard store record {tmp_path}/cd/{second}.rec (No space left on "
        f"device); every model stored before it is kept (1 in {tmp_path})"
    )
    assert store.get(first) is not None
