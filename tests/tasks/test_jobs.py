import numpy as np
import pandas as pd

from mtl_pipeline.tasks.jobs import mtl_jobs, stl_jobs
from mtl_pipeline.tasks.samples import sample_tasks


def _documents() -> pd.DataFrame:
    rows = []
    for group, n_train, n_test in (("a", 10, 9), ("b", 10, 7), ("c", 10, 2), ("d", 10, 3)):
        rows += [(f"train/{group}/{i}", "train", group) for i in range(n_train)]
        rows += [(f"test/{group}/{i}", "test", group) for i in range(n_test)]
    return pd.DataFrame(rows, columns=["doc_id", "split", "newsgroup"])


PAIRS = pd.DataFrame(
    {
        "pair_id": ["p0", "p0"],
        "problem": ["related", "unrelated"],
        "main_task": ["a vs b", "a vs b"],
        "aux_task": ["c vs d", "c vs d"],
        "seeds": [[0, 1, 2], [0]],
    }
)


def test_jobs_follow_each_problems_seeds_and_a_shared_pair_is_trained_once():
    samples = sample_tasks(
        _documents(), [(t, s) for t in ("a vs b", "c vs d") for s in (0, 1, 2)], 3
    )
    mtl = mtl_jobs(PAIRS, samples)
    assert [job.model_id for job in mtl] == ["mtl|p0|s0", "mtl|p0|s1", "mtl|p0|s2"]
    stl = stl_jobs(PAIRS, samples)
    assert sorted(job.model_id for job in stl) == sorted(
        f"stl|{task}|s{seed}" for task in ("a vs b", "c vs d") for seed in (0, 1, 2)
    )


def test_mtl_test_sets_cut_to_the_shorter_task_keep_both_classes():
    samples = sample_tasks(_documents(), [("a vs b", 0), ("c vs d", 0)], 3)
    pairs = PAIRS.assign(seeds=[[0], [0]])
    (full,) = mtl_jobs(pairs, samples)
    (cut,) = mtl_jobs(pairs, samples, cut_test_to_shorter_task=True)
    assert [len(t.test_rows) for t in full.tasks] == [16, 5]
    assert [len(t.test_rows) for t in cut.tasks] == [5, 5]
    main_full, main_cut = full.tasks[0], cut.tasks[0]
    assert set(main_cut.test_rows) <= set(main_full.test_rows)
    labels = dict(zip(main_full.test_rows, main_full.test_labels, strict=True))
    assert all(
        labels[r] == y for r, y in zip(main_cut.test_rows, main_cut.test_labels, strict=True)
    )
    # a seeded subset, not the head of the sorted rows (which would hold class 1 only)
    assert len(np.unique(main_cut.test_labels)) == 2
    assert cut.tasks[1] is full.tasks[1] or np.array_equal(
        cut.tasks[1].test_rows, full.tasks[1].test_rows
    )
