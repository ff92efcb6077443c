import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from kedro.io.core import DatasetError, Version

from mtl_pipeline.datasets import AtomicParquetDataset, SparseMatrixDataset


def test_sparse_matrix_round_trip_and_versions(tmp_path):
    matrix = sp.random(20, 30, density=0.1, format="csr", dtype=np.float32, random_state=0)
    first = SparseMatrixDataset(filepath=str(tmp_path / "m.npz"), version=Version(None, "v1"))
    first.save(matrix)
    second = SparseMatrixDataset(filepath=str(tmp_path / "m.npz"), version=Version(None, "v2"))
    second.save(matrix * 2)
    latest = SparseMatrixDataset(filepath=str(tmp_path / "m.npz"), version=Version(None, None))
    assert (latest.load() != matrix * 2).nnz == 0
    old = SparseMatrixDataset(filepath=str(tmp_path / "m.npz"), version=Version("v1", None))
    assert (old.load() != matrix).nnz == 0
    assert not list(tmp_path.rglob("*.partial"))


def test_sparse_matrix_rejects_dense_input(tmp_path):
    dataset = SparseMatrixDataset(filepath=str(tmp_path / "m.npz"))
    with pytest.raises(DatasetError, match="takes a scipy sparse matrix"):
        dataset.save(np.zeros((2, 2)))


def test_failed_parquet_write_leaves_previous_version_intact(tmp_path, monkeypatch):
    path = str(tmp_path / "t.parquet")
    AtomicParquetDataset(filepath=path, version=Version(None, "v1")).save(
        pd.DataFrame({"x": [1, 2]})
    )

    def broken_to_parquet(self, handle, **kwargs):
        handle.write(b"PAR1 half a file")
        raise RuntimeError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken_to_parquet)
    with pytest.raises(DatasetError, match="disk full"):
        AtomicParquetDataset(filepath=path, version=Version(None, "v2")).save(
            pd.DataFrame({"x": [3]})
        )
    monkeypatch.undo()
    latest = AtomicParquetDataset(filepath=path, version=Version(None, None)).load()
    assert latest["x"].tolist() == [1, 2]
    assert not list(tmp_path.rglob("*.partial"))
