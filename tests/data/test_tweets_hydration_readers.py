"""The rehydration formats are a registry: a dataset names its format, and the reader of that
name reads it; the configuration accepts exactly the registered names."""

import pytest

from mtl_pipeline.data.tweets import HYDRATION_READERS, TweetDataError, load_tweet_dataset
from mtl_pipeline.specs.tweets import dataset_config


def _config(fmt):
    return {
        "files": ["labels.tsv"],
        "columns": ["tweet_id", "label"],
        "labels": {"label": ["0", "1"]},
        "hydrated": {"format": fmt, "files": ["out.txt"]},
    }


def test_the_configuration_accepts_exactly_the_registered_formats():
    assert set(HYDRATION_READERS) == {"twarc2", "twarc1", "hydrator_csv"}
    for fmt in HYDRATION_READERS:
        assert dataset_config("d", _config(fmt)).hydrated.format == fmt
    with pytest.raises(TweetDataError, match=r"hydrated.format is 'nope'; expected one of"):
        dataset_config("d", _config("nope"))


def test_a_registered_reader_is_chosen_by_its_name(tmp_path, monkeypatch):
    (tmp_path / "labels.tsv").write_text("1\t0\n2\t1\n3\t1\n", encoding="utf-8")
    (tmp_path / "out.txt").write_text("1 first\n2 second\n", encoding="utf-8")

    def read_lines(path, found):  # a toy format: "<id> <text>" per line
        for line in path.read_text(encoding="utf-8").splitlines():
            tid, _, text = line.partition(" ")
            found.texts.setdefault(tid, text)

    monkeypatch.setitem(HYDRATION_READERS, "id_space_text", read_lines)
    table, report = load_tweet_dataset(dataset_config("d", _config("id_space_text")), tmp_path)
    assert table[["tweet_id", "text"]].values.tolist() == [["1", "first"], ["2", "second"]]
    assert report["n_missing_absent"] == 1
