"""Parquet tables written atomically (write to a temporary file, then rename)."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

import pandas as pd
from kedro.io.core import get_filepath_str
from kedro_datasets.pandas import ParquetDataset


class AtomicParquetDataset(ParquetDataset):
    """``pandas.ParquetDataset`` whose save never leaves a half-written file behind.

    kedro-datasets writes straight into the version folder; a run killed mid-write would leave a
    truncated file that Kedro then resolves as the *latest* version. Writing to a temporary name
    and renaming keeps every visible version complete. Everything else (versioning, load args,
    kedro-viz previews) is inherited unchanged.
    """

    def save(self, data: pd.DataFrame) -> None:
        save_path = get_filepath_str(self._get_save_path(), self._protocol)
        temporary = f"{save_path}.{uuid.uuid4().hex}.partial"
        self._fs.makedirs(str(PurePosixPath(save_path).parent), exist_ok=True)
        try:
            with self._fs.open(temporary, mode="wb") as handle:
                data.to_parquet(handle, **self._save_args)
            self._fs.mv(temporary, save_path)
        except BaseException:
            if self._fs.exists(temporary):
                self._fs.rm(temporary)
            raise
        self._invalidate_cache()
