"""One tweet dataset: its label table, deduplicated, joined with its text (from the table or
the rehydration output) and its extra label tables, with a report of every row dropped."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .config import TweetDatasetConfig
from .hydration import read_hydrated
from .report import MISSING_REASONS
from .tables import check_ids, first_flagged, read_table, validate_labels
from .text_files import ID, TEXT, TweetDataError


def dedupe(df: pd.DataFrame, label_cols: Sequence[str]) -> tuple[pd.DataFrame, int, list[str]]:
    """Keep the first row per id; drop ids whose rows disagree on any label (listed)."""
    n_dup = int(df[ID].duplicated().sum())
    key = df[list(label_cols)].astype(str).agg("\x1f".join, axis=1)
    n_labels = key.groupby(df[ID]).nunique()
    conflicting = sorted(n_labels.index[n_labels > 1])
    kept = df[~df[ID].isin(conflicting)].drop_duplicates(ID, keep="first")
    return kept, n_dup, conflicting


def load_tweet_dataset(
    config: TweetDatasetConfig, data_dir: str | Path
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read one dataset: returns (table with ``tweet_id``, ``text``, labels; report dict)."""
    where = config.where
    label_cols = [s.column for s in config.labels]
    df = _labelled_rows(config, data_dir, where)
    report: dict[str, Any] = {"dataset": config.name, "n_rows": len(df)}
    df, n_dup, conflicting = dedupe(df, label_cols)
    report.update(
        n_requested=len(df) + len(conflicting),
        n_duplicate_rows=n_dup,
        n_conflicting_ids=len(conflicting),
        conflicting_ids=";".join(conflicting),
    )
    df = _with_text(df, config, data_dir, where, report)
    df = _without_empty_text(df, config, where, report)
    df = _with_extra_labels(df, config, data_dir, where, report)
    extra_cols = [s.column for e in config.extra_labels for s in e.labels]
    out = df.rename(columns={"_text": TEXT})[[ID, TEXT, *label_cols, *extra_cols]]
    return out.reset_index(drop=True), report


def _labelled_rows(config: TweetDatasetConfig, data_dir: str | Path, where: str) -> pd.DataFrame:
    """The label table's rows: id, label columns, ``_text`` (empty when text is rehydrated)
    and the ``_file``/``_line`` they came from."""
    label_cols = [s.column for s in config.labels]
    required = [config.source.id_column, *label_cols]
    if config.text_column is not None:
        required.append(config.text_column)
    raw = read_table(config.source, data_dir, required, where)
    raw = validate_labels(raw, config.labels, where)
    df = pd.DataFrame({ID: check_ids(raw, config.source.id_column)})
    for col in label_cols:
        df[col] = raw[col]
    df["_text"] = raw[config.text_column].astype(str) if config.text_column else ""
    df["_file"], df["_line"] = raw["_file"], raw["_line"]
    return df


def _with_text(
    df: pd.DataFrame,
    config: TweetDatasetConfig,
    data_dir: str | Path,
    where: str,
    report: dict[str, Any],
) -> pd.DataFrame:
    """The rows whose text was found (all of them when the table carries it); the report
    counts the others by reason."""
    requested = df[ID].tolist()
    missing: dict[str, list[str]] = {r: [] for r in MISSING_REASONS}
    if config.hydrated is not None:
        hyd = read_hydrated(config.hydrated, data_dir, config.hydrated.retweet_text)
        report["n_skipped_lines"] = len(hyd.skipped_lines)
        found = df[ID].isin(hyd.texts.keys())
        for tid in df.loc[~found, ID]:
            missing[hyd.errors.get(tid, "absent")].append(tid)
        if not found.any():
            raise TweetDataError(
                f"{where}: none of the {len(df)} requested ids is in the rehydration output "
                f"{list(config.hydrated.files)} (format {config.hydrated.format}); "
                f"{len(missing['not_found'])} not found, {len(missing['not_authorised'])} not "
                f"authorised, {len(missing['absent'])} not mentioned: wrong file or format?"
            )
        df = df[found].copy()
        df["_text"] = df[ID].map(hyd.texts)
        report["n_unrequested"] = len(set(hyd.texts) - set(requested))
    else:
        report["n_unrequested"] = 0
        report["n_skipped_lines"] = 0
    report["n_found"] = len(df)
    for reason in MISSING_REASONS:
        report[f"n_missing_{reason}"] = len(missing[reason])
    report["missing_ids"] = ";".join(i for r in MISSING_REASONS for i in missing[r])
    return df


def _without_empty_text(
    df: pd.DataFrame, config: TweetDatasetConfig, where: str, report: dict[str, Any]
) -> pd.DataFrame:
    empty = df["_text"].str.strip() == ""
    if empty.any() and config.on_empty_text == "error":
        i, at = first_flagged(df, empty)
        raise TweetDataError(
            f"{at}: tweet "
            f"{df[ID].iat[i]} has an empty text (parameter "
            f"{where}.on_empty_text is 'error')"
        )
    report["n_empty_text"] = int(empty.sum())
    report["empty_text_ids"] = ";".join(df.loc[empty, ID])
    return df[~empty]


def _with_extra_labels(
    df: pd.DataFrame,
    config: TweetDatasetConfig,
    data_dir: str | Path,
    where: str,
    report: dict[str, Any],
) -> pd.DataFrame:
    """The rows that every extra label table labels, with its label columns joined on."""
    n_before = len(df)
    for k, extra in enumerate(config.extra_labels):
        ew = f"{where}.extra_labels[{k}]"
        cols = [s.column for s in extra.labels]
        clash = set(cols) & set(df.columns)
        if clash:
            raise TweetDataError(f"parameter {ew}.labels: columns {sorted(clash)} already exist")
        table = read_table(extra.source, data_dir, [extra.source.id_column, *cols], ew)
        table = validate_labels(table, extra.labels, ew)
        table = pd.DataFrame(
            {ID: check_ids(table, extra.source.id_column), **{c: table[c] for c in cols}}
        ).drop_duplicates(ID)
        df = df.merge(table, on=ID, how="inner")
    report["n_missing_extra_labels"] = n_before - len(df)
    if df.empty:
        raise TweetDataError(
            f"{where}: no tweet left after dropping duplicates, conflicts, missing and empty texts"
        )
    report["n_kept"] = len(df)
    return df
