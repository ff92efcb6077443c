"""A tweet dataset's configuration (``tweets.datasets.<name>``) as typed specs, checked once:
its label table, where its text comes from, its label columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .hydration import HYDRATION_READERS
from .text_files import ID, TEXT, TweetDataError

TABLE_FORMATS = ("tsv", "csv", "parquet")
RETWEET_TEXT = ("original", "as_returned")
EMPTY_TEXT_ACTIONS = ("drop", "error")


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
    """Rehydration output files of one tool (``format``: a name of ``HYDRATION_READERS``)."""

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
        hydrated = None if raw.get("hydrated") is None else _hydrated(raw["hydrated"], where)
        text_column = raw.get("text_column", None if hydrated else TEXT)
        if hydrated is not None and text_column is not None:
            raise TweetDataError(
                f"parameter {where}: give either text_column (text in the table) or hydrated "
                "(text from rehydration output), not both"
            )
        extras = _extra_labels(raw.get("extra_labels") or [], where)
        on_empty = str(raw.get("on_empty_text", "drop"))
        if on_empty not in EMPTY_TEXT_ACTIONS:
            raise TweetDataError(
                f"parameter {where}.on_empty_text is {on_empty!r}; expected 'drop' or 'error'"
            )
        return cls(
            name=name,
            source=source,
            labels=labels,
            text_column=text_column,
            hydrated=hydrated,
            extra_labels=extras,
            on_empty_text=on_empty,
        )


def _hydrated(h: Any, where: str) -> HydratedSource:
    if not isinstance(h, Mapping):
        raise TweetDataError(
            f"parameter {where}.hydrated must be a mapping {{format: ..., files: [...]}}, got {h!r}"
        )
    fmt = str(h.get("format", ""))
    if fmt not in HYDRATION_READERS:
        raise TweetDataError(
            f"parameter {where}.hydrated.format is {fmt!r}; expected one of "
            f"{tuple(HYDRATION_READERS)}"
        )
    retweet_text = str(h.get("retweet_text", "original"))
    if retweet_text not in RETWEET_TEXT:
        raise TweetDataError(
            f"parameter {where}.hydrated.retweet_text is {retweet_text!r}; expected one "
            f"of {list(RETWEET_TEXT)}"
        )
    return HydratedSource(
        files=_files(h.get("files"), f"{where}.hydrated.files"),
        format=fmt,
        retweet_text=retweet_text,
    )


def _extra_labels(extra_raw: Any, where: str) -> tuple[ExtraLabels, ...]:
    if not isinstance(extra_raw, list) or not all(isinstance(e, Mapping) for e in extra_raw):
        raise TweetDataError(
            f"parameter {where}.extra_labels must be a list of tables (files, columns, "
            f"labels), got {extra_raw!r}"
        )
    extras = []
    for i, e in enumerate(extra_raw):
        ew = f"{where}.extra_labels[{i}]"
        extras.append(
            ExtraLabels(_table_source(e, ew), _label_specs(e.get("labels"), f"{ew}.labels"))
        )
    return tuple(extras)


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
