"""A 20NG-style study on a user's own labelled documents, configured in YAML only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mtl_pipeline.data.newsgroups import NewsgroupsDataError, read_labelled_documents
from tests.pipelines.kedro_run import load, run_pipeline

VOCABULARY = {
    "cats": "whiskers purr litter kitten meow",
    "dogs": "bark leash puppy fetch kennel",
    "cars": "engine brake tyre clutch gearbox",
    "bikes": "pedal saddle chain spoke helmet",
}
TREE = [
    {"top": "things", "father": "pets", "newsgroups": ["cats", "dogs"]},
    {"top": "things", "father": "vehicles", "newsgroups": ["cars", "bikes"]},
]


def _documents(path, n_train=12, n_test=6):
    rng = np.random.default_rng(0)
    rows = []
    shared = "today the weather was fine and we went out".split()
    for label, words in VOCABULARY.items():
        for split, n in (("train", n_train), ("test", n_test)):
            for _ in range(n):
                tokens = list(rng.choice(words.split(), 4)) + list(rng.choice(shared, 4))
                rows.append({"body": " ".join(tokens), "topic": label, "part": split})
    pd.DataFrame(rows).to_csv(path, index=False)


def test_own_documents_run_the_newsgroups_pipeline_from_yaml_only(project_copy, tmp_path):
    _documents(tmp_path / "docs.csv")
    params = {
        "newsgroups": {
            "documents": {
                "files": [str(tmp_path / "docs.csv")],
                "text_column": "body",
                "label_column": "topic",
                "split_column": "part",
            },
            "hierarchy": TREE,
            "pairs_per_problem": None,
            "train_per_class": 5,
            "seeds": [0],
            "train": {"stl_epochs": 2, "mtl_epochs": 2},
        }
    }
    run_pipeline(project_copy, "newsgroups", params=params)
    documents = load(project_copy, "newsgroups_documents")
    assert sorted(documents["newsgroup"].unique()) == sorted(VOCABULARY)
    pairs = load(project_copy, "task_pairs")
    # main task: a pet vs a vehicle (2 x 2), aux: the sibling of each; one top level, so every
    # pair is both related and unrelated
    assert pairs.groupby("problem").size().to_dict() == {"related": 4, "unrelated": 4}
    gains = load(project_copy, "mtl_gains")
    assert len(gains) > 0 and gains["stl_score"].between(0, 1).all()


def test_own_documents_bad_split_value_names_file_line_and_parameter(tmp_path):
    pd.DataFrame({"text": ["a b", "c d"], "label": ["x", "y"], "split": ["train", "dev"]}).to_csv(
        tmp_path / "d.csv", index=False
    )
    with pytest.raises(NewsgroupsDataError) as err:
        read_labelled_documents({"files": [str(tmp_path / "d.csv")]}, "newsgroups.documents")
    assert str(err.value) == (
        f"{tmp_path / 'd.csv'}, line 3: column 'split' has 'dev', expected 'train' or 'test' "
        "(parameter newsgroups.documents.split_column)"
    )


def test_csv_error_lines_count_the_lines_of_quoted_multi_line_texts(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(
        "text,label,split\n"
        '"first line\nsecond line\nthird line",x,train\n'  # one record on lines 2-4
        "\n"  # a blank line: no record
        "c d,y,dev\n",  # line 6
        encoding="utf-8",
    )
    with pytest.raises(NewsgroupsDataError) as err:
        read_labelled_documents({"files": [str(path)]}, "newsgroups.documents")
    assert str(err.value) == (
        f"{path}, line 6: column 'split' has 'dev', expected 'train' or 'test' "
        "(parameter newsgroups.documents.split_column)"
    )


def test_a_header_only_table_names_the_file(tmp_path):
    (tmp_path / "d.csv").write_text("text,label,split\n", encoding="utf-8")
    with pytest.raises(NewsgroupsDataError) as err:
        read_labelled_documents({"files": [str(tmp_path / "d.csv")]}, "newsgroups.documents")
    assert str(err.value) == (
        f"{tmp_path / 'd.csv'}: the table has a header but no rows "
        "(parameter newsgroups.documents.files)"
    )


def test_a_missing_text_in_parquet_names_file_row_and_parameter(tmp_path):
    table = pd.DataFrame({"text": ["a b", None], "label": ["x", "y"], "split": ["train", "test"]})
    table.to_parquet(tmp_path / "d.parquet")
    with pytest.raises(NewsgroupsDataError) as err:
        read_labelled_documents({"files": [str(tmp_path / "d.parquet")]}, "newsgroups.documents")
    assert str(err.value) == (
        f"{tmp_path / 'd.parquet'}, row 2: column 'text' is missing (null), expected a non-empty "
        "text (parameter newsgroups.documents.text_column)"
    )
