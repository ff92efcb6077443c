"""Reading a dataset's id + label tables (TSV, CSV, Parquet) as strings with file and line
provenance, and checking their ids and labels against the configuration."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .config import LabelSpec, TableSource
from .text_files import TweetDataError, read_text_file


def read_table(
    source: TableSource, data_dir: str | Path, required: Sequence[str], where: str
) -> pd.DataFrame:
    """Read and concatenate the source's files as strings, with ``_file``/``_line`` provenance.

    ``_line`` is the 1-based line number in the file (data rows of a headed file start at 2;
    Parquet rows count from 1), so that errors can point at the offending row.
    """
    frames = []
    for name in source.files:
        path = Path(data_dir) / name
        if not path.is_file():
            raise TweetDataError(
                f"{where}: file {path} does not exist (parameter "
                f"{where}.files; data directory {data_dir})"
            )
        if source.format == "parquet":
            df = _read_parquet(path, source, where)
        else:
            df = _read_delimited(path, source)
        df["_file"] = str(path)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    for col in required:
        if col not in out.columns:
            cols = [c for c in out.columns if not c.startswith("_")]
            raise TweetDataError(
                f"{where}: column {col!r} not found in {source.files}; "
                f"the files have columns {cols}"
            )
    return out


def _read_parquet(path: Path, source: TableSource, where: str) -> pd.DataFrame:
    if path.stat().st_size == 0:
        raise TweetDataError(f"{path}: file is empty (0 bytes); expected a Parquet table")
    df = pd.read_parquet(path)
    if df.empty:
        raise TweetDataError(f"{path}: the Parquet table has no rows")
    if source.columns is not None:
        if len(source.columns) != df.shape[1]:
            raise TweetDataError(
                f"{path}: has {df.shape[1]} columns, parameter "
                f"{where}.columns names {len(source.columns)}"
            )
        df.columns = list(source.columns)
    # ids/labels stored as int64 stay exact; a float id column would already be lossy
    id_col = source.id_column
    if id_col in df.columns and pd.api.types.is_float_dtype(df[id_col]):
        raise TweetDataError(
            f"{path}: id column {id_col!r} is stored as float; "
            "tweet ids must be stored as strings or integers"
        )
    df = df.astype(object).where(df.notna(), "").astype(str)
    df["_line"] = range(1, len(df) + 1)
    return df


def _read_delimited(path: Path, source: TableSource) -> pd.DataFrame:
    delimiter = "\t" if source.format == "tsv" else ","
    # TSV files of tweets are not quoted: a tweet starting with '"' must not swallow the next row.
    quoting = csv.QUOTE_NONE if source.format == "tsv" else csv.QUOTE_MINIMAL
    rows: list[list[str]] = []
    lines: list[int] = []
    with io.StringIO(read_text_file(path), newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, quoting=quoting)
        columns = list(source.columns) if source.columns is not None else None
        if source.header:
            try:
                header = next(reader)
            except StopIteration:  # pragma: no cover (read_text_file rejects empty files)
                raise TweetDataError(f"{path}: file is empty, expected a header row") from None
            columns = columns or [h.strip() for h in header]
        assert columns is not None
        for record in reader:
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # blank line
            if len(record) != len(columns):
                raise TweetDataError(
                    f"{path}, line {reader.line_num}: {len(record)} fields, "
                    f"expected {len(columns)} ({columns})"
                )
            rows.append(record)
            lines.append(reader.line_num)
    if not rows:
        raise TweetDataError(f"{path}: no data rows (only a header or blank lines)")
    df = pd.DataFrame(rows, columns=columns, dtype=object)
    df["_line"] = lines
    return df


def first_flagged(df: pd.DataFrame, mask: pd.Series) -> tuple[int, str]:
    """Position of the first row where ``mask`` holds, and "file, line n" to name it."""
    i = int(mask.to_numpy().nonzero()[0][0])
    return i, f"{df['_file'].iat[i]}, line {df['_line'].iat[i]}"


def validate_labels(df: pd.DataFrame, labels: Sequence[LabelSpec], where: str) -> pd.DataFrame:
    """Strip label values and check them against the declared classes (or parse as numbers)."""
    out = df.copy()
    for spec in labels:
        values = out[spec.column].astype(str).str.strip()
        if spec.classes is None:
            parsed = pd.to_numeric(values, errors="coerce")
            bad = parsed.isna()
            if bad.any():
                i, at = first_flagged(out, bad)
                raise TweetDataError(
                    f"{at}: column {spec.column!r} "
                    f"has value {values.iat[i]!r}, expected a number (parameter "
                    f"{where}.labels.{spec.column} is 'numeric')"
                )
            out[spec.column] = parsed.astype(float)
        else:
            bad = ~values.isin(spec.classes)
            if bad.any():
                i, at = first_flagged(out, bad)
                raise TweetDataError(
                    f"{at}: column {spec.column!r} "
                    f"has value {values.iat[i]!r}, expected one of {list(spec.classes)} "
                    f"(parameter {where}.labels.{spec.column}); {int(bad.sum())} such rows"
                )
            out[spec.column] = values
    return out


def check_ids(df: pd.DataFrame, id_column: str) -> pd.Series:
    """The id column as stripped strings; a value that is no tweet id is an error."""
    ids = df[id_column].astype(str).str.strip()
    bad = ~ids.str.fullmatch(r"[0-9A-Za-z_\-]+")
    if bad.any():
        i, at = first_flagged(df, bad)
        raise TweetDataError(
            f"{at}: id column "
            f"{id_column!r} has value {ids.iat[i]!r}, expected a tweet id "
            "(digits; never a float such as '1.2e+17')"
        )
    return ids
