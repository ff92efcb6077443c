"""The error every tweet-ingestion problem raises, the two columns every dataset has, and
reading a text file (UTF-8) or JSON lines with errors that name the file and line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mtl_pipeline.params import InputError

logger = logging.getLogger(__name__)

ID = "tweet_id"
TEXT = "text"


class TweetDataError(InputError):
    """An input file or parameter does not match what the dataset configuration declares."""


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


def json_lines(path: Path, skipped: list[str]) -> Iterable[tuple[int, Any]]:
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
