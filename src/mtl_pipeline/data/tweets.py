"""Ingestion of labelled tweets, as a user has them after rehydration.

Twitter datasets are shared as tweet ids with labels; the text comes back from a rehydration tool
(twarc2 ``hydrate``, twarc v1, the Hydrator app) with some tweets deleted or protected. A dataset is
configured by its files and columns (see ``conf/base/parameters_tweets.yml``) and is read either

* from a *table* that already carries id, label(s) and text (TSV/CSV/Parquet, several files
  concatenated, e.g. Lamb et al. 2013's ``*.content.txt``), or
* from an *id + label table joined with rehydration output* (``hydrated:`` block).

The output is one table per dataset (``tweet_id`` as str, ``text``, one column per label) and a
report of what was requested, found, missing (by reason), duplicated and conflicting. Ids are
strings end to end: a 19-digit tweet id read as float silently becomes another tweet.

Every input problem is either a ``TweetDataError`` naming the file, line/row, column or parameter,
or a drop that the report counts and lists; never a silently wrong table.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mtl_pipeline.params import InputError

TABLE_FORMATS = ("tsv", "csv", "parquet")
HYDRATED_FORMATS = ("twarc2", "twarc1", "hydrator_csv")
MISSING_REASONS = ("not_found", "not_authorised", "other_error", "absent")

logger = logging.getLogger(__name__)

RETWEET_TEXT = ("original", "as_returned")

ID = "tweet_id"
TEXT = "text"


class TweetDataError(InputError):
    """An input file or parameter does not match what the dataset configuration declares."""


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class LabelSpec:
    """One label column: its declared classes (strings), or ``None`` for a numeric column."""

    column: str
    classes: tuple[str, ...] | None


@dataclass(frozen=True)
class TableSource:
    """A table split over one or more files with the same layout."""

    files: tuple[str, ...]
    format: str = "tsv"
    header: bool = False
    columns: tuple[str, ...] | None = None  # required when header is False (Parquet: rename)
    id_column: str = ID


@dataclass(frozen=True)
class HydratedSource:
    """Rehydration output files of one tool."""

    files: tuple[str, ...]
    format: str
    retweet_text: str = "original"  # see read_hydrated


@dataclass(frozen=True)
class ExtraLabels:
    """A second id-keyed table whose label columns are joined onto the dataset (e.g. VADER sd)."""

    source: TableSource
    labels: tuple[LabelSpec, ...]


@dataclass(frozen=True)
class TweetDatasetConfig:
    """A dataset: its label table, where its text comes from, and its label columns."""

    name: str
    source: TableSource
    labels: tuple[LabelSpec, ...]
    text_column: str | None = TEXT  # None: text comes from `hydrated`
    hydrated: HydratedSource | None = None
    extra_labels: tuple[ExtraLabels, ...] = field(default_factory=tuple)
    on_empty_text: str = "drop"  # "drop" (reported) | "error"

    @classmethod
    def from_dict(cls, name: str, raw: Mapping[str, Any]) -> TweetDatasetConfig:
        """Build from the YAML mapping ``tweets.datasets.<name>``; errors name the parameter."""
        where = f"tweets.datasets.{name}"
        if not isinstance(raw, Mapping):
            raise TweetDataError(f"parameter {where} must be a mapping, got {type(raw).__name__}")
        source = _table_source(raw, where)
        labels = _label_specs(raw.get("labels"), f"{where}.labels")
        hydrated = None
        if raw.get("hydrated") is not None:
            h = raw["hydrated"]
            if not isinstance(h, Mapping):
                raise TweetDataError(
                    f"parameter {where}.hydrated must be a mapping {{format: ..., files: [...]}}, "
                    f"got {h!r}"
                )
            fmt = str(h.get("format", ""))
            if fmt not in HYDRATED_FORMATS:
                raise TweetDataError(
                    f"parameter {where}.hydrated.format is {fmt!r}; expected one of "
                    f"{HYDRATED_FORMATS}"
                )
            retweet_text = str(h.get("retweet_text", "original"))
            if retweet_text not in RETWEET_TEXT:
                raise TweetDataError(
                    f"parameter {where}.hydrated.retweet_text is {retweet_text!r}; expected one "
                    f"of {list(RETWEET_TEXT)}"
                )
            hydrated = HydratedSource(
                files=_files(h.get("files"), f"{where}.hydrated.files"),
                format=fmt,
                retweet_text=retweet_text,
            )
        text_column = raw.get("text_column", None if hydrated else TEXT)
        if hydrated is not None and text_column is not None:
            raise TweetDataError(
                f"parameter {where}: give either text_column (text in the table) or hydrated "
                "(text from rehydration output), not both"
            )
        extras = []
        extra_raw = raw.get("extra_labels") or []
        if not isinstance(extra_raw, list) or not all(isinstance(e, Mapping) for e in extra_raw):
            raise TweetDataError(
                f"parameter {where}.extra_labels must be a list of tables (files, columns, "
                f"labels), got {extra_raw!r}"
            )
        for i, e in enumerate(extra_raw):
            ew = f"{where}.extra_labels[{i}]"
            extras.append(
                ExtraLabels(_table_source(e, ew), _label_specs(e.get("labels"), f"{ew}.labels"))
            )
        on_empty = str(raw.get("on_empty_text", "drop"))
        if on_empty not in ("drop", "error"):
            raise TweetDataError(
                f"parameter {where}.on_empty_text is {on_empty!r}; expected 'drop' or 'error'"
            )
        return cls(
            name=name,
            source=source,
            labels=labels,
            text_column=text_column,
            hydrated=hydrated,
            extra_labels=tuple(extras),
            on_empty_text=on_empty,
        )


def _files(raw: Any, where: str) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not raw:
        raise TweetDataError(f"parameter {where} must list at least one file")
    return tuple(str(f) for f in raw)


def _table_source(raw: Mapping[str, Any], where: str) -> TableSource:
    files = _files(raw.get("files"), f"{where}.files")
    fmt = raw.get("format")
    if fmt is None:  # from the first file's suffix
        suffix = Path(files[0]).suffix.lower()
        fmt = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}.get(suffix, "tsv")
    if fmt not in TABLE_FORMATS:
        raise TweetDataError(
            f"parameter {where}.format is {fmt!r}; expected one of {TABLE_FORMATS}"
        )
    header = bool(raw.get("header", fmt == "parquet"))
    columns = raw.get("columns") or None
    if columns is not None and (isinstance(columns, str) or not isinstance(columns, Sequence)):
        raise TweetDataError(
            f"parameter {where}.columns must list the column names in file order, got {columns!r}"
        )
    columns = tuple(str(c) for c in columns) if columns is not None else None
    if not header and columns is None:
        raise TweetDataError(
            f"parameter {where}: header is false, so columns must name the columns in file order"
        )
    return TableSource(
        files=files,
        format=fmt,
        header=header,
        columns=columns,
        id_column=str(raw.get("id_column", ID)),
    )


def _label_specs(raw: Any, where: str) -> tuple[LabelSpec, ...]:
    if not isinstance(raw, Mapping) or not raw:
        raise TweetDataError(
            f"parameter {where} must map each label column to its classes (a list) or to 'numeric'"
        )
    specs = []
    for col, classes in raw.items():
        if classes == "numeric":
            specs.append(LabelSpec(str(col), None))
        elif isinstance(classes, Sequence) and not isinstance(classes, str) and classes:
            specs.append(LabelSpec(str(col), tuple(str(c) for c in classes)))
        else:
            raise TweetDataError(
                f"parameter {where}.{col} must be a non-empty list of classes "
                f"or 'numeric', got {classes!r}"
            )
    return tuple(specs)


# --------------------------------------------------------------------------- table reading


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


def read_text_file(path: Path) -> str:
    """The whole file as UTF-8 text (a BOM is dropped); an empty or non-UTF-8 file is an error."""
    data = path.read_bytes()
    if not data.strip():
        raise TweetDataError(f"{path}: file is empty ({len(data)} bytes); expected tweet data")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TweetDataError(
            f"{path}, line {line}: not valid UTF-8 (byte {data[exc.start]:#04x} at offset "
            f"{exc.start}); convert the file to UTF-8, e.g. iconv -f LATIN1 -t UTF-8"
        ) from None


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


def _first_flagged(df: pd.DataFrame, mask: pd.Series) -> tuple[int, str]:
    """Position of the first row where ``mask`` holds, and "file, line n" to name it."""
    i = int(mask.to_numpy().nonzero()[0][0])
    return i, f"{df['_file'].iat[i]}, line {df['_line'].iat[i]}"


def _validate_labels(df: pd.DataFrame, labels: Sequence[LabelSpec], where: str) -> pd.DataFrame:
    """Strip label values and check them against the declared classes (or parse as numbers)."""
    out = df.copy()
    for spec in labels:
        values = out[spec.column].astype(str).str.strip()
        if spec.classes is None:
            parsed = pd.to_numeric(values, errors="coerce")
            bad = parsed.isna()
            if bad.any():
                i, at = _first_flagged(out, bad)
                raise TweetDataError(
                    f"{at}: column {spec.column!r} "
                    f"has value {values.iat[i]!r}, expected a number (parameter "
                    f"{where}.labels.{spec.column} is 'numeric')"
                )
            out[spec.column] = parsed.astype(float)
        else:
            bad = ~values.isin(spec.classes)
            if bad.any():
                i, at = _first_flagged(out, bad)
                raise TweetDataError(
                    f"{at}: column {spec.column!r} "
                    f"has value {values.iat[i]!r}, expected one of {list(spec.classes)} "
                    f"(parameter {where}.labels.{spec.column}); {int(bad.sum())} such rows"
                )
            out[spec.column] = values
    return out


def _check_ids(df: pd.DataFrame, id_column: str) -> pd.Series:
    ids = df[id_column].astype(str).str.strip()
    bad = ~ids.str.fullmatch(r"[0-9A-Za-z_\-]+")
    if bad.any():
        i, at = _first_flagged(df, bad)
        raise TweetDataError(
            f"{at}: id column "
            f"{id_column!r} has value {ids.iat[i]!r}, expected a tweet id "
            "(digits; never a float such as '1.2e+17')"
        )
    return ids


# --------------------------------------------------------------------------- rehydration output


@dataclass
class HydrationResult:
    """Text per found id, the failure reason per id the tool reported, and skipped lines."""

    texts: dict[str, str]
    errors: dict[str, str]
    skipped_lines: list[str] = field(default_factory=list)


def _classify_error(err: Mapping[str, Any]) -> str:
    words = " ".join(str(err.get(k, "")) for k in ("title", "type", "detail")).lower()
    if "not found" in words or "resource-not-found" in words:
        return "not_found"
    if "authoriz" in words or "authoris" in words or "not-authorized" in words:
        return "not_authorised"
    return "other_error"


def _json_lines(path: Path, skipped: list[str]) -> Iterable[tuple[int, Any]]:
    """(line number, parsed object) of every non-blank line.

    A final line cut off mid-JSON (an interrupted ``twarc2`` run) is skipped with a warning and
    listed in ``skipped``: what was written before it is complete. Invalid JSON anywhere else is
    an error naming the file and line.
    """
    lines = read_text_file(path).splitlines()
    last = max((n for n, line in enumerate(lines, start=1) if line.strip()), default=0)
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as exc:
            if n == last and n > 1 and not line.rstrip().endswith("}"):
                logger.warning(
                    "%s, line %d: cut off mid-JSON (interrupted run?), skipped; the ids it "
                    "held count as absent in rehydration_report",
                    path,
                    n,
                )
                skipped.append(f"{path}:{n}")
                continue
            raise TweetDataError(
                f"{path}, line {n}: not valid JSON ({exc.msg}); expected one JSON object per line"
            ) from None


_RT_PREFIX = re.compile(r"^RT @\w+: ")


def _tweet_id(tweet: Any, at: str) -> str:
    if not isinstance(tweet, Mapping):
        raise TweetDataError(f"{at}: expected a tweet object, got {type(tweet).__name__}")
    tid = tweet.get("id_str", tweet.get("id"))
    if tid is None:
        raise TweetDataError(
            f"{at}: object has no 'id' (keys: {sorted(tweet)[:8]}); not a tweet. Expected the "
            "output of `twarc2 hydrate`/`search`/`stream` or `twarc hydrate` (not e.g. `counts`)"
        )
    return str(tid)


def _own_text(tweet: Mapping[str, Any]) -> str:
    """The full text of one tweet object, v2 or v1.1, without looking at what it retweets."""
    note = tweet.get("note_tweet")  # API v2: long tweets keep `text` cut at 280 characters
    if isinstance(note, Mapping) and note.get("text"):
        return str(note["text"])
    extended = tweet.get("extended_tweet")  # v1.1 streaming: `text` cut at 140 characters
    if isinstance(extended, Mapping) and extended.get("full_text"):
        return str(extended["full_text"])
    for key in ("full_text", "text"):  # v1.1 extended mode / compatibility mode, v2
        if tweet.get(key) is not None:
            return str(tweet[key])
    return ""


def _with_original(retweet_text: str, original_text: str) -> str:
    """A retweet's text with the original's full text after its ``RT @user: `` prefix."""
    prefix = _RT_PREFIX.match(retweet_text)
    return (prefix.group(0) if prefix else "") + original_text


def _v2_retweeted_id(tweet: Mapping[str, Any]) -> str | None:
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, Mapping) and ref.get("type") == "retweeted" and ref.get("id"):
            return str(ref["id"])
    return None


def read_hydrated(
    source: HydratedSource, data_dir: str | Path, retweet_text: str = "original"
) -> HydrationResult:
    """Read rehydration output: twarc2 pages or stream lines, twarc v1 lines, or a Hydrator CSV.

    ``retweet_text`` 'original' replaces a retweet's API text (``RT @user: `` + the original cut
    to fit the length limit, ending in "…") by the prefix + the original's full text when the
    original is in the same output (``includes.tweets`` in v2, ``retweeted_status`` in v1.1, the
    ``retweet_id`` row in a Hydrator CSV); 'as_returned' keeps the API text.
    """
    texts: dict[str, str] = {}
    errors: dict[str, str] = {}
    skipped: list[str] = []
    originals: dict[str, str] = {}  # tweet id -> full text, of every tweet object seen
    retweets: dict[str, str] = {}  # retweet id -> retweeted id
    for name in source.files:
        path = Path(data_dir) / name
        if not path.is_file():
            raise TweetDataError(
                f"rehydration file {path} does not exist (data directory {data_dir})"
            )
        if source.format == "hydrator_csv":
            _read_hydrator_csv(path, texts, retweets)
            continue
        for n, obj in _json_lines(path, skipped):
            at = f"{path}, line {n}"
            if not isinstance(obj, Mapping):
                raise TweetDataError(f"{at}: expected a JSON object, got {type(obj).__name__}")
            if source.format == "twarc2" and ("data" in obj or "errors" in obj):
                data = obj.get("data") or []
                if isinstance(data, Mapping):  # streaming output: one tweet per line
                    data = [data]
                for i, tweet in enumerate(data):
                    tid = _tweet_id(tweet, f"{at}, data[{i}]")
                    texts.setdefault(tid, _own_text(tweet))
                    if (rt := _v2_retweeted_id(tweet)) is not None:
                        retweets[tid] = rt
                includes = obj.get("includes") or {}
                for i, tweet in enumerate(includes.get("tweets") or []):
                    tid = _tweet_id(tweet, f"{at}, includes.tweets[{i}]")
                    originals.setdefault(tid, _own_text(tweet))
                for err in obj.get("errors") or []:
                    rid = err.get("resource_id", err.get("value"))
                    if rid is not None:
                        errors.setdefault(str(rid), _classify_error(err))
            else:  # a twarc v1 line, or a flattened twarc2 tweet (`twarc2 flatten`)
                tid = _tweet_id(obj, at)
                texts.setdefault(tid, _own_text(obj))
                original = obj.get("retweeted_status")  # v1.1
                if isinstance(original, Mapping):
                    oid = _tweet_id(original, f"{at}, retweeted_status")
                    originals.setdefault(oid, _own_text(original))
                    retweets[tid] = oid
                elif (rt := _v2_retweeted_id(obj)) is not None:
                    retweets[tid] = rt
                    for ref in obj.get("referenced_tweets") or []:  # flatten inlines them
                        if isinstance(ref, Mapping) and str(ref.get("id")) == rt:
                            if ref.get("text") is not None or ref.get("note_tweet"):
                                originals.setdefault(rt, _own_text(ref))
    if retweet_text == "original":
        for tid, oid in retweets.items():
            full = texts.get(oid, originals.get(oid))
            if full:
                texts[tid] = _with_original(texts[tid], full)
    # a tweet found in one page wins over an error reported for it in another
    errors = {k: v for k, v in errors.items() if k not in texts}
    return HydrationResult(texts, errors, skipped)


def _read_hydrator_csv(path: Path, texts: dict[str, str], retweets: dict[str, str]) -> None:
    """The Hydrator app's CSV: one row per tweet, ``id`` and ``text`` columns (and
    ``retweet_id`` for retweets)."""
    df = pd.read_csv(
        io.StringIO(read_text_file(path)), dtype=str, keep_default_na=False, na_filter=False
    )
    id_col = "id_str" if "id_str" in df.columns else "id"
    for col in (id_col, "text"):
        if col not in df.columns:
            raise TweetDataError(
                f"{path}: Hydrator CSV has no column {col!r}; found {list(df.columns)}"
            )
    ids = df[id_col].str.strip()
    bad = ~ids.str.fullmatch(r"[0-9]+")
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise TweetDataError(
            f"{path}, line {i + 2}: column {id_col!r} has value {ids.iat[i]!r}, expected a tweet id"
        )
    for tid, text in zip(ids, df["text"], strict=True):
        texts.setdefault(tid, text)
    if "retweet_id" in df.columns:
        for tid, rt in zip(ids, df["retweet_id"].str.strip(), strict=True):
            if rt:
                retweets[tid] = rt


# --------------------------------------------------------------------------- dataset assembly


def _dedupe(df: pd.DataFrame, label_cols: Sequence[str]) -> tuple[pd.DataFrame, int, list[str]]:
    """Keep the first row per id; drop ids whose rows disagree on any label (listed)."""
    n_dup = int(df[ID].duplicated().sum())
    key = df[list(label_cols)].astype(str).agg("\x1f".join, axis=1)
    n_labels = key.groupby(df[ID]).nunique()
    conflicting = sorted(n_labels.index[n_labels > 1])
    kept = df[~df[ID].isin(conflicting)].drop_duplicates(ID, keep="first")
    return kept, n_dup, conflicting


def load_tweet_dataset(
    config: TweetDatasetConfig | Mapping[str, Any], data_dir: str | Path, name: str | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read one dataset: returns (table with ``tweet_id``, ``text``, labels; report dict)."""
    if not isinstance(config, TweetDatasetConfig):
        config = TweetDatasetConfig.from_dict(name or "dataset", config)
    where = f"tweets.datasets.{config.name}"
    label_cols = [s.column for s in config.labels]
    required = [config.source.id_column, *label_cols]
    if config.text_column is not None:
        required.append(config.text_column)
    raw = read_table(config.source, data_dir, required, where)
    raw = _validate_labels(raw, config.labels, where)
    df = pd.DataFrame({ID: _check_ids(raw, config.source.id_column)})
    for col in label_cols:
        df[col] = raw[col]
    df["_text"] = raw[config.text_column].astype(str) if config.text_column else ""
    df["_file"], df["_line"] = raw["_file"], raw["_line"]

    report: dict[str, Any] = {"dataset": config.name, "n_rows": len(df)}
    df, n_dup, conflicting = _dedupe(df, label_cols)
    requested = df[ID].tolist()
    report.update(
        n_requested=len(requested) + len(conflicting),
        n_duplicate_rows=n_dup,
        n_conflicting_ids=len(conflicting),
        conflicting_ids=";".join(conflicting),
    )

    missing = {r: [] for r in MISSING_REASONS}
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

    empty = df["_text"].str.strip() == ""
    if empty.any() and config.on_empty_text == "error":
        i, at = _first_flagged(df, empty)
        raise TweetDataError(
            f"{at}: tweet "
            f"{df[ID].iat[i]} has an empty text (parameter "
            f"{where}.on_empty_text is 'error')"
        )
    report["n_empty_text"] = int(empty.sum())
    report["empty_text_ids"] = ";".join(df.loc[empty, ID])
    df = df[~empty]

    n_before = len(df)
    for k, extra in enumerate(config.extra_labels):
        ew = f"{where}.extra_labels[{k}]"
        cols = [s.column for s in extra.labels]
        clash = set(cols) & set(df.columns)
        if clash:
            raise TweetDataError(f"parameter {ew}.labels: columns {sorted(clash)} already exist")
        table = read_table(extra.source, data_dir, [extra.source.id_column, *cols], ew)
        table = _validate_labels(table, extra.labels, ew)
        table = pd.DataFrame(
            {ID: _check_ids(table, extra.source.id_column), **{c: table[c] for c in cols}}
        ).drop_duplicates(ID)
        df = df.merge(table, on=ID, how="inner")
    report["n_missing_extra_labels"] = n_before - len(df)
    if df.empty:
        raise TweetDataError(
            f"{where}: no tweet left after dropping duplicates, conflicts, missing and empty texts"
        )
    report["n_kept"] = len(df)

    extra_cols = [s.column for e in config.extra_labels for s in e.labels]
    out = df.rename(columns={"_text": TEXT})[[ID, TEXT, *label_cols, *extra_cols]]
    return out.reset_index(drop=True), report


REPORT_COLUMNS = (
    "dataset",
    "n_rows",
    "n_requested",
    "n_duplicate_rows",
    "n_conflicting_ids",
    "n_found",
    "n_missing_not_found",
    "n_missing_not_authorised",
    "n_missing_other_error",
    "n_missing_absent",
    "n_unrequested",
    "n_skipped_lines",
    "n_empty_text",
    "n_missing_extra_labels",
    "n_kept",
    "conflicting_ids",
    "missing_ids",
    "empty_text_ids",
)


def rehydration_report_table(reports: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per dataset, counts first, then the dropped ids as ';'-joined strings."""
    return pd.DataFrame(
        [{c: r[c] for c in REPORT_COLUMNS} for r in reports], columns=list(REPORT_COLUMNS)
    )


# --------------------------------------------------------------------------- all datasets, one table


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
