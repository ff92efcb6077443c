"""A versioned Kedro dataset for scipy sparse matrices (kedro-datasets has none)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import fsspec
import scipy.sparse as sp
from kedro.io.core import (
    AbstractVersionedDataset,
    DatasetError,
    Version,
    get_filepath_str,
    get_protocol_and_path,
)

from mtl_pipeline.atomic import write_atomically


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

    def _exists(self) -> bool:
        try:
            load_path = get_filepath_str(self._get_load_path(), self._protocol)
        except DatasetError:
            return False
        return self._fs.exists(load_path)

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath, "protocol": self._protocol, "version": self._version}
