"""Rehydration output in the shapes the tools write, built from the formats' documentation.

* twarc2 (API v2): ``hydrate``/``search`` write one response page per line (``data`` a list,
  ``includes.tweets`` the referenced tweets, ``errors`` the ids that failed); ``stream`` writes one
  tweet per line (``data`` a single object, plus ``matching_rules``); ``flatten`` writes one tweet
  per line with the expansions inlined. Long tweets keep ``text`` cut at 280 characters and the
  whole text in ``note_tweet.text``; a retweet has ``referenced_tweets: [{type: retweeted, id}]``.
* twarc v1 (API v1.1): one tweet per line, ``id``/``id_str``; ``full_text`` in extended mode;
  streaming keeps ``text`` cut at 140 characters with ``truncated: true`` and the whole text in
  ``extended_tweet.full_text``; a retweet embeds the original as ``retweeted_status``.
* Hydrator (DocNow desktop app) CSV: one row per tweet with ``id``, ``text``, ``retweet_id``, ...
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mtl_pipeline.data.tweets import TweetDataError
from mtl_pipeline.data.tweets import load_tweet_dataset as read_tweet_dataset
from mtl_pipeline.specs.tweets import dataset_config


def load_tweet_dataset(raw, data_dir, name):
    """Dataset ``name`` configured by ``raw`` (a ``tweets.datasets`` entry), parsed as the
    node parses it."""
    return read_tweet_dataset(dataset_config(name, raw), data_dir)


LONG = "Day three of the flu and I still cannot get out of bed. " * 6  # > 280 characters
CUT = LONG[:277] + "…"


def _ids(tmp_path: Path, ids: list[str]) -> None:
    (tmp_path / "ids.tsv").write_text("".join(f"{i}\t{n % 2}\n" for n, i in enumerate(ids)))


def _cfg(fmt: str, files: list[str], **hydrated) -> dict:
    return {
        "files": ["ids.tsv"],
        "columns": ["tweet_id", "label"],
        "labels": {"label": ["0", "1"]},
        "hydrated": {"format": fmt, "files": files, **hydrated},
    }


def _jsonl(path: Path, objects: list) -> None:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects), encoding="utf-8")


# ----------------------------------------------------------------------------- twarc2


def _v2_page() -> dict:
    return {
        "data": [
            {"id": "101", "text": CUT, "note_tweet": {"text": LONG}, "author_id": "7"},
            {
                "id": "102",
                "text": "RT @cdcgov: Flu season is here. Get your flu shot: it protects you and…",
                "referenced_tweets": [{"type": "retweeted", "id": "900"}],
                "author_id": "8",
            },
        ],
        "includes": {
            "users": [{"id": "9", "name": "CDC", "username": "cdcgov"}],
            "tweets": [
                {
                    "id": "900",
                    "text": "Flu season is here. Get your flu shot: it protects you and "
                    "the people around you.",
                    "author_id": "9",
                }
            ],
        },
        "__twarc": {"url": "https://api.twitter.com/2/tweets?ids=101,102", "version": "2.14.0"},
    }


def test_twarc2_pages_note_tweet_and_retweet_original_from_includes(tmp_path):
    _ids(tmp_path, ["101", "102"])
    _jsonl(tmp_path / "h.jsonl", [_v2_page()])
    table, _ = load_tweet_dataset(_cfg("twarc2", ["h.jsonl"]), tmp_path, "d")
    text = dict(zip(table["tweet_id"], table["text"], strict=True))
    assert text["101"] == LONG
    assert text["102"] == (
        "RT @cdcgov: Flu season is here. Get your flu shot: it protects you and "
        "the people around you."
    )
    table, _ = load_tweet_dataset(
        _cfg("twarc2", ["h.jsonl"], retweet_text="as_returned"), tmp_path, "d"
    )
    assert table["text"].iat[1].endswith("you and…")


def test_twarc2_stream_output_has_one_tweet_object_per_line(tmp_path):
    _ids(tmp_path, ["201", "202"])
    lines = [
        {
            "data": {"id": "201", "text": "fever and chills all night"},
            "matching_rules": [{"id": "1", "tag": "flu"}],
        },
        {
            "data": {"id": "202", "text": CUT, "note_tweet": {"text": LONG}},
            "includes": {"users": [{"id": "3", "username": "someone"}]},
            "matching_rules": [{"id": "1", "tag": "flu"}],
        },
    ]
    _jsonl(tmp_path / "stream.jsonl", lines)
    table, report = load_tweet_dataset(_cfg("twarc2", ["stream.jsonl"]), tmp_path, "d")
    assert table["text"].tolist() == ["fever and chills all night", LONG]
    assert report["n_kept"] == 2


def test_twarc2_flattened_retweet_uses_the_inlined_original(tmp_path):
    _ids(tmp_path, ["301"])
    flat = {
        "id": "301",
        "text": "RT @who: Wash your hands often with soap and…",
        "referenced_tweets": [
            {"type": "retweeted", "id": "950", "text": "Wash your hands often with soap and water."}
        ],
        "__twarc": {"version": "2.14.0"},
    }
    _jsonl(tmp_path / "flat.jsonl", [flat])
    table, _ = load_tweet_dataset(_cfg("twarc2", ["flat.jsonl"]), tmp_path, "d")
    assert table["text"].tolist() == ["RT @who: Wash your hands often with soap and water."]


def test_cut_off_final_line_is_skipped_and_reported(tmp_path):
    _ids(tmp_path, ["101", "102", "400"])
    page = json.dumps(_v2_page())
    cut = json.dumps({"data": [{"id": "400", "text": "never finished"}]})[:25]
    (tmp_path / "h.jsonl").write_text(page + "\n" + cut, encoding="utf-8")
    table, report = load_tweet_dataset(_cfg("twarc2", ["h.jsonl"]), tmp_path, "d")
    assert table["tweet_id"].tolist() == ["101", "102"]
    assert report["n_skipped_lines"] == 1 and report["missing_ids"] == "400"


def test_invalid_json_before_the_last_line_is_an_error(tmp_path):
    _ids(tmp_path, ["101"])
    (tmp_path / "h.jsonl").write_text('{"data": [\n' + json.dumps(_v2_page()) + "\n")
    with pytest.raises(TweetDataError, match=r"h\.jsonl, line 1: not valid JSON"):
        load_tweet_dataset(_cfg("twarc2", ["h.jsonl"]), tmp_path, "d")


def test_twarc2_counts_output_is_not_tweets(tmp_path):
    _ids(tmp_path, ["1"])
    counts = {
        "data": [
            {
                "end": "2021-01-02T00:00:00.000Z",
                "start": "2021-01-01T00:00:00.000Z",
                "tweet_count": 12,
            }
        ],
        "meta": {"total_tweet_count": 12},
    }
    _jsonl(tmp_path / "counts.jsonl", [counts])
    with pytest.raises(
        TweetDataError,
        match=r"counts\.jsonl, line 1, data\[0\]: object has no 'id' \(keys: \['end', "
        r"'start', 'tweet_count'\]\); not a tweet",
    ):
        load_tweet_dataset(_cfg("twarc2", ["counts.jsonl"]), tmp_path, "d")


def test_twarc1_tweet_without_id(tmp_path):
    _ids(tmp_path, ["1"])
    _jsonl(tmp_path / "v1.jsonl", [{"id_str": "1", "full_text": "ok"}, {"full_text": "no id"}])
    with pytest.raises(TweetDataError, match=r"v1\.jsonl, line 2: object has no 'id'"):
        load_tweet_dataset(_cfg("twarc1", ["v1.jsonl"]), tmp_path, "d")


# ----------------------------------------------------------------------------- twarc v1


def test_twarc1_streaming_extended_tweet_and_retweeted_status(tmp_path):
    _ids(tmp_path, ["501", "502", "503"])
    full = "I have had a fever for two days now and my whole body aches, I think it is the flu"
    lines = [
        {  # streaming API, compatibility mode: 140-character text, full text in extended_tweet
            "id": 501,
            "id_str": "501",
            "text": full[:139] + "…",
            "truncated": True,
            "extended_tweet": {"full_text": full},
        },
        {  # extended mode: full_text; a retweet's own full_text is cut, the original is whole
            "id": 502,
            "id_str": "502",
            "full_text": "RT @nhs: " + full[:60] + "…",
            "truncated": False,
            "retweeted_status": {"id": 77, "id_str": "77", "full_text": full, "truncated": False},
        },
        {  # a streaming retweet: the original's full text in retweeted_status.extended_tweet
            "id": 503,
            "id_str": "503",
            "text": "RT @nhs: " + full[:40] + "…",
            "truncated": False,
            "retweeted_status": {
                "id_str": "78",
                "text": full[:139] + "…",
                "truncated": True,
                "extended_tweet": {"full_text": full},
            },
        },
    ]
    _jsonl(tmp_path / "v1.jsonl", lines)
    table, _ = load_tweet_dataset(_cfg("twarc1", ["v1.jsonl"]), tmp_path, "d")
    assert table["text"].tolist() == [full, "RT @nhs: " + full, "RT @nhs: " + full]
    table, _ = load_tweet_dataset(
        _cfg("twarc1", ["v1.jsonl"], retweet_text="as_returned"), tmp_path, "d"
    )
    assert table["text"].tolist()[1:] == [
        "RT @nhs: " + full[:60] + "…",
        "RT @nhs: " + full[:40] + "…",
    ]


# ----------------------------------------------------------------------------- Hydrator


HYDRATOR_HEADER = (
    "coordinates,created_at,hashtags,media,urls,favorite_count,id,in_reply_to_screen_name,"
    "in_reply_to_status_id,in_reply_to_user_id,lang,place,possibly_sensitive,retweet_count,"
    "retweet_id,retweet_screen_name,source,text,tweet_url,user_created_at,user_id\n"
)


def _hydrator_row(tid: str, text: str, retweet_id: str = "", who: str = "") -> str:
    quoted = '"' + text.replace('"', '""') + '"'
    return (
        f",Mon Jan 05 10:00:00 +0000 2015,,,,0,{tid},,,,en,,,0,{retweet_id},{who},web,{quoted},"
        f"https://twitter.com/u/status/{tid},Mon Jan 01 10:00:00 +0000 2013,42\n"
    )


def test_hydrator_csv_retweet_takes_the_original_row_text(tmp_path):
    _ids(tmp_path, ["601", "602"])
    original = 'Stay home if you have a fever, "please"'
    rows = [
        _hydrator_row("601", original),
        _hydrator_row("602", "RT @docnow: Stay home if you…", retweet_id="601", who="docnow"),
    ]
    (tmp_path / "h.csv").write_text(HYDRATOR_HEADER + "".join(rows), encoding="utf-8")
    table, _ = load_tweet_dataset(_cfg("hydrator_csv", ["h.csv"]), tmp_path, "d")
    assert table["text"].tolist() == [original, "RT @docnow: " + original]


# ----------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    "fmt, name", [("twarc2", "h.jsonl"), ("twarc1", "h.jsonl"), ("hydrator_csv", "h.csv")]
)
def test_zero_byte_rehydration_file(tmp_path, fmt, name):
    _ids(tmp_path, ["1"])
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(TweetDataError, match=re.escape(f"{name}: file is empty (0 bytes)")):
        load_tweet_dataset(_cfg(fmt, [name]), tmp_path, "d")


def test_zero_byte_table_file(tmp_path):
    (tmp_path / "t.tsv").write_bytes(b"")
    cfg = {
        "files": ["t.tsv"],
        "columns": ["tweet_id", "label", "text"],
        "labels": {"label": ["0", "1"]},
    }
    with pytest.raises(TweetDataError, match=r"t\.tsv: file is empty \(0 bytes\)"):
        load_tweet_dataset(cfg, tmp_path, "d")


def test_non_utf8_file_names_file_and_line(tmp_path):
    _ids(tmp_path, ["1", "2"])
    data = json.dumps({"id_str": "1", "full_text": "ok"}) + "\n"
    data += json.dumps({"id_str": "2", "full_text": "caf_"}).replace("_", "\\u00e9") + "\n"
    raw = data.encode() + '{"id_str": "3", "full_text": "caf\xe9"}\n'.encode("latin-1")
    (tmp_path / "v1.jsonl").write_bytes(raw)
    with pytest.raises(TweetDataError, match=r"v1\.jsonl, line 3: not valid UTF-8 \(byte 0xe9"):
        load_tweet_dataset(_cfg("twarc1", ["v1.jsonl"]), tmp_path, "d")
    (tmp_path / "t.tsv").write_bytes("1\t0\tok\n2\t1\tna\xefve\n".encode("latin-1"))
    cfg = {
        "files": ["t.tsv"],
        "columns": ["tweet_id", "label", "text"],
        "labels": {"label": ["0", "1"]},
    }
    with pytest.raises(TweetDataError, match=r"t\.tsv, line 2: not valid UTF-8"):
        load_tweet_dataset(cfg, tmp_path, "d")
