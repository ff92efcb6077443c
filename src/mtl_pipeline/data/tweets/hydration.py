"""Rehydration output → text per tweet id: one reader per tool's format, chosen by name.

``HYDRATION_READERS`` maps each ``hydrated.format`` a dataset may name to the function that reads
one file of that format into a :class:`Collected`; the configuration accepts exactly its names.
A new format is one function here and one entry in the registry.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .text_files import TweetDataError, json_lines, read_text_file
from .tweet_objects import classify_error, own_text, tweet_id, v2_retweeted_id, with_original

if TYPE_CHECKING:
    from .config import HydratedSource


@dataclass
class HydrationResult:
    """Text per found id, the failure reason per id the tool reported, and skipped lines."""

    texts: dict[str, str]
    errors: dict[str, str]
    skipped_lines: list[str] = field(default_factory=list)


@dataclass
class Collected:
    """What the readers gather over a dataset's files (first mention of an id wins)."""

    texts: dict[str, str] = field(default_factory=dict)  # found tweet id -> its own text
    errors: dict[str, str] = field(default_factory=dict)  # reported id -> missing reason
    skipped: list[str] = field(default_factory=list)  # "file:line" of a cut-off last line
    originals: dict[str, str] = field(default_factory=dict)  # any tweet object seen -> full text
    retweets: dict[str, str] = field(default_factory=dict)  # retweet id -> retweeted id


def _line_tweet(obj: Mapping[str, Any], at: str, found: Collected) -> None:
    """A twarc v1 line, or a flattened twarc2 tweet (``twarc2 flatten``)."""
    tid = tweet_id(obj, at)
    found.texts.setdefault(tid, own_text(obj))
    original = obj.get("retweeted_status")  # v1.1
    if isinstance(original, Mapping):
        oid = tweet_id(original, f"{at}, retweeted_status")
        found.originals.setdefault(oid, own_text(original))
        found.retweets[tid] = oid
    elif (rt := v2_retweeted_id(obj)) is not None:
        found.retweets[tid] = rt
        for ref in obj.get("referenced_tweets") or []:  # flatten inlines them
            if isinstance(ref, Mapping) and str(ref.get("id")) == rt:
                if ref.get("text") is not None or ref.get("note_tweet"):
                    found.originals.setdefault(rt, own_text(ref))


def _v2_page(obj: Mapping[str, Any], at: str, found: Collected) -> None:
    """A twarc2 page (``data``, ``includes``, ``errors``) or stream line (``data`` one tweet)."""
    data = obj.get("data") or []
    if isinstance(data, Mapping):  # streaming output: one tweet per line
        data = [data]
    for i, tweet in enumerate(data):
        tid = tweet_id(tweet, f"{at}, data[{i}]")
        found.texts.setdefault(tid, own_text(tweet))
        if (rt := v2_retweeted_id(tweet)) is not None:
            found.retweets[tid] = rt
    includes = obj.get("includes") or {}
    for i, tweet in enumerate(includes.get("tweets") or []):
        tid = tweet_id(tweet, f"{at}, includes.tweets[{i}]")
        found.originals.setdefault(tid, own_text(tweet))
    for err in obj.get("errors") or []:
        rid = err.get("resource_id", err.get("value"))
        if rid is not None:
            found.errors.setdefault(str(rid), classify_error(err))


def _objects(path: Path, found: Collected):
    """(where, object) of every JSON line of ``path``; a line that is no object is an error."""
    for n, obj in json_lines(path, found.skipped):
        at = f"{path}, line {n}"
        if not isinstance(obj, Mapping):
            raise TweetDataError(f"{at}: expected a JSON object, got {type(obj).__name__}")
        yield at, obj


def read_twarc2(path: Path, found: Collected) -> None:
    """``twarc2 hydrate``/``search`` pages, ``stream`` lines, or flattened tweets."""
    for at, obj in _objects(path, found):
        if "data" in obj or "errors" in obj:
            _v2_page(obj, at, found)
        else:
            _line_tweet(obj, at, found)


def read_twarc1(path: Path, found: Collected) -> None:
    """``twarc hydrate`` (v1.1): one tweet object per line."""
    for at, obj in _objects(path, found):
        _line_tweet(obj, at, found)


def read_hydrator_csv(path: Path, found: Collected) -> None:
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
        found.texts.setdefault(tid, text)
    if "retweet_id" in df.columns:
        for tid, rt in zip(ids, df["retweet_id"].str.strip(), strict=True):
            if rt:
                found.retweets[tid] = rt


#: ``hydrated.format`` name -> the reader of one file of that format.
HYDRATION_READERS: dict[str, Callable[[Path, Collected], None]] = {
    "twarc2": read_twarc2,
    "twarc1": read_twarc1,
    "hydrator_csv": read_hydrator_csv,
}


def read_hydrated(
    source: HydratedSource, data_dir: str | Path, retweet_text: str = "original"
) -> HydrationResult:
    """Read rehydration output: twarc2 pages or stream lines, twarc v1 lines, or a Hydrator CSV.

    ``retweet_text`` 'original' replaces a retweet's API text (``RT @user: `` + the original cut
    to fit the length limit, ending in "…") by the prefix + the original's full text when the
    original is in the same output (``includes.tweets`` in v2, ``retweeted_status`` in v1.1, the
    ``retweet_id`` row in a Hydrator CSV); 'as_returned' keeps the API text.
    """
    read = HYDRATION_READERS.get(source.format)
    if read is None:
        raise TweetDataError(
            f"hydrated format {source.format!r} has no reader; expected one of "
            f"{tuple(HYDRATION_READERS)}"
        )
    found = Collected()
    for name in source.files:
        path = Path(data_dir) / name
        if not path.is_file():
            raise TweetDataError(
                f"rehydration file {path} does not exist (data directory {data_dir})"
            )
        read(path, found)
    texts = found.texts
    if retweet_text == "original":
        for tid, oid in found.retweets.items():
            full = texts.get(oid, found.originals.get(oid))
            if full:
                texts[tid] = with_original(texts[tid], full)
    # a tweet found in one page wins over an error reported for it in another
    errors = {k: v for k, v in found.errors.items() if k not in texts}
    return HydrationResult(texts, errors, found.skipped)
