"""All datasets of a run: the data folder checked before any file is read, and every dataset in
one table (the ``tweet_datasets`` catalog entry) and back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from .config import TweetDatasetConfig
from .text_files import ID, TEXT, TweetDataError

DATASET = "dataset"
LABEL_SEPARATOR = ":"  # label column "<dataset>:<column>" in the combined table


def _dataset_files(config: TweetDatasetConfig) -> list[str]:
    files = list(config.source.files)
    if config.hydrated is not None:
        files += config.hydrated.files
    for extra in config.extra_labels:
        files += extra.source.files
    return files


def check_data_dir(
    data_dir: str, configs: Mapping[str, TweetDatasetConfig], wanted: Sequence[str]
) -> Path:
    """``tweets.data_dir`` as a path, when it holds at least one file of the wanted datasets.

    A run without data configured stops here with what is missing and how to set it, before any
    file is read.
    """
    fix = (
        "Put the tweet files there (see data/01_raw/tweets/README.md) or point the parameter at "
        "them: kedro run --pipelines=tweets --params tweets.data_dir=/path/to/tweets"
    )
    path = Path(data_dir)
    if not path.is_dir():
        raise TweetDataError(
            f"parameter tweets.data_dir is {data_dir!r}: no such folder ({path.resolve()}). {fix}"
        )
    expected = [f for name in wanted for f in _dataset_files(configs[name])]
    if expected and not any((path / f).is_file() for f in expected):
        raise TweetDataError(
            f"parameter tweets.data_dir is {data_dir!r}: none of the {len(expected)} files of "
            f"datasets {list(wanted)} is there (e.g. {expected[0]}). {fix}"
        )
    return path


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
