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

    # Training stage: one curve row per model × epoch, one gain row per pair row × seed.
    curves = load(project_copy, "learning_curves")
    n_mtl = pairs["pair_id"].nunique() * 2  # distinct pairs × 2 seeds (quick)
    n_stl = len(tasks) * 2
    epochs = 8
    assert curves["model_id"].nunique() == n_stl + n_mtl
    assert len(curves) == (n_stl + n_mtl) * epochs
    epochs_seen = curves.groupby("model_id")["epoch"].apply(lambda e: sorted(e.tolist()))
    assert all(seen == list(range(1, epochs + 1)) for seen in epochs_seen)
    assert curves[["train_loss", "test_loss", "test_f1", "test_macro_f1"]].notna().all().all()
    # learning happens: the training loss of every model falls
    first_last = (
        curves.sort_values("epoch").groupby("model_id")["train_loss"].agg(["first", "last"])
    )
    assert (first_last["last"] < first_last["first"]).all()
    gains = load(project_copy, "mtl_gains")
    assert len(gains) == len(pairs) * 2
    assert gains["gain"].equals(gains["mtl_score"] - gains["stl_score"])
    assert gains["stl_score"].between(0.5, 1.0).all()
    summary = load(project_copy, "mtl_gains_summary")
    assert set(summary["problem"]) == {"related", "unrelated"}

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
