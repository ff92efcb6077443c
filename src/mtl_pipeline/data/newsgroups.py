"""Reading 20 Newsgroups ("bydate" version) into one document table.

Four sources, one output shape (``doc_id, split, newsgroup, text``):

* a ``20news-bydate.tar.gz`` archive (read in place with :mod:`tarfile`, never extracted);
* an extracted folder holding ``20news-bydate-train/`` and ``20news-bydate-test/``;
* nothing at all: scikit-learn's downloader fetches the canonical archive (the normal path on a
  machine with internet access);
* a user's own labelled documents (CSV or Parquet: text, label and train/test split columns,
  ``newsgroups.documents``): each label plays the part of a newsgroup in the hierarchy.

The rows are sorted by ``doc_id`` so that the same corpus always gives the same row order, which
the TF-IDF matrix and every task sample rely on.
"""

from __future__ import annotations

import csv
import logging
import tarfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mtl_pipeline.params import InputError

logger = logging.getLogger(__name__)

SPLIT_FOLDERS = {"train": "20news-bydate-train", "test": "20news-bydate-test"}
DOCUMENT_COLUMNS = ["doc_id", "split", "newsgroup", "text"]
# The archive's posts are raw Usenet messages; latin-1 decodes every byte, as scikit-learn does.
ENCODING = "latin-1"


class NewsgroupsDataError(InputError):
    """The 20 Newsgroups source is missing, unreadable or not laid out as expected."""


def _strip_post(text: str) -> str:
    # scikit-learn's own cleaners are the reference implementation of "remove headers, footers
    # and quotes" (the authors' released code used them through fetch_20newsgroups(remove=...)).
    from sklearn.datasets._twenty_newsgroups import (
        strip_newsgroup_footer,
        strip_newsgroup_header,
        strip_newsgroup_quoting,
    )

    # the order fetch_20newsgroups(remove=...) applies them: headers, footers, then quotes
    return strip_newsgroup_quoting(strip_newsgroup_footer(strip_newsgroup_header(text)))


def _document_row(split: str, newsgroup: str, name: str, text: str) -> tuple[str, str, str, str]:
    """One ``DOCUMENT_COLUMNS`` row; the doc id is ``<split>/<newsgroup>/<file name>``."""
    return f"{split}/{newsgroup}/{name}", split, newsgroup, text


def _document_table(rows: list[tuple[str, str, str, str]], source: str) -> pd.DataFrame:
    """The documents table, sorted by doc id (the same order whatever the source)."""
    table = pd.DataFrame(rows, columns=DOCUMENT_COLUMNS)
    table = table.sort_values("doc_id", kind="stable").reset_index(drop=True)
    logger.info(
        "Read %d 20 Newsgroups documents (%s) from %s",
        len(table),
        ", ".join(f"{k}: {v}" for k, v in table["split"].value_counts().sort_index().items()),
        source,
    )
    return table


def _split_member_path(name: str) -> tuple[str, str, str] | None:
    """Return (split, newsgroup, file) for ``.../20news-bydate-<split>/<group>/<file>``, else None."""
    parts = Path(name).parts
    for index, part in enumerate(parts):
        for split, folder in SPLIT_FOLDERS.items():
            if part == folder and len(parts) == index + 3:
                return split, parts[index + 1], parts[index + 2]
    return None


def _iter_archive(archive: Path, parameter: str) -> Iterator[tuple[str, str, str, bytes]]:
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                located = _split_member_path(member.name)
                if located is None:
                    continue
                handle = tar.extractfile(member)
                if handle is None:
                    continue
                yield (*located, handle.read())
    except (tarfile.TarError, EOFError, OSError) as error:
        raise NewsgroupsDataError(
            f"Cannot read the 20 Newsgroups archive '{archive}': {error}. Expected a "
            f"20news-bydate .tar.gz (parameter {parameter})."
        ) from error


def _iter_folder(folder: Path) -> Iterator[tuple[str, str, str, bytes]]:
    for split, split_folder in SPLIT_FOLDERS.items():
        root = folder / split_folder
        if not root.is_dir():
            continue
        for path in sorted(root.glob("*/*")):
            if path.is_file():
                yield split, path.parent.name, path.name, path.read_bytes()


def read_newsgroups(
    source: str | Path, remove_headers_footers_quotes: bool = False, parameter: str = "source"
) -> pd.DataFrame:
    """Read a 20news-bydate archive or extracted folder into the document table.

    Args:
        source: path of a ``.tar.gz`` archive or of a folder holding the two split folders.
        remove_headers_footers_quotes: strip headers, signature footers and quoted replies.
        parameter: how errors name ``source`` (the node passes ``newsgroups.archive``).

    Raises:
        NewsgroupsDataError: naming ``source`` when it is missing, corrupt, or lacks the
            ``20news-bydate-train`` / ``20news-bydate-test`` folders.
    """
    path = Path(source)
    if not path.exists():
        raise NewsgroupsDataError(
            f"20 Newsgroups source '{path}' does not exist (parameter {parameter}): give "
            "the path of 20news-bydate.tar.gz or of its extracted folder, or null to download it."
        )
    members = _iter_folder(path) if path.is_dir() else _iter_archive(path, parameter)
    rows = []
    for split, newsgroup, name, payload in members:
        text = payload.decode(ENCODING)
        if remove_headers_footers_quotes:
            text = _strip_post(text)
        rows.append(_document_row(split, newsgroup, name, text))
    found = {row[1] for row in rows}
    missing = [SPLIT_FOLDERS[split] for split in SPLIT_FOLDERS if split not in found]
    if missing:
        raise NewsgroupsDataError(
            f"20 Newsgroups source '{path}' has no documents under {', '.join(missing)}/<newsgroup>/; "
            "expected the 20news-bydate layout with 20news-bydate-train/ and 20news-bydate-test/."
        )
    return _document_table(rows, str(path))


def download_newsgroups(
    remove_headers_footers_quotes: bool = False,
    data_home: str | None = None,
    parameter: str = "archive",
) -> pd.DataFrame:
    """Fetch 20 Newsgroups with scikit-learn's downloader (needs internet on first use);
    ``parameter`` names the local source to set instead (``newsgroups.archive``)."""
    from sklearn.datasets import fetch_20newsgroups

    remove = ("headers", "footers", "quotes") if remove_headers_footers_quotes else ()
    rows = []
    for split in SPLIT_FOLDERS:
        try:
            bunch = fetch_20newsgroups(
                subset=split,
                remove=remove,
                shuffle=False,
                data_home=data_home,
                download_if_missing=True,
            )
        except OSError as exc:  # URLError, socket errors, a failed write to the cache
            raise NewsgroupsDataError(
                f"parameter {parameter} is not set, so 20 Newsgroups was to be downloaded "
                f"with scikit-learn, which failed ({exc}). Point the parameter at a local copy: "
                f"kedro run --params {parameter}=/path/to/20news-bydate.tar.gz (the "
                "archive or its extracted folder), or run where the internet is reachable"
            ) from None
        for text, target, filename in zip(bunch.data, bunch.target, bunch.filenames, strict=True):
            name = Path(filename).name
            newsgroup = bunch.target_names[target]
            rows.append(_document_row(split, newsgroup, name, text))
    return _document_table(rows, "scikit-learn's fetch_20newsgroups")


def _csv_line_finder(path: Path, n_records: int):
    """``i → "line <n>"``: the line of ``path`` on which CSV record ``i`` (0-based, after the
    header) starts, counting the lines inside quoted multi-line texts as pandas reads them;
    blank lines hold no record (pandas skips them too)."""
    starts = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader, None)  # the header
        previous_end = reader.line_num
        for record in reader:
            if record:
                starts.append(previous_end + 1)
            previous_end = reader.line_num
    if len(starts) != n_records:  # a dialect csv reads otherwise than pandas: count records
        return lambda i: f"record {i + 1} after the header"
    return lambda i: f"line {starts[i]}"


def read_labelled_documents(spec: Mapping[str, Any], where: str) -> pd.DataFrame:
    """A user's labelled documents (``newsgroups.documents``) as the document table.

    ``spec``: ``files`` (CSV or Parquet, by suffix), ``text_column`` (default ``text``),
    ``label_column`` (``label``), ``split_column`` (``split``, values ``train``/``test``).
    The label is the "newsgroup" the hierarchy names; doc ids are ``<split>/<label>/<file>:<row>``.
    """
    files, columns = _documents_spec(spec, where)
    rows = []
    for name in files:
        path = Path(str(name))
        table, parquet = _read_documents_file(path, columns, where)
        first_line = 1 if parquet else 2  # a CSV's data start after the header
        text, label, split = _checked_documents(table, path, parquet, columns, where)
        for i, (t, g, sp) in enumerate(zip(text, label.str.strip(), split, strict=True)):
            rows.append(_document_row(sp, g, f"{path.name}:{i + first_line:07d}", t))
    return _document_table(rows, ", ".join(str(f) for f in files))


def _documents_spec(spec: Any, where: str) -> tuple[list, dict[str, str]]:
    """The files and the (text, label, split) column names of ``newsgroups.documents``."""
    if not isinstance(spec, Mapping):
        raise NewsgroupsDataError(
            f"parameter {where} must be a mapping (files, text_column, label_column, "
            f"split_column), got {spec!r}"
        )
    files = spec.get("files")
    files = [files] if isinstance(files, str) else files
    if not files or not isinstance(files, list):
        raise NewsgroupsDataError(
            f"parameter {where}.files must list at least one CSV/Parquet file"
        )
    columns = {
        key: str(spec.get(key, default))
        for key, default in (
            ("text_column", "text"),
            ("label_column", "label"),
            ("split_column", "split"),
        )
    }
    return files, columns


def _read_documents_file(
    path: Path, columns: Mapping[str, str], where: str
) -> tuple[pd.DataFrame, bool]:
    """One file of labelled documents (Parquet by suffix, else CSV of strings), with the
    columns ``columns`` names, and whether it is Parquet."""
    if not path.is_file():
        raise NewsgroupsDataError(f"{path} does not exist (parameter {where}.files)")
    parquet = path.suffix.lower() in (".parquet", ".pq")
    try:
        if parquet:
            table = pd.read_parquet(path)
        else:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise NewsgroupsDataError(f"{path}: not valid UTF-8 ({exc.reason})") from None
    except (ValueError, OSError) as exc:  # pandas' EmptyDataError, ParserError, pyarrow
        raise NewsgroupsDataError(f"{path}: cannot be read as a table ({exc})") from None
    for key, column in columns.items():
        if column not in table.columns:
            raise NewsgroupsDataError(
                f"{path}: no column {column!r} (parameter {where}.{key}); the file has "
                f"columns {list(table.columns)}"
            )
    if table.empty:
        raise NewsgroupsDataError(
            f"{path}: the table has a header but no rows (parameter {where}.files)"
        )
    return table, parquet


def _checked_documents(
    table: pd.DataFrame, path: Path, parquet: bool, columns: Mapping[str, str], where: str
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The text, label and split columns as strings, once every value is present and valid;
    errors name the file and the row or line."""
    # Where row i is, as the user finds it: a Parquet row number, or the CSV line its
    # record starts on (a quoted text spanning lines moves every later record down).
    where_row = (lambda i: f"row {i + 1}") if parquet else _csv_line_finder(path, len(table))
    for key, column in columns.items():
        missing = table[column].isna() if parquet else pd.Series(False, index=table.index)
        if missing.any():
            i = int(missing.to_numpy().nonzero()[0][0])
            raise NewsgroupsDataError(
                f"{path}, {where_row(i)}: column {column!r} is missing (null), expected "
                f"{'a non-empty text' if key == 'text_column' else 'a value'} "
                f"(parameter {where}.{key})"
            )
    if parquet:
        table = table.astype(str)
    text, label, split = (table[columns[k]] for k in columns)
    for what, bad, expected in (
        ("split_column", ~split.isin(list(SPLIT_FOLDERS)), "'train' or 'test'"),
        ("label_column", label.str.strip() == "", "a label"),
        ("text_column", text.str.strip() == "", "a non-empty text"),
    ):
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise NewsgroupsDataError(
                f"{path}, {where_row(i)}: column {columns[what]!r} has "
                f"{table[columns[what]].iat[i]!r}, expected {expected} (parameter {where}.{what})"
            )
    return text, label, split
