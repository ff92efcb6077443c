"""End to end: `kedro run --pipelines=newsgroups --env quick` on the real 20NG archive."""

import pandas as pd
import pytest
import scipy.sparse as sp

from tests.pipelines.kedro_run import load, run_pipeline, versions

pytestmark = pytest.mark.e2e


def test_newsgroups_quick_run_writes_versioned_outputs_and_keeps_old_versions(
    project_copy, newsgroups_archive
):
    params = {"newsgroups": {"archive": str(newsgroups_archive)}}
    run_pipeline(project_copy, "newsgroups", params=params)

    documents = load(project_copy, "newsgroups_documents")
    assert documents["split"].value_counts().to_dict() == {"train": 11314, "test": 7532}
    matrix = load(project_copy, "tfidf_matrix")
    assert sp.issparse(matrix) and matrix.shape == (len(documents), 10000)
    vocabulary = load(project_copy, "tfidf_vocabulary")
    assert len(vocabulary) == 10000
    pairs = load(project_copy, "task_pairs")
    assert pairs["problem"].value_counts().to_dict() == {"related": 3, "unrelated": 3}
    samples = load(project_copy, "task_samples")
    tasks = set(pairs.main_task) | set(pairs.aux_task)
    assert set(samples.task) == tasks
    assert set(samples.seed) == {0, 1}
    train = samples[samples.split == "train"]
    assert (train.groupby(["task", "seed", "label"]).size() == 200).all()

    first = versions(project_copy, "data/03_primary/task_pairs.parquet")
    assert len(first) == 1
    first_pairs_file = (
        project_copy / "data/03_primary/task_pairs.parquet" / first[0] / "task_pairs.parquet"
    )
    first_bytes = first_pairs_file.read_bytes()

    run_pipeline(project_copy, "newsgroups", params=params)
    second = versions(project_copy, "data/03_primary/task_pairs.parquet")
    assert len(second) == 2 and second[0] == first[0]
    assert first_pairs_file.read_bytes() == first_bytes  # the first version is untouched
    old = load(project_copy, "task_pairs", version=first[0])
    pd.testing.assert_frame_equal(old, pairs)
