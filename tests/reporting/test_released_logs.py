"""The reader of the released code's result logs, and the paper's Table 1 it rebuilds."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mtl_pipeline.params import InputError
from mtl_pipeline.reporting.released_logs import (
    load_released_gains,
    read_efficiency,
    released_gains,
)
from mtl_pipeline.reporting.tables import PAPER_TABLE1
from mtl_pipeline.reporting.uncertainty import (
    NOT_REPRODUCED,
    OVERLAPPING,
    REPRODUCED,
    bootstrap_intervals,
    runs_improved,
    verdict,
)
from mtl_pipeline.tasks.gains import summarise_gains

# Line 81 (epoch index 80) of two released logs each, exp1_0/results200/ at commit dea2c5c
LOGS = {
    "simple/rec.autos_rec.sport.baseball": "Epoch 80, loss 0.134989364147, val_loss 0.258724562866, cacc 0.891428571429, acc 0.96, val_acc 0.89142857211, f1 0.890489913545, p 0.877840909091, r 0.90350877193",
    "multi/rec.autos_rec.sport.baseball_rec.motorcycles_rec.sport.hockeysplit": "Epoch 80, cacc 0.911428571429, f1 0.910662824207, p 0.897727272727, r 0.923976608187 activation_74_acc 0.955 activation_74_loss 0.137789372206 activation_75_acc 0.96 activation_75_loss 0.115943644643 loss 0.253733019233 val_activation_74_acc 0.911428570407 val_activation_74_loss 0.244915863957 val_activation_75_acc 0.924285713264 val_activation_75_loss 0.219588775805 val_loss 0.464504634993 ",
    "simple/rec.motorcycles_rec.sport.hockey": "Epoch 80, loss 0.0865666902065, val_loss 0.211856843233, cacc 0.92, acc 0.97, val_acc 0.920000000681, f1 0.913846153846, p 0.986710963455, r 0.85100286533",
    "multi/rec.motorcycles_rec.sport.hockey_rec.autos_rec.sport.baseballsplit": "Epoch 80, cacc 0.934285714286, f1 0.931952662722, p 0.963302752294, r 0.902578796562 activation_68_acc 0.99 activation_68_loss 0.0808412051201 activation_69_acc 0.97 activation_69_loss 0.123276901245 loss 0.204118104577 val_activation_68_acc 0.934285713264 val_activation_68_loss 0.210929681063 val_activation_69_acc 0.912857143538 val_activation_69_loss 0.269543732575 val_loss 0.480473412616 ",
}  # fmt: skip


def _repo(root: Path, nb_true: int = 2, nb_false: int = 0) -> Path:
    folder = root / "exp1_0" / "results200"
    for name, line in LOGS.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        earlier = [f"Epoch {e}, (an earlier epoch)" for e in range(80)]
        path.write_text("\n".join([*earlier, line, "Epoch 81, (a later epoch)"]) + "\n")
    (folder / "efficiency_epoch80").write_text(
        f"Epoch 80\n\nnb true {nb_true}\nnb false {nb_false}\n\nAll features\nAccuracy 0.6 0.04\n"
    )
    return root


def test_reads_the_accuracy_the_paper_read_and_checks_the_counts(tmp_path):
    table = released_gains(_repo(tmp_path), runs={"exp1_0": "related"})
    row = table.set_index("main_task").loc["rec.motorcycles vs rec.sport.hockey"]
    assert row["aux_task"] == "rec.autos vs rec.sport.baseball"
    assert row["stl_score"] == 0.920000000681  # get_f1S: token 11, val_acc
    # get_f1M: token 21 is the MAIN output's val accuracy (activation_68), not the aux's (0.913)
    assert row["mtl_score"] == 0.934285713264
    assert bool(row["improved"]) and row["seed"] == 0 and row["mtl_epoch"] == 81
    np.testing.assert_allclose(table["stl_score"], table["stl_cacc"], atol=1e-8)
    np.testing.assert_allclose(table["mtl_score"], table["mtl_cacc"], atol=1e-8)
    assert read_efficiency(tmp_path / "exp1_0/results200/efficiency_epoch80") == {
        "epoch": 80,
        "nb_true": 2,
        "nb_false": 0,
    }


def test_counts_that_disagree_with_the_efficiency_file_are_an_error(tmp_path):
    with pytest.raises(InputError, match="2 of 2 pairs improved from the logs, but"):
        released_gains(_repo(tmp_path, nb_true=1, nb_false=1), runs={"exp1_0": "related"})
    with pytest.raises(InputError, match="no MTL logs"):
        released_gains(tmp_path / "elsewhere", runs={"exp1_0": "related"})


def test_shipped_table_is_the_papers_table1_and_its_runs():
    table = load_released_gains()
    summary = summarise_gains(table).set_index("problem")
    for problem, values in PAPER_TABLE1.items():
        for quantity, published in values.items():
            assert summary.at[problem, quantity] == pytest.approx(published, abs=5e-4)
    # nb true per run in exp1_0 … exp1_4 and exp2_0 / efficiency_epoch80
    assert runs_improved(table) == {
        "related": "32, 41, 38, 38, 38 of 52",
        "unrelated": "295 of 516",
    }
    assert table.groupby("problem")["main_task"].nunique().to_dict() == {
        "related": 19,
        "unrelated": 153,
    }


def test_bootstrap_resamples_main_tasks_and_gives_the_papers_interval():
    table = load_released_gains()
    intervals = bootstrap_intervals(table).set_index(["problem", "quantity"])
    low, high = intervals.loc[("related", "improved_share"), ["ci_low", "ci_high"]]
    # issue 18: a bootstrap over the 19 main tasks, ~63.8-78.2 %
    assert 0.62 < low < 0.66 and 0.76 < high < 0.80
    assert intervals.loc[("related", "improved_share"), "n_main_tasks"] == 19
    again = bootstrap_intervals(table).set_index(["problem", "quantity"])
    pd.testing.assert_frame_equal(intervals, again)  # seeded
    # one main task alone: every resample is that task, the interval is its value
    related = table.loc[table["problem"] == "related"]
    one = related.loc[related["main_task"] == related["main_task"].iloc[0]]
    single = bootstrap_intervals(one).set_index("quantity")
    share = one["improved"].mean()
    assert single.at["improved_share", "ci_low"] == single.at["improved_share", "ci_high"] == share


@pytest.mark.parametrize(
    "ours, ours_interval, expected",
    [
        (0.70, (0.62, 0.78), REPRODUCED),  # each contains the other's estimate
        (0.64, (0.60, 0.68), OVERLAPPING),  # overlap, but 0.719 is outside ours
        (0.50, (0.45, 0.55), NOT_REPRODUCED),  # disjoint
        (np.nan, (0.45, 0.55), ""),
    ],
)
def test_verdict_rule(ours, ours_interval, expected):
    assert verdict(ours, ours_interval, 0.719, (0.636, 0.779)) == expected
