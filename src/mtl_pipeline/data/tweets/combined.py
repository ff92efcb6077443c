"""All datasets of a run in one table (the ``tweet_datasets`` catalog entry) and back."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .text_files import ID, TEXT

DATASET = "dataset"
LABEL_SEPARATOR = ":"  # label column "<dataset>:<column>" in the combined table


def combine_tweet_datasets(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One table of every dataset: ``dataset``, ``tweet_id``, ``text``, then each dataset's label
    columns as ``<dataset>:<column>`` (empty on other datasets' rows), so that two datasets may
    use the same label name with different kinds of values."""
    parts = []
    for name, table in tables.items():
        labels = {c: f"{name}{LABEL_SEPARATOR}{c}" for c in table.columns if c not in (ID, TEXT)}
        part = table.rename(columns=labels)
        part.insert(0, DATASET, name)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def split_tweet_datasets(combined: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The per-dataset tables (``tweet_id``, ``text``, label columns by their own names) of a
    table written by ``combine_tweet_datasets``."""
    out = {}
    for name, rows in combined.groupby(DATASET, sort=False):
        prefix = f"{name}{LABEL_SEPARATOR}"
        labels = [c for c in combined.columns if c.startswith(prefix)]
        table = rows[[ID, TEXT, *labels]].rename(columns={c: c[len(prefix) :] for c in labels})
        out[str(name)] = table.reset_index(drop=True)
    return out
