"""Parquet tables written atomically (write to a temporary file, then rename)."""

from __future__ import annotations

import pandas as pd
from kedro.io.core import get_filepath_str
from kedro_datasets.pandas import ParquetDataset

from mtl_pipeline.atomic import write_atomically


class AtomicParquetDataset(ParquetDataset):
    """``pandas.ParquetDataset`` whose save never leaves a half-written file behind.

    kedro-datasets writes straight into the version folder; a run killed mid-write would leave a
    truncated file that Kedro then resolves as the *latest* version. Writing to a temporary name
    and renaming keeps every visible version complete. Everything else (versioning, load args,
    kedro-viz previews) is inherited unchanged.
    """

    def save(self, data: pd.DataFrame) -> None:
        save_path = get_filepath_str(self._get_save_path(), self._protocol)
        write_atomically(self._fs, save_path, lambda h: data.to_parquet(h, **self._save_args))
        self._invalidate_cache()
