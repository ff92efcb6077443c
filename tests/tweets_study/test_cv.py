"""CV and ablation jobs for the stacked trainer, and a tiny real training run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mtl_pipeline.params import DegenerateTaskError, ParameterError
from mtl_pipeline.specs.tweets import ablation_spec, cv_spec, training_settings, tweet_task
from mtl_pipeline.tweets_study.cv import (
    ablation_jobs,
    cv_jobs,
    pair_folds,
    pairs_from_table,
    run_aux_ablation,
    run_cross_validation,
)
from mtl_pipeline.tweets_study.scores import results_table, significance_table


def _tasks():
    spec = {"rule": "identity", "classes": ["0", "1"], "column": "y"}
    return {n: tweet_task(n, {**spec, "dataset": n}) for n in ("a", "b", "c", "d")}


def _table(seed=0):
    """Two stacked pairs: ab (missing labels both ways) then cd (fully labelled)."""
    rng = np.random.default_rng(seed)
    n1, n2 = 60, 40
    ab_main = rng.integers(0, 2, n1)
    ab_aux = rng.integers(0, 2, n1)
    ab_main[:15] = -1
    ab_aux[15:35] = -1
    return pd.DataFrame(
        {
            "pair": ["ab"] * n1 + ["cd"] * n2,
            "main_task": ["a"] * n1 + ["c"] * n2,
            "aux_task": ["b"] * n1 + ["d"] * n2,
            "main_label": np.r_[ab_main, rng.integers(0, 2, n2)],
            "aux_label": np.r_[ab_aux, rng.integers(0, 2, n2)],
        }
    )


def test_cv_jobs_cover_folds_and_respect_missing_labels():
    table = _table()
    pairs = pairs_from_table(table, _tasks())
    assert [p.name for p in pairs] == ["ab", "cd"]
    assert pairs[1].rows.tolist() == list(range(60, 100))  # global rows of the second pair
    folds = pair_folds(pairs, 3, seed=0)
    jobs = cv_jobs(pairs, folds, "cnn", model_seed=5)
    assert len(jobs) == 2 * 3 * 3  # pairs x folds x (stl main, stl aux, mtl)
    assert len({j.model_id for j in jobs}) == len(jobs)
    by_id = {j.model_id: j for j in jobs}
    mtl = by_id["mtl|ab|cnn|f1"]
    stl_main = by_id["stl|ab|a|cnn|f1"]
    assert mtl.seed == stl_main.seed == 6
    main, aux = mtl.tasks
    assert np.array_equal(main.train_rows, stl_main.tasks[0].train_rows)
    assert (main.train_labels >= 0).all() and (aux.train_labels >= 0).all()
    assert (table["main_label"].to_numpy()[main.train_rows] >= 0).all()
    assert not set(main.train_rows) & set(main.test_rows)
    assert not set(aux.train_rows) & set(main.test_rows)  # no test tweet trains the aux head
    tested = np.concatenate([by_id[f"stl|ab|a|cnn|f{k}"].tasks[0].test_rows for k in range(3)])
    assert sorted(tested) == sorted(np.nonzero(table["main_label"].to_numpy()[:60] >= 0)[0])


def test_ablation_jobs_subsample_aux_training_rows_only():
    pairs = pairs_from_table(_table(), _tasks())
    folds = pair_folds(pairs, 2, seed=0)
    jobs = ablation_jobs(pairs[1:], folds, "cnn", [0.0, 0.5, 1.0], seed=1, both_directions=True)
    assert len(jobs) == 2 * 2 * 3  # directions x folds x shares
    by_id = {j.model_id: j for j in jobs}
    zero, half, full = (by_id[f"abl|cd|c|cnn|s{s:.2f}|f0"] for s in (0.0, 0.5, 1.0))
    assert zero.kind == "stl" and half.kind == "mtl" and full.kind == "mtl"
    n_full = len(full.tasks[1].train_rows)
    assert len(half.tasks[1].train_rows) == round(n_full / 2)
    assert set(half.tasks[1].train_rows) <= set(full.tasks[1].train_rows)
    assert np.array_equal(half.tasks[0].train_rows, full.tasks[0].train_rows)
    assert np.array_equal(half.tasks[1].test_rows, full.tasks[1].test_rows)
    assert by_id["abl|cd|d|cnn|s1.00|f1"].tasks[0].name == "d"


def _params(encoders=("cnn",)):
    return {
        "cv": {"n_folds": 2, "seed": 0, "model_seed": 0},
        "model": {
            "encoders": list(encoders),
            "units": 4,
            "head_hidden": 4,
            "dropout": 0.25,
            "kernel_sizes": [2],
        },
        "train": {"epochs": 1, "batch_size": 16, "learning_rate": 0.01, "schedule": "pooled"},
        "ablation": {
            "encoders": ["cnn"],
            "shares": [0.0, 1.0],
            "seed": 0,
            "both_directions": False,
        },
        "device": "cpu",
    }


def test_tiny_real_cross_validation_and_ablation_run():
    table = _table()
    pairs = pairs_from_table(table, _tasks())
    rng = np.random.default_rng(0)
    features = rng.integers(1, 12, size=(len(table), 6)).astype(np.int64)
    features[:, 4:] = 0  # padding
    embedding = rng.normal(size=(12, 5)).astype(np.float32)
    embedding[0] = 0
    scores, curves = run_cross_validation(features, pairs, embedding, *_specs(("cnn", "bilstm")))
    # 2 pairs x 2 tasks x 2 encoders x 2 folds x (stl, mtl)
    assert len(scores) == 32
    assert scores["accuracy"].between(0, 1).all()
    assert set(curves["encoder"]) == {"cnn", "bilstm"}
    again, _ = run_cross_validation(features, pairs, embedding, *_specs(("cnn", "bilstm")))
    pd.testing.assert_frame_equal(scores, again)  # same seeds -> same result on CPU
    results = results_table(scores)
    assert len(results) == 2 * 2 * 2
    assert len(significance_table(scores)) == 2 * len(results)
    settings, cv = _specs()
    abl = run_aux_ablation(features, pairs, embedding, settings, cv, ablation_spec(_params(), ()))
    assert len(abl) == 2 * 2 * 2  # pairs x shares x folds (main direction only)
    assert set(abl["aux_share"]) == {0.0, 1.0}
    assert (abl.loc[abl["aux_share"] == 0, "n_aux_train"] == 0).all()


def _specs(encoders=("cnn",), on_degenerate_task="error"):
    params = {**_params(encoders), "on_degenerate_task": on_degenerate_task}
    return training_settings(params), cv_spec(params)


def test_unknown_encoder_is_an_error_naming_the_parameter():
    with pytest.raises(
        ParameterError,
        match=r"parameter tweets\.model\.encoders names \['transformer'\]; expected entries of",
    ):
        training_settings(_params(("transformer",)))


def test_one_class_fold_split_stops_the_run_naming_task_split_and_counts():
    table = _table()
    table.loc[table["pair"] == "cd", "aux_label"] = 1  # task d: one class in every fold
    pairs = pairs_from_table(table, _tasks())
    features = np.ones((len(table), 3), dtype=np.int64)
    embedding = np.ones((2, 2), dtype=np.float32)
    with pytest.raises(DegenerateTaskError) as err:
        run_cross_validation(features, pairs, embedding, *_specs())
    assert str(err.value) == (
        "task 'd': the training set of fold 0 (pair cd) has one class or none (class "
        "counts {'0': 0, '1': 20}); a one-class split gives meaningless scores (accuracy 1.0, "
        "F1 0.0) (and 3 more such splits). Fix the data or the task definition, or set the "
        "parameter tweets.on_degenerate_task to 'drop' to drop such tasks with a warning."
    )


def test_drop_switch_leaves_the_degenerate_pair_out_with_a_warning(caplog):
    table = _table()
    table.loc[table["pair"] == "cd", "aux_label"] = 1
    pairs = pairs_from_table(table, _tasks())
    rng = np.random.default_rng(0)
    features = rng.integers(1, 12, size=(len(table), 4)).astype(np.int64)
    embedding = rng.normal(size=(12, 3)).astype(np.float32)
    scores, _ = run_cross_validation(features, pairs, embedding, *_specs(on_degenerate_task="drop"))
    assert set(scores["pair"]) == {"ab"}
    assert "Dropped (tweets.on_degenerate_task is 'drop'): task 'd'" in caplog.text


def test_one_class_auxiliary_share_of_the_ablation_stops_the_run():
    table = _table()
    cd = np.nonzero((table["pair"] == "cd").to_numpy())[0]
    table.loc[cd, "aux_label"] = 1
    table.loc[cd[:4], "aux_label"] = 0  # 4 of 40: a 10 % share of 20 rows may miss them
    pairs = pairs_from_table(table, _tasks())[1:]
    features = np.ones((len(table), 3), dtype=np.int64)
    embedding = np.ones((2, 2), dtype=np.float32)
    settings, cv = _specs()
    params = {**_params(), "ablation": {**_params()["ablation"], "shares": [0.05, 1.0]}}
    with pytest.raises(DegenerateTaskError) as err:
        run_aux_ablation(features, pairs, embedding, settings, cv, ablation_spec(params, ()))
    assert str(err.value).startswith(
        "task 'd': the auxiliary training share 0.05 of fold 0 (pair cd, parameter "
        "tweets.ablation.shares) has one class or none (class counts {'0': 0, '1': 1})"
    )
