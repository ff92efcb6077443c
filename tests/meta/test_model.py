"""Meta-model: scaling inside folds (no leak), signal vs noise, tiny inputs, coefficients."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

import mtl_pipeline.meta.model as meta_model
from mtl_pipeline.meta.model import MetaModelConfig, evaluate_meta_model, feature_columns


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
    monkeypatch.setattr(meta_model, "MinMaxScaler", _SpyScaler)
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
    monkeypatch.setattr(meta_model, "MinMaxScaler", _SpyScaler)
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
    real = meta_model.StratifiedGroupKFold

    class Spy(real):
        def split(self, x, y, groups):
            for tr, te in super().split(x, y, groups):
                seen.append((set(groups[tr]), set(groups[te])))
                yield tr, te

    monkeypatch.setattr(meta_model, "StratifiedGroupKFold", Spy)
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
