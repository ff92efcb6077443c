"""Reading 20 Newsgroups ("bydate" version) into one document table.

Three sources, one output shape (``doc_id, split, newsgroup, text``):

* a ``20news-bydate.tar.gz`` archive (read in place with :mod:`tarfile`, never extracted);
* an extracted folder holding ``20news-bydate-train/`` and ``20news-bydate-test/``;
* nothing at all: scikit-learn's downloader fetches the canonical archive (the normal path on a
  machine with internet access).

The rows are sorted by ``doc_id`` so that the same corpus always gives the same row order, which
the TF-IDF matrix and every task sample rely on.
"""

from __future__ import annotations

import logging
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

logger = logging.getLogger(__name__)

SPLIT_FOLDERS = {"train": "20news-bydate-train", "test": "20news-bydate-test"}
DOCUMENT_COLUMNS = ["doc_id", "split", "newsgroup", "text"]
# The archive's posts are raw Usenet messages; latin-1 decodes every byte, as scikit-learn does.
ENCODING = "latin-1"


class NewsgroupsDataError(ValueError):
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


def _iter_archive(archive: Path) -> Iterator[tuple[str, str, str, bytes]]:
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
            "20news-bydate .tar.gz (parameter newsgroups.archive)."
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
    source: str | Path, remove_headers_footers_quotes: bool = False
) -> pd.DataFrame:
    """Read a 20news-bydate archive or extracted folder into the document table.

    Args:
        source: path of a ``.tar.gz`` archive or of a folder holding the two split folders.
        remove_headers_footers_quotes: strip headers, signature footers and quoted replies.

    Raises:
        NewsgroupsDataError: naming ``source`` when it is missing, corrupt, or lacks the
            ``20news-bydate-train`` / ``20news-bydate-test`` folders.
    """
    path = Path(source)
    if not path.exists():
        raise NewsgroupsDataError(
            f"20 Newsgroups source '{path}' does not exist (parameter newsgroups.archive): give "
            "the path of 20news-bydate.tar.gz or of its extracted folder, or null to download it."
        )
    members = _iter_folder(path) if path.is_dir() else _iter_archive(path)
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
    remove_headers_footers_quotes: bool = False, data_home: str | None = None
) -> pd.DataFrame:
    """Fetch 20 Newsgroups with scikit-learn's downloader (needs internet on first use)."""
    from sklearn.datasets import fetch_20newsgroups

    remove = ("headers", "footers", "quotes") if remove_headers_footers_quotes else ()
    rows = []
    for split in SPLIT_FOLDERS:
        bunch = fetch_20newsgroups(
            subset=split,
            remove=remove,
            shuffle=False,
            data_home=data_home,
            download_if_missing=True,
        )
        for text, target, filename in zip(bunch.data, bunch.target, bunch.filenames, strict=True):
            name = Path(filename).name
            newsgroup = bunch.target_names[target]
            rows.append(_document_row(split, newsgroup, name, text))
    return _document_table(rows, "scikit-learn's fetch_20newsgroups")
