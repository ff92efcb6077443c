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


def test_sparse_matrix_preview_has_shape_density_and_top_terms(tmp_path):
    version = Version(None, "2026-01-01T00.00.00.000Z")
    matrix = SparseMatrixDataset(filepath=str(tmp_path / "m.npz"), version=version)
    matrix.save(sp.csr_matrix(np.array([[0.0, 2.0, 0.5], [0.0, 1.0, 0.0]])))
    vocabulary = AtomicParquetDataset(filepath=str(tmp_path / "v.parquet"), version=version)
    vocabulary.save(pd.DataFrame({"term": ["a", "bee", "sea"], "column": [0, 1, 2]}))

    preview = SparseMatrixDataset(filepath=str(tmp_path / "m.npz"), version=Version(None, None))
    table = dict(preview.preview(vocabulary=str(tmp_path / "v.parquet"), top_terms=2)["data"])
    assert table["shape (rows × columns)"] == "2 × 3"
    assert table["density"] == "50.000 %"
    assert table["top term 1 (total weight)"] == "bee (3.0)"
    assert table["top term 2 (total weight)"] == "sea (0.5)"


def test_table_preview_rounds_floats(tmp_path):
    dataset = AtomicParquetDataset(filepath=str(tmp_path / "t.parquet"))
    dataset.save(pd.DataFrame({"name": ["x"], "score": [0.123456789], "n": [3]}))
    assert dataset.preview(decimals=3)["data"] == [["x", 0.123, 3]]
