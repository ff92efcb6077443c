import numpy as np
import pandas as pd
import pytest

from mtl_pipeline.specs.newsgroups import SAMPLE_NAMES  # the names the spec layer passes
from mtl_pipeline.tasks.samples import sample_tasks


@pytest.fixture
def documents() -> pd.DataFrame:
    rows = []
    for group, n_train, n_test in (("a", 10, 3), ("b", 8, 2), ("c", 5, 4)):
        rows += [(f"train/{group}/{i}", "train", group, f"{group} {i}") for i in range(n_train)]
        rows += [(f"test/{group}/{i}", "test", group, f"{group} {i}") for i in range(n_test)]
    return pd.DataFrame(rows, columns=["doc_id", "split", "newsgroup", "text"])


def test_per_class_sample_is_balanced_seeded_and_points_at_the_right_rows(documents):
    samples = sample_tasks(documents, [("a vs b", 0), ("a vs b", 1)], train_size=4)
    train = samples[(samples.split == "train")]
    assert train.groupby(["seed", "label"]).size().tolist() == [4, 4, 4, 4]
    # label 1 = the first newsgroup of the task name; row = position in the document table
    for row in samples.itertuples():
        newsgroup = documents.iloc[row.row]["newsgroup"]
        assert documents.iloc[row.row]["doc_id"] == row.doc_id
        assert newsgroup == ("a" if row.label == 1 else "b")
    again = sample_tasks(documents, [("a vs b", 0), ("a vs b", 1)], train_size=4)
    pd.testing.assert_frame_equal(samples, again)
    seed0 = set(train[train.seed == 0].doc_id)
    seed1 = set(train[train.seed == 1].doc_id)
    assert seed0 != seed1  # a different seed draws a different sample


def test_test_split_holds_every_test_document_of_both_classes(documents):
    samples = sample_tasks(documents, [("a vs c", 0)], train_size=3)
    test = samples[samples.split == "test"]
    assert sorted(test.doc_id) == sorted(
        documents[(documents.split == "test") & documents.newsgroup.isin(["a", "c"])].doc_id
    )


def test_per_task_sampling_draws_from_both_classes_together(documents):
    samples = sample_tasks(documents, [("a vs b", 3)], train_size=6, sampling="per_task")
    train = samples[samples.split == "train"]
    assert len(train) == 6
    assert set(np.unique(train.label)) <= {0, 1}


def test_too_few_documents_names_the_parameter(documents):
    with pytest.raises(ValueError, match=r"'c' has 5 training documents.*train_per_class=6"):
        sample_tasks(documents, [("a vs c", 0)], train_size=6, names=SAMPLE_NAMES)


def test_unknown_sampling_mode_names_the_parameter(documents):
    with pytest.raises(ValueError, match="newsgroups.sampling"):
        sample_tasks(documents, [("a vs b", 0)], train_size=2, sampling="weird", names=SAMPLE_NAMES)


def test_test_sample_is_drawn_per_task_and_seed(documents):
    samples = sample_tasks(documents, [("a vs c", 0), ("a vs c", 1)], train_size=3, test_size=4)
    test = samples[samples.split == "test"]
    assert test.groupby("seed").size().tolist() == [4, 4]
    pool = set(documents[(documents.split == "test") & documents.newsgroup.isin(["a", "c"])].doc_id)
    assert set(test.doc_id) <= pool
    assert set(test[test.seed == 0].doc_id) != set(test[test.seed == 1].doc_id)
    # a task with fewer test documents than asked keeps them all (the released code's nb_ex clip)
    small = sample_tasks(documents, [("a vs b", 0)], train_size=2, test_size=700)
    assert (small.split == "test").sum() == 5


def test_bad_test_size_names_the_parameter(documents):
    with pytest.raises(ValueError, match="newsgroups.test_per_task"):
        sample_tasks(documents, [("a vs b", 0)], train_size=2, test_size=0, names=SAMPLE_NAMES)
