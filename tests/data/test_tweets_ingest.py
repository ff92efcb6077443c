"""Ingestion of labelled and rehydrated tweets: every input format, every bad input, real data."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from mtl_pipeline.data.tweets import (
    REPORT_COLUMNS,
    TweetDataError,
    rehydration_report_table,
)
from mtl_pipeline.data.tweets import load_tweet_dataset as read_tweet_dataset
from mtl_pipeline.specs.tweets import dataset_config


def load_tweet_dataset(raw, data_dir, name):
    """Dataset ``name`` configured by ``raw`` (a ``tweets.datasets`` entry), parsed as the
    node parses it."""
    return read_tweet_dataset(dataset_config(name, raw), data_dir)


BIG = "1184334228217724928"  # 19 digits: a float would turn it into ...7724900


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _table_cfg(files, **kw):
    cfg = {
        "files": files,
        "format": "tsv",
        "header": False,
        "columns": ["tweet_id", "label", "text"],
        "labels": {"label": ["0", "1"]},
    }
    cfg.update(kw)
    return cfg


# ----------------------------------------------------------------------------- tables


def test_tsv_without_header_several_files_duplicates_and_conflicts(tmp_path):
    _write(tmp_path / "a.txt", f'{BIG}\t1\t"quoted start, no closing\n2\t0\tsecond\n3\t1\tx\n')
    _write(tmp_path / "b.txt", "2\t0\tsecond again\n3\t0\tconflict\n4\t1\tfourth\n")
    table, report = load_tweet_dataset(_table_cfg(["a.txt", "b.txt"]), tmp_path, "d")
    assert table["tweet_id"].tolist() == [BIG, "2", "4"]
    assert table["text"].iat[0] == '"quoted start, no closing'  # TSV is never quote-parsed
    assert table["text"].iat[1] == "second"  # first occurrence wins
    assert table["label"].tolist() == ["1", "0", "1"]
    assert report["n_rows"] == 6 and report["n_requested"] == 4
    assert report["n_duplicate_rows"] == 2
    assert report["n_conflicting_ids"] == 1 and report["conflicting_ids"] == "3"
    assert report["n_kept"] == 3


def test_csv_with_header_and_parquet(tmp_path):
    _write(tmp_path / "t.csv", f'id,y,body\n{BIG},pos,"hello, world"\n7,neg,bye\n')
    cfg = {
        "files": ["t.csv"],
        "header": True,
        "id_column": "id",
        "text_column": "body",
        "labels": {"y": ["neg", "pos"]},
    }
    table, _ = load_tweet_dataset(cfg, tmp_path, "c")
    assert table.to_dict("list") == {
        "tweet_id": [BIG, "7"],
        "text": ["hello, world", "bye"],
        "y": ["pos", "neg"],
    }
    pd.DataFrame({"tweet_id": [int(BIG), 8], "label": [1, 0], "text": ["a", "b"]}).to_parquet(
        tmp_path / "t.parquet"
    )
    table, _ = load_tweet_dataset(
        {"files": "t.parquet", "labels": {"label": [0, 1]}}, tmp_path, "p"
    )
    assert table["tweet_id"].tolist() == [BIG, "8"] and table["label"].tolist() == ["1", "0"]


def test_numeric_labels_and_extra_label_table(tmp_path):
    _write(tmp_path / "gt.txt", "1\t2.5\tgood\n2\t-1.0\tbad\n3\t0.1\tmeh\n")
    _write(tmp_path / "sd.txt", "1\t2.5\t0.5\t[1]\n2\t-1\t1.5\t[2]\n")
    cfg = {
        "files": ["gt.txt"],
        "columns": ["tweet_id", "mean", "text"],
        "labels": {"mean": "numeric"},
        "extra_labels": [
            {
                "files": ["sd.txt"],
                "columns": ["tweet_id", "m", "sd", "r"],
                "labels": {"sd": "numeric"},
            }
        ],
    }
    table, report = load_tweet_dataset(cfg, tmp_path, "v")
    assert table.columns.tolist() == ["tweet_id", "text", "mean", "sd"]
    assert table["sd"].tolist() == [0.5, 1.5]
    assert report["n_missing_extra_labels"] == 1


# ----------------------------------------------------------------------------- rehydration


def _ids_file(tmp_path, ids):
    _write(tmp_path / "ids.tsv", "".join(f"{i}\t{n % 2}\n" for n, i in enumerate(ids)))


def _hyd_cfg(fmt, files):
    return {
        "files": ["ids.tsv"],
        "columns": ["tweet_id", "label"],
        "labels": {"label": ["0", "1"]},
        "hydrated": {"format": fmt, "files": files},
    }


def test_twarc2_pages_with_errors_and_page_without_data(tmp_path):
    ids = [BIG, "11", "12", "13", "14"]
    _ids_file(tmp_path, ids)
    pages = [
        {
            "data": [{"id": BIG, "text": "first"}, {"id": "99", "text": "not asked for"}],
            "errors": [
                {
                    "resource_id": "11",
                    "value": "11",
                    "title": "Not Found Error",
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
            ],
            "meta": {},
        },
        {
            "errors": [
                {
                    "resource_id": "12",
                    "value": "12",
                    "title": "Authorization Error",
                    "detail": "Sorry, you are not authorized to see the Tweet with ids: [12].",
                    "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
                }
            ]
        },
        {"data": [{"id": "14", "text": "short", "note_tweet": {"text": "the long text"}}]},
    ]
    _write(tmp_path / "h.jsonl", "\n".join(json.dumps(p) for p in pages) + "\n\n")
    table, report = load_tweet_dataset(_hyd_cfg("twarc2", ["h.jsonl"]), tmp_path, "h")
    assert table["tweet_id"].tolist() == [BIG, "14"]
    assert table["text"].tolist() == ["first", "the long text"]
    assert report["n_requested"] == 5 and report["n_found"] == 2
    assert (
        report["n_missing_not_found"],
        report["n_missing_not_authorised"],
        report["n_missing_absent"],
    ) == (1, 1, 1)
    assert report["missing_ids"] == "11;12;13"
    assert report["n_unrequested"] == 1


def test_twarc1_and_hydrator_csv(tmp_path):
    _ids_file(tmp_path, [BIG, "21", "22"])
    lines = [
        {"id": int(BIG), "id_str": BIG, "full_text": "full", "text": "trunc"},
        {"id_str": "21", "text": "plain"},
    ]
    _write(tmp_path / "v1.jsonl", "\n".join(json.dumps(x) for x in lines))
    table, report = load_tweet_dataset(_hyd_cfg("twarc1", ["v1.jsonl"]), tmp_path, "v1")
    assert table["text"].tolist() == ["full", "plain"] and report["n_missing_absent"] == 1
    _write(tmp_path / "h.csv", f'coordinates,created_at,id,text\n,x,{BIG},"a, b"\n,y,22,c\n')
    table, _ = load_tweet_dataset(_hyd_cfg("hydrator_csv", ["h.csv"]), tmp_path, "hc")
    assert table["tweet_id"].tolist() == [BIG, "22"] and table["text"].tolist() == ["a, b", "c"]


# ----------------------------------------------------------------------------- bad input


def test_missing_file_names_the_file_and_parameter(tmp_path):
    with pytest.raises(TweetDataError, match=r"nope\.txt does not exist.*tweets\.datasets\.d"):
        load_tweet_dataset(_table_cfg(["nope.txt"]), tmp_path, "d")


def test_missing_label_column(tmp_path):
    _write(tmp_path / "a.csv", "tweet_id,text\n1,x\n")
    cfg = {"files": ["a.csv"], "header": True, "labels": {"flu": ["0", "1"]}}
    with pytest.raises(TweetDataError, match=r"column 'flu' not found.*\['tweet_id', 'text'\]"):
        load_tweet_dataset(cfg, tmp_path, "d")


def test_label_outside_declared_classes_names_file_line_column(tmp_path):
    _write(tmp_path / "a.txt", "1\t0\tx\n2\t2\ty\n")
    with pytest.raises(TweetDataError, match=r"a\.txt, line 2: column 'label' has value '2'"):
        load_tweet_dataset(_table_cfg(["a.txt"]), tmp_path, "d")


def test_float_id_and_wrong_field_count_are_errors(tmp_path):
    _write(tmp_path / "a.txt", "1.18e+18\t0\tx\n")
    with pytest.raises(TweetDataError, match="line 1: id column .* never a float"):
        load_tweet_dataset(_table_cfg(["a.txt"]), tmp_path, "d")
    _write(tmp_path / "b.txt", "1\t0\tx\n2\t1\n")
    with pytest.raises(TweetDataError, match=r"b\.txt, line 2: 2 fields, expected 3"):
        load_tweet_dataset(_table_cfg(["b.txt"]), tmp_path, "d")


def test_empty_text_is_a_reported_drop_or_an_error(tmp_path):
    _write(tmp_path / "a.txt", "1\t0\tx\n2\t1\t  \n")
    table, report = load_tweet_dataset(_table_cfg(["a.txt"]), tmp_path, "d")
    assert table["tweet_id"].tolist() == ["1"]
    assert report["n_empty_text"] == 1 and report["empty_text_ids"] == "2"
    with pytest.raises(TweetDataError, match=r"a\.txt, line 2: tweet 2 has an empty text"):
        load_tweet_dataset(_table_cfg(["a.txt"], on_empty_text="error"), tmp_path, "d")


def test_jsonl_line_that_is_not_json(tmp_path):
    _ids_file(tmp_path, ["1"])
    _write(tmp_path / "h.jsonl", '{"data": [{"id": "1", "text": "a"}]}\n{"data": [\n{"data": []}\n')
    with pytest.raises(TweetDataError, match=r"h\.jsonl, line 2: not valid JSON"):
        load_tweet_dataset(_hyd_cfg("twarc2", ["h.jsonl"]), tmp_path, "h")


def test_rehydration_where_every_id_is_missing(tmp_path):
    _ids_file(tmp_path, ["1", "2"])
    page = {"errors": [{"resource_id": "1", "title": "Not Found Error"}]}
    _write(tmp_path / "h.jsonl", json.dumps(page) + "\n")
    with pytest.raises(TweetDataError, match="none of the 2 requested ids.*1 not found"):
        load_tweet_dataset(_hyd_cfg("twarc2", ["h.jsonl"]), tmp_path, "h")


def test_bad_configuration_names_the_parameter(tmp_path):
    with pytest.raises(TweetDataError, match=r"tweets\.datasets\.d: header is false"):
        load_tweet_dataset({"files": ["a"], "labels": {"y": [0, 1]}}, tmp_path, "d")
    with pytest.raises(TweetDataError, match=r"tweets\.datasets\.d\.hydrated\.format"):
        load_tweet_dataset(_hyd_cfg("twarc9", ["h"]), tmp_path, "d")


# ----------------------------------------------------------------------------- real data

LAMB = {
    "related": [
        "RelatedVsNotRelated2009TweetIDs.content.txt",
        "RelatedVsNotRelated2012TweetIDs.content.txt",
    ],
    "awareness": [
        "AwarenessVsInfection2009TweetIDs.content.txt",
        "AwarenessVsInfection2012TweetIDs.content.txt",
    ],
}


def test_real_lamb_files(tweets_dir):
    rel, rel_report = load_tweet_dataset(_table_cfg(LAMB["related"]), tweets_dir, "rel")
    assert rel_report["n_rows"] == 4577
    aw, report = load_tweet_dataset(_table_cfg(LAMB["awareness"]), tweets_dir, "aw")
    assert report["n_rows"] == 2708 and report["n_requested"] == 2589
    assert report["conflicting_ids"].split(";") == [
        "3845813414",
        "4342628412",
        "4464123603",
        "4713206702",
        "4807831709",
    ]
    assert len(aw) == 2589 - 5 and aw["tweet_id"].is_unique
    assert aw["tweet_id"].map(type).eq(str).all()
    table = rehydration_report_table([rel_report, report])
    assert table.columns.tolist() == list(REPORT_COLUMNS) and len(table) == 2


def test_real_vader_file(tweets_dir):
    cfg = {
        "files": ["vader_tweets_GroundTruth.txt"],
        "columns": ["tweet_id", "mean_sentiment", "text"],
        "labels": {"mean_sentiment": "numeric"},
    }
    table, report = load_tweet_dataset(cfg, tweets_dir, "vader")
    assert len(table) == 4200 and report["n_conflicting_ids"] == 0
    assert table["mean_sentiment"].between(-4, 4).all()
