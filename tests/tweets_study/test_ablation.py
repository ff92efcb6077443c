"""Aux-share subsampling (seeded, nested) and the ablation summary/figure."""

import numpy as np
import pandas as pd
import pytest

from mtl_pipeline.reporting.figures import aux_ablation_figure
from mtl_pipeline.tweets_study.ablation import ablation_summary, aux_share_subsets


def test_subsets_sizes_nested_and_seeded():
    rows = np.arange(100, 180)
    subsets = aux_share_subsets(rows, [1.0, 0.0, 0.25, 0.5, 0.75], seed=3)
    assert list(subsets) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert [len(s) for s in subsets.values()] == [0, 20, 40, 60, 80]
    assert set(subsets[0.25]) <= set(subsets[0.5]) <= set(subsets[0.75])
    assert np.array_equal(subsets[1.0], rows)
    again = aux_share_subsets(rows, [0.5], seed=3)[0.5]
    other = aux_share_subsets(rows, [0.5], seed=4)[0.5]
    assert np.array_equal(again, subsets[0.5]) and not np.array_equal(other, again)
    with pytest.raises(ValueError, match="tweets.ablation.shares"):
        aux_share_subsets(rows, [1.5], seed=0, parameter="tweets.ablation.shares")


def test_summary_and_figure():
    scores = pd.DataFrame(
        {
            "pair": "p",
            "main_task": "a",
            "aux_task": "b",
            "encoder": "cnn",
            "aux_share": [0.0, 0.0, 1.0, 1.0],
            "fold": [0, 1, 0, 1],
            "accuracy": [0.6, 0.7, 0.8, 0.8],
            "f1": [0.5] * 4,
        }
    )
    summary = ablation_summary(scores)
    assert summary["accuracy"].tolist() == pytest.approx([0.65, 0.8])
    assert summary["n_folds"].tolist() == [2, 2]
    fig = aux_ablation_figure(scores)
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) >= 1
    assert fig.axes[0].get_ylabel() == "main-task test accuracy"
