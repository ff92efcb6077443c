"""Meta-model: scaling inside folds (no leak), signal vs noise, tiny inputs, coefficients."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

import mtl_pipeline.meta.columns as meta_columns
import mtl_pipeline.meta.cv as meta_cv
import mtl_pipeline.meta.estimator as meta_estimator
from mtl_pipeline.meta.columns import feature_columns
from mtl_pipeline.meta.config import FEATURE_SUBSETS
from mtl_pipeline.meta.model import MetaModelConfig, evaluate_meta_model


def _frame(n=160, signal=True, seed=0, problem="related", n_seeds=1):
    rng = np.random.default_rng(seed)
    n_pairs = n // n_seeds
    x = rng.normal(size=(n, 4))
    if signal:
        improved = x[:, 0] + 0.3 * rng.normal(size=n) > 0.2
    else:
        improved = rng.random(n) < 0.45
    return pd.DataFrame(
        {
            "pair_id": [f"p{i % n_pairs}" for i in range(n)],
            "problem": problem,
            "seed": [i // n_pairs for i in range(n)],
            "main_task": "a vs b",
            "ratio_signal": x[:, 0],
            "main_noise": x[:, 1],
            "aux_curve_grad_10": x[:, 2],
            "ratio_curve_fit_a": x[:, 3],
            "main_curve_fit_failed": False,
            "gain": np.where(improved, 0.01, -0.01),
            "improved": improved,
        }
    )


def test_feature_subsets_follow_name_conventions():
    f = _frame(10)
    assert feature_columns(f, "all") == [
        "ratio_signal",
        "main_noise",
        "aux_curve_grad_10",
        "ratio_curve_fit_a",
    ]
    assert feature_columns(f, "no_curve") == ["ratio_signal", "main_noise"]
    assert feature_columns(f, "only_curve") == ["aux_curve_grad_10", "ratio_curve_fit_a"]
    assert feature_columns(f, "only_ratio") == ["ratio_signal", "ratio_curve_fit_a"]


class _SpyScaler:
    """Stands in for MinMaxScaler; records which rows (by their id feature) it saw."""

    instances: list[_SpyScaler] = []

    def __init__(self):
        from sklearn.preprocessing import MinMaxScaler

        self._real = MinMaxScaler()
        self.fit_ids: set[int] = set()
        self.transform_ids: list[set[int]] = []
        _SpyScaler.instances.append(self)

    def fit(self, x):
        self.fit_ids = set(np.round(x[:, 0]).astype(int))
        self._real.fit(x)
        return self

    def transform(self, x):
        self.transform_ids.append(set(np.round(x[:, 0]).astype(int)))
        return self._real.transform(x)


def _id_frame(n=60):
    f = _frame(n, signal=True)
    return f.assign(main_id=np.arange(n, dtype=float))[
        ["pair_id", "problem", "seed", "main_id", "ratio_signal", "improved"]
    ]


def test_in_fold_scaling_never_sees_test_rows(monkeypatch):
    _SpyScaler.instances = []
    monkeypatch.setattr(meta_estimator, "MinMaxScaler", _SpyScaler)
    n = 60
    config = MetaModelConfig(repetitions=2, folds=5, subsets=("all",))
    evaluate_meta_model(_id_frame(n), config)
    spies = _SpyScaler.instances
    assert len(spies) == 2 * 5  # one scaler per fold
    scored: set[int] = set()
    for spy in spies:
        assert 0 < len(spy.fit_ids) < n
        held_out = [ids for ids in spy.transform_ids if not ids & spy.fit_ids]
        assert held_out, "a scaler transformed test rows it had been fit on (leak)"
        scored |= set().union(*held_out)
        # the rows it scored are exactly the ones it was not fit on
        assert set().union(*spy.transform_ids) == set(range(n))
    assert scored == set(range(n))


def test_released_code_switch_fits_scaler_on_all_rows(monkeypatch):
    _SpyScaler.instances = []
    monkeypatch.setattr(meta_estimator, "MinMaxScaler", _SpyScaler)
    n = 60
    config = MetaModelConfig(repetitions=2, folds=5, subsets=("all",), scaling="all_data")
    evaluate_meta_model(_id_frame(n), config)
    assert len(_SpyScaler.instances) == 1
    assert _SpyScaler.instances[0].fit_ids == set(range(n))


def test_planted_signal_beats_majority_baseline():
    scores, coefs = evaluate_meta_model(_frame(200), MetaModelConfig(repetitions=3))
    row = scores.set_index("feature_subset").loc["all"]
    assert row["balanced_accuracy_mean"] > 0.8
    assert row["baseline_balanced_accuracy_mean"] == pytest.approx(0.5)
    assert row["f1_mean"] > row["baseline_f1_mean"] + 0.2
    assert row["accuracy_mean"] > row["baseline_accuracy_mean"] + 0.2
    # without the signal column (only curve features) there is nothing to learn
    curve = scores.set_index("feature_subset").loc["only_curve"]
    assert curve["balanced_accuracy_mean"] < 0.65
    c = coefs.loc[coefs["feature_subset"] == "all"].set_index("feature")
    assert c["inverse_rank_mean"].idxmax() == "ratio_signal"
    assert c.loc["ratio_signal", "inverse_rank_mean"] == pytest.approx(1.0)
    assert c.loc["ratio_signal", "coef_mean"] > 0
    assert (c["n_models"] == 15).all()
    assert ((c["inverse_rank_mean"] > 0) & (c["inverse_rank_mean"] <= 1)).all()


def test_pure_noise_stays_near_baseline():
    scores, _ = evaluate_meta_model(
        _frame(200, signal=False, seed=3), MetaModelConfig(repetitions=5)
    )
    row = scores.set_index("feature_subset").loc["all"]
    assert abs(row["balanced_accuracy_mean"] - 0.5) < 0.1
    assert row["accuracy_mean"] < row["baseline_accuracy_mean"] + 0.08


def test_same_seed_same_result_and_seed_matters():
    f = _frame(80, signal=False, seed=1)
    a, _ = evaluate_meta_model(f, MetaModelConfig(repetitions=2, seed=7))
    b, _ = evaluate_meta_model(f, MetaModelConfig(repetitions=2, seed=7))
    pd.testing.assert_frame_equal(a, b)


def test_tiny_inputs_reduce_folds_or_report_nan(caplog):
    # quick config: 4 pairs x 2 seeds per problem
    related = _frame(8, seed=0, problem="related", n_seeds=2)
    related["improved"] = related["pair_id"].isin(["p0", "p1"])  # 2 pairs per class
    unrelated = _frame(8, seed=1, problem="unrelated", n_seeds=2)
    unrelated["improved"] = unrelated["pair_id"] == "p0"  # 1 pair positive: cannot CV
    with caplog.at_level(logging.WARNING, logger="mtl_pipeline.meta.model"):
        scores, coefs = evaluate_meta_model(
            pd.concat([related, unrelated]), MetaModelConfig(repetitions=2)
        )
    s = scores.set_index(["problem", "feature_subset"])
    assert s.loc[("related", "all"), "n_folds"] == 2
    assert "reduced" in s.loc[("related", "all"), "note"]
    assert np.isfinite(s.loc[("related", "all"), "f1_mean"])
    assert s.loc[("unrelated", "all"), "n_folds"] == 0
    assert np.isnan(s.loc[("unrelated", "all"), "f1_mean"])
    assert "too few" in s.loc[("unrelated", "all"), "note"]
    assert "pair x seed" in s.loc[("related", "all"), "pooling"]
    assert any("reduced" in r.message for r in caplog.records)
    assert set(coefs["problem"]) == {"related"}
    # single-class problem and an empty subset: NaN, no crash
    one_class = _frame(8, problem="related").assign(improved=True)
    only = one_class[["pair_id", "problem", "seed", "ratio_signal", "improved"]]
    scores, _ = evaluate_meta_model(only, MetaModelConfig(repetitions=1))
    assert scores["f1_mean"].isna().all()
    assert "no feature columns" in scores.set_index("feature_subset").loc["only_curve", "note"]


def test_grouped_folds_keep_each_pair_on_one_side(monkeypatch):
    seen = []
    real = meta_cv.StratifiedGroupKFold

    class Spy(real):
        def split(self, x, y, groups):
            for tr, te in super().split(x, y, groups):
                seen.append((set(groups[tr]), set(groups[te])))
                yield tr, te

    monkeypatch.setattr(meta_cv, "StratifiedGroupKFold", Spy)
    evaluate_meta_model(_frame(80, n_seeds=2), MetaModelConfig(repetitions=1, subsets=("all",)))
    assert seen and all(not tr & te for tr, te in seen)


def test_missing_values_are_imputed_and_all_nan_columns_dropped(caplog):
    f = _frame(100).assign(main_empty=np.nan)
    f.loc[::7, "ratio_signal"] = np.nan
    with caplog.at_level(logging.WARNING, logger="mtl_pipeline.meta.model"):
        scores, coefs = evaluate_meta_model(f, MetaModelConfig(repetitions=1, subsets=("all",)))
    assert np.isfinite(scores["f1_mean"]).all()
    assert "main_empty" not in set(coefs["feature"])
    assert any("main_empty" in r.message for r in caplog.records)


def test_pair_mean_pooling_gives_one_example_per_pair():
    scores, _ = evaluate_meta_model(
        _frame(80, n_seeds=2), MetaModelConfig(repetitions=1, pooling="pair_mean", subsets=("all",))
    )
    assert scores["n_examples"].tolist() == [40]
    assert "averaged" in scores["pooling"].iloc[0]


def test_bad_config_names_the_parameter():
    with pytest.raises(ValueError, match="scaling"):
        MetaModelConfig(scaling="everywhere")
    with pytest.raises(ValueError, match="subset"):
        MetaModelConfig(subsets=("most",))


def _released_frame(n_pairs=52, seeds=(0, 1), seed=0):
    """Meta-features with the 30 released columns (and a constant one), one row per pair x seed."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in seeds:
        x = rng.normal(size=(n_pairs, len(meta_columns.RELEASED_FEATURES)))
        improved = x[:, 2] + 0.8 * rng.normal(size=n_pairs) > -0.3
        frame = pd.DataFrame(x, columns=list(meta_columns.RELEASED_FEATURES))
        frame.insert(0, "pair_id", [f"p{i}" for i in range(n_pairs)])
        frame.insert(1, "problem", "related")
        frame.insert(2, "seed", s)
        frame["main_label_entropy"] = 1.0  # constant under per-class sampling
        frame["gain"] = np.where(improved, 0.01, -0.01)
        frame["improved"] = improved
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


RELEASED = MetaModelConfig(
    repetitions=7,
    features="released",
    subset_labels="as_released",
    evaluation="per_seed",
    cv="kfold",
    fold_scoring="fold_mean",
    fold_seeds="randint100",
    scaler="standard",
    scaling="all_data",
    solver="liblinear",
    max_iter=100,
    seed=3,
)


def test_released_protocol_equals_the_released_log_reg_per_seed():
    """utils.py: log_reg on StandardScaler'd features, one model per seed, mean over seeds."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.preprocessing import StandardScaler

    frame = _released_frame()
    scores, _ = evaluate_meta_model(frame, RELEASED)
    rng = np.random.RandomState(3)  # the generator seeded with meta_model.seed, seed by seed
    per_seed = {}
    for s, part in frame.groupby("seed"):
        x = StandardScaler().fit_transform(part[list(meta_columns.RELEASED_FEATURES)])
        y = part["improved"].to_numpy().astype(int)
        means = []
        for _ in range(7):
            cv = KFold(n_splits=5, shuffle=True, random_state=rng.randint(100))
            lr = LogisticRegression(solver="liblinear", max_iter=100)
            means.append(cross_val_score(lr, x, y, cv=cv, scoring="accuracy").mean())
        per_seed[s] = np.mean(means)
    row = scores.set_index("feature_subset").loc["all"]
    assert row["accuracy_mean"] == pytest.approx(np.mean(list(per_seed.values())), abs=1e-12)
    assert row["n_units"] == 2 and row["n_examples"] == 104 and row["status"] == "ok"
    assert row["n_features"] == 30  # the constant column is not fed to the model
    majority = np.mean([max(p, 1 - p) for p in frame.groupby("seed")["improved"].mean()])
    assert row["majority_share"] == pytest.approx(majority)


def test_subset_labels_select_the_documented_columns():
    frame = _released_frame(seeds=(0,))
    cols = list(meta_columns.RELEASED_FEATURES)
    curve = [c for c in cols if "curve_" in c]
    assert len(curve) == 18 and cols.index("main_oov_rate") == 29
    released = {s: feature_columns(frame, s, "as_released", "released") for s in FEATURE_SUBSETS}
    # efficiency_prediction.py's np.delete lists, applied to number_to_feature's indices
    keep = lambda deleted: [cols[i] for i in range(30) if i not in deleted]  # noqa: E731
    curve_idx = [18, 3, 10, 11, 19, 2, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23]
    assert released["only_curve"] == keep(curve_idx)
    assert released["no_curve"] == keep([0, 1, 8, 9, 16, 17, 24, 25, 26, 27, 28])
    assert released["only_ratio"] == keep(list(range(16, 24)))
    assert released["all"] == cols
    named = {s: feature_columns(frame, s, "as_named", "released") for s in FEATURE_SUBSETS}
    assert named["only_curve"] == curve
    assert named["no_curve"] == released["only_curve"]
    assert named["only_ratio"] == [c for c in cols if c.startswith("ratio_")]
    scores, _ = evaluate_meta_model(frame, RELEASED)
    s = scores.set_index("feature_subset")
    assert (
        s.loc["only_curve", "feature_set"] == "non_curve"
        and s.loc["only_curve", "n_features"] == 12
    )
    assert s.loc["no_curve", "n_features"] == 19 and s.loc["only_ratio", "n_features"] == 22
    with pytest.raises(ValueError, match="cross_jsd_first_classes"):
        feature_columns(frame.drop(columns="cross_jsd_first_classes"), "all", features="released")


def test_constant_features_are_dropped_with_one_log_line(caplog):
    frame = _frame(80).assign(main_label_entropy=1.0, main_label_kurtosis=-2.0)
    with caplog.at_level(logging.INFO, logger="mtl_pipeline.meta.model"):
        scores, coefs = evaluate_meta_model(frame, MetaModelConfig(repetitions=1))
    lines = [r.message for r in caplog.records if "carry nothing" in r.message]
    assert len(lines) == 1
    assert "main_label_entropy" in lines[0] and "main_label_kurtosis" in lines[0]
    assert not {"main_label_entropy", "main_label_kurtosis"} & set(coefs["feature"])
    assert (scores["dropped_features"] == "main_label_entropy,main_label_kurtosis").all()


def test_degenerate_and_nan_inputs_are_flagged_not_crashed():
    frame = _released_frame(n_pairs=12, seeds=(0,))
    frame.loc[0, "main_curve_fit_a"] = np.nan  # a failed curve fit: imputed, said, still ok
    scores, coefs = evaluate_meta_model(frame, RELEASED)
    row = scores.set_index("feature_subset").loc["all"]
    assert row["status"] == "ok" and np.isfinite(row["accuracy_mean"])
    assert row["n_examples_with_nan"] == 1 and "NaN features" in row["note"]
    tiny = _released_frame(n_pairs=4, seeds=(0,))  # 4 examples cannot make 5 folds
    tiny["improved"] = [True, False, True, False]
    scores, coefs = evaluate_meta_model(tiny, RELEASED)
    assert (scores["status"] == "degenerate").all() and scores["note"].str.contains("reduced").all()
    assert set(coefs["status"]) == {"degenerate"}
    one_class = _released_frame(n_pairs=10, seeds=(0,)).assign(improved=True)
    scores, coefs = evaluate_meta_model(one_class, RELEASED)
    assert (scores["status"] == "degenerate").all() and scores["accuracy_mean"].isna().all()
    assert scores["note"].str.contains("one class").all() and coefs.empty


def test_fold_mean_and_pooled_scoring_and_fold_seeds():
    frame = _frame(53, seed=4)
    pooled, _ = evaluate_meta_model(frame, MetaModelConfig(repetitions=3, cv="kfold"))
    mean, _ = evaluate_meta_model(
        frame, MetaModelConfig(repetitions=3, cv="kfold", fold_scoring="fold_mean")
    )
    # 53 examples in 5 folds (11, 11, 11, 10, 10): the two averages differ slightly
    assert not np.allclose(pooled["accuracy_mean"], mean["accuracy_mean"])
    y = frame["improved"].to_numpy().astype(int)
    folds = meta_cv.make_folds(y, None, MetaModelConfig(repetitions=50, fold_seeds="randint100"))
    states = [rs for rs, _ in folds.repetitions]
    assert all(0 <= rs < 100 for rs in states) and len(set(states)) < 50
