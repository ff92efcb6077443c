"""A versioned Kedro dataset for scipy sparse matrices (kedro-datasets has none)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import fsspec
import numpy as np
import pandas as pd
import scipy.sparse as sp
from kedro.io.core import (
    AbstractVersionedDataset,
    DatasetError,
    Version,
    get_filepath_str,
    get_protocol_and_path,
)

from mtl_pipeline.atomic import write_atomically

try:  # kedro-viz's preview types; a plain dict where kedro-datasets is too old to have them
    from kedro_datasets._typing import TablePreview
except ImportError:  # pragma: no cover
    TablePreview = dict


class SparseMatrixDataset(AbstractVersionedDataset[sp.spmatrix, sp.csr_matrix]):
    """Saves a scipy sparse matrix as ``.npz`` (``scipy.sparse.save_npz``), versioned.

    The write is atomic: the matrix goes to a temporary file beside the target which is then
    renamed, so a run that fails mid-write never leaves a truncated version that a later
    ``load`` of the latest version would pick up.

    Example catalog entry::

        tfidf_matrix:
          type: mtl_pipeline.datasets.SparseMatrixDataset
          filepath: data/04_feature/tfidf_matrix.npz
          versioned: true
          metadata:
            kedro-viz:
              preview_args:
                vocabulary: data/04_feature/tfidf_vocabulary.parquet
                top_terms: 10

    kedro-viz previews it as a small table (:meth:`preview`): shape, stored values, density,
    values per row, and the terms with the largest total weight when ``vocabulary`` names the
    vocabulary's catalog path (a table with ``term`` and ``column``).
    """

    def __init__(
        self,
        *,
        filepath: str,
        compressed: bool = True,
        version: Version | None = None,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        protocol, path = get_protocol_and_path(filepath, version)
        self._protocol = protocol
        self._fs = fsspec.filesystem(protocol, **(credentials or {}), **(fs_args or {}))
        self._compressed = compressed
        self.metadata = metadata
        super().__init__(
            filepath=PurePosixPath(path),
            version=version,
            exists_function=self._fs.exists,
            glob_function=self._fs.glob,
        )

    def load(self) -> sp.csr_matrix:
        load_path = get_filepath_str(self._get_load_path(), self._protocol)
        try:
            with self._fs.open(load_path, mode="rb") as handle:
                return sp.load_npz(handle).tocsr()
        except (OSError, ValueError) as error:
            raise DatasetError(f"Cannot read sparse matrix '{load_path}': {error}") from error

    def save(self, data: sp.spmatrix) -> None:
        if not sp.issparse(data):
            raise DatasetError(
                f"SparseMatrixDataset '{self._filepath}' takes a scipy sparse matrix, "
                f"got {type(data).__name__}"
            )
        save_path = get_filepath_str(self._get_save_path(), self._protocol)
        matrix = data.tocsr()
        write_atomically(
            self._fs, save_path, lambda h: sp.save_npz(h, matrix, compressed=self._compressed)
        )
        self._fs.invalidate_cache(save_path)

    def preview(self, vocabulary: str | None = None, top_terms: int = 10) -> TablePreview:
        """Shape, density and top terms of the stored matrix, as a kedro-viz table preview.

        ``vocabulary`` is the path of a (possibly versioned) Parquet table with ``term`` and
        ``column``; of a versioned one, the version saved by the same run as the matrix is read
        when it exists, else the newest.
        """
        matrix = self.load()
        n_rows, n_cols = matrix.shape
        density = matrix.nnz / (n_rows * n_cols) if n_rows and n_cols else 0.0
        rows = [
            ("shape (rows × columns)", f"{n_rows:,} × {n_cols:,}"),
            ("stored values", f"{matrix.nnz:,}"),
            ("density", f"{100 * density:.3f} %"),
            ("stored values per row (mean)", f"{matrix.nnz / max(n_rows, 1):.1f}"),
        ]
        weights = np.asarray(matrix.sum(axis=0)).ravel()
        top = np.argsort(-weights, kind="stable")[: max(int(top_terms), 0)]
        names = self._term_names(vocabulary) if vocabulary else {}
        for rank, column in enumerate(top, start=1):
            term = names.get(int(column), f"column {column}")
            rows.append((f"top term {rank} (total weight)", f"{term} ({weights[column]:.1f})"))
        return TablePreview(
            {"columns": ["property", "value"], "index": list(range(len(rows))), "data": rows}
        )

    def _term_names(self, vocabulary: str) -> dict[int, str]:
        """column → term, from the vocabulary version of the same run (else the newest)."""
        protocol, path = get_protocol_and_path(vocabulary)
        fs = fsspec.filesystem(protocol)
        name = PurePosixPath(path).name
        version = PurePosixPath(get_filepath_str(self._get_load_path(), self._protocol)).parent.name
        candidates = [f"{path}/{version}/{name}"] + sorted(
            fs.glob(f"{path}/*/{name}"), reverse=True
        )
        found = next((c for c in candidates if fs.isfile(c)), path if fs.isfile(path) else None)
        if found is None:
            return {}
        with fs.open(found, mode="rb") as handle:
            table = pd.read_parquet(handle, columns=["term", "column"])
        return dict(zip(table["column"].astype(int), table["term"].astype(str), strict=True))

    def _exists(self) -> bool:
        try:
            load_path = get_filepath_str(self._get_load_path(), self._protocol)
        except DatasetError:
            return False
        return self._fs.exists(load_path)

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath, "protocol": self._protocol, "version": self._version}
