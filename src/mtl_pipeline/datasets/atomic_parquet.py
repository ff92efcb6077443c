"""Parquet tables written atomically (write to a temporary file, then rename)."""

from __future__ import annotations

import pandas as pd
from kedro.io.core import get_filepath_str
from kedro_datasets._typing import TablePreview
from kedro_datasets.pandas import ParquetDataset

from mtl_pipeline.atomic import write_atomically


class AtomicParquetDataset(ParquetDataset):
    """``pandas.ParquetDataset`` whose save never leaves a half-written file behind.

    kedro-datasets writes straight into the version folder; a run killed mid-write would leave a
    truncated file that Kedro then resolves as the *latest* version. Writing to a temporary name
    and renaming keeps every visible version complete. Everything else (versioning, load args,
    kedro-viz previews) is inherited, except that previews round floats (``decimals``, settable in
    the entry's ``metadata.kedro-viz.preview_args``).
    """

    def preview(self, nrows: int = 5, decimals: int = 4) -> TablePreview:
        """The first ``nrows`` rows for kedro-viz, floats rounded to ``decimals`` places."""
        table = super().preview(nrows=nrows)
        table["data"] = [
            [round(v, decimals) if isinstance(v, float) else v for v in row]
            for row in table["data"]
        ]
        return TablePreview(table)

    def save(self, data: pd.DataFrame) -> None:
        save_path = get_filepath_str(self._get_save_path(), self._protocol)
        write_atomically(self._fs, save_path, lambda h: data.to_parquet(h, **self._save_args))
        self._invalidate_cache()
