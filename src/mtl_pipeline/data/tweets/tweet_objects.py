"""What one tweet object of the API (v2 or v1.1) says: its id, its full text, what it retweets,
and why the API could not return a tweet."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .text_files import TweetDataError

_RT_PREFIX = re.compile(r"^RT @\w+: ")


def classify_error(err: Mapping[str, Any]) -> str:
    """The missing reason (``not_found``, ``not_authorised``, ``other_error``) of an API error."""
    words = " ".join(str(err.get(k, "")) for k in ("title", "type", "detail")).lower()
    if "not found" in words or "resource-not-found" in words:
        return "not_found"
    if "authoriz" in words or "authoris" in words or "not-authorized" in words:
        return "not_authorised"
    return "other_error"


def tweet_id(tweet: Any, at: str) -> str:
    """The id of a tweet object as a string; ``at`` names the file and line in errors."""
    if not isinstance(tweet, Mapping):
        raise TweetDataError(f"{at}: expected a tweet object, got {type(tweet).__name__}")
    tid = tweet.get("id_str", tweet.get("id"))
    if tid is None:
        raise TweetDataError(
            f"{at}: object has no 'id' (keys: {sorted(tweet)[:8]}); not a tweet. Expected the "
            "output of `twarc2 hydrate`/`search`/`stream` or `twarc hydrate` (not e.g. `counts`)"
        )
    return str(tid)


def own_text(tweet: Mapping[str, Any]) -> str:
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


def with_original(retweet_text: str, original_text: str) -> str:
    """A retweet's text with the original's full text after its ``RT @user: `` prefix."""
    prefix = _RT_PREFIX.match(retweet_text)
    return (prefix.group(0) if prefix else "") + original_text


def v2_retweeted_id(tweet: Mapping[str, Any]) -> str | None:
    """The id of the tweet a v2 tweet object retweets, or None."""
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, Mapping) and ref.get("type") == "retweeted" and ref.get("id"):
            return str(ref["id"])
    return None
