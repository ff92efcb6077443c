"""Tweet tokenisation, vocabulary and padded id sequences.

The tokeniser follows the preprocessing GloVe's authors applied to the Twitter corpus before
training glove.twitter.27B (their ``preprocess-twitter.rb``), so that the tokens we look up are
the tokens the vectors were trained on: URLs -> ``<url>``, @mentions -> ``<user>``, smileys ->
``<smile>``/``<lolface>``/``<sadface>``/``<neutralface>``, ``<3`` -> ``<heart>``, numbers ->
``<number>``, ``#hashTag`` -> ``<hashtag> hash tag`` (camel case split; an all-caps tag gets
``<allcaps>``), repeated ``!?.`` -> the mark + ``<repeat>``, elongated words (``sooooo``) -> ``so
<elong>``, all-caps words -> lower-case + ``<allcaps>``, then lower-case. HTML entities
(``&amp;``) are unescaped first. The result is split into special tokens, words (with inner
apostrophes) and single punctuation marks.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1

_EYES = r"[8:=;]"
_NOSE = r"['`\-]?"
_FLAGS = re.IGNORECASE
_URL = re.compile(r"https?://\S+\b/?|www\.(\w+\.)+\S*", _FLAGS)
_USER = re.compile(r"@\w+")
_SMILE = re.compile(rf"{_EYES}{_NOSE}[)d]+|[)d]+{_NOSE}{_EYES}", _FLAGS)
_LOL = re.compile(rf"{_EYES}{_NOSE}p+", _FLAGS)
_SAD = re.compile(rf"{_EYES}{_NOSE}\(+|\)+{_NOSE}{_EYES}")
_NEUTRAL = re.compile(rf"{_EYES}{_NOSE}[/|l*]")
_HEART = re.compile(r"<3")
_NUMBER = re.compile(r"[-+]?[.\d]*\d+[:,.\d]*")
_HASHTAG = re.compile(r"#(\S+)")
_REPEAT = re.compile(r"([!?.]){2,}")
_ELONG = re.compile(r"\b(\S*?)(.)\2{2,}\b")
_ALLCAPS = re.compile(r"\b([A-Z][A-Z']+)\b")
_TOKEN = re.compile(r"<[a-z]+>|\w+(?:'\w+)*|[^\w\s]")


def _hashtag(match: re.Match[str]) -> str:
    body = match.group(1)
    if body.isupper():
        return f" <hashtag> {body.lower()} <allcaps> "
    return " <hashtag> " + " ".join(re.split(r"(?=[A-Z])", body)).strip() + " "


def normalise_tweet(text: str) -> str:
    """Apply GloVe's Twitter substitutions; returns a lower-case string of space-separated parts."""
    t = html.unescape(text)
    t = _URL.sub(" <url> ", t)
    t = t.replace("/", " / ")
    t = _USER.sub(" <user> ", t)
    t = _SMILE.sub(" <smile> ", t)
    t = _LOL.sub(" <lolface> ", t)
    t = _SAD.sub(" <sadface> ", t)
    t = _NEUTRAL.sub(" <neutralface> ", t)
    t = _HEART.sub(" <heart> ", t)
    t = _NUMBER.sub(" <number> ", t)
    t = _HASHTAG.sub(_hashtag, t)
    t = _REPEAT.sub(lambda m: f" {m.group(1)} <repeat> ", t)
    t = _ELONG.sub(lambda m: f"{m.group(1)}{m.group(2)} <elong> ", t)
    t = _ALLCAPS.sub(lambda m: f"{m.group(1).lower()} <allcaps> ", t)
    return t.lower()


def tokenize_tweet(text: str) -> list[str]:
    """Tokens of one tweet after GloVe's Twitter preprocessing."""
    return _TOKEN.findall(normalise_tweet(text))


def build_vocabulary(token_lists: Iterable[Sequence[str]], min_count: int = 1) -> pd.DataFrame:
    """Every token type with its corpus count and model index.

    Index 0 is padding and 1 unknown; types seen at least ``min_count`` times get indices 2, 3,
    ... in order of decreasing count (ties alphabetical, so the order is deterministic); rarer
    types are kept in the table with index 1 so that coverage can be reported over all tokens.
    Columns: ``token``, ``count``, ``index``; the first two rows are ``<pad>`` and ``<unk>``.
    """
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1, got {min_count}")
    counts = Counter(tok for tokens in token_lists for tok in tokens)
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    rows = [(PAD, 0, PAD_ID), (UNK, 0, UNK_ID)]
    next_id = 2
    for tok, c in items:
        if tok in (PAD, UNK):
            continue
        if c >= min_count:
            rows.append((tok, c, next_id))
            next_id += 1
        else:
            rows.append((tok, c, UNK_ID))
    return pd.DataFrame(rows, columns=["token", "count", "index"]).astype(
        {"count": "int64", "index": "int64"}
    )


def vocabulary_size(vocabulary: pd.DataFrame) -> int:
    """Number of embedding rows (padding + unknown + in-vocabulary types)."""
    return int(vocabulary["index"].max()) + 1


def encode_sequences(
    token_lists: Iterable[Sequence[str]], vocabulary: pd.DataFrame, max_length: int
) -> np.ndarray:
    """(N, max_length) int64 ids: truncated at the end, right-padded with 0, unknown = 1."""
    if max_length < 1:
        raise ValueError(f"max_length must be >= 1, got {max_length}")
    lookup = dict(zip(vocabulary["token"], vocabulary["index"], strict=True))
    rows = [[lookup.get(t, UNK_ID) for t in tokens[:max_length]] for tokens in token_lists]
    out = np.zeros((len(rows), max_length), dtype=np.int64)
    for i, ids in enumerate(rows):
        out[i, : len(ids)] = ids
    return out
