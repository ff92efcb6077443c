import pandas as pd
import pytest

from mtl_pipeline.tasks.gains import compute_gains, summarise_gains


def curves_for(stl: dict, mtl: dict, epochs: int = 3) -> pd.DataFrame:
    """Curves whose test_f1 at epoch e is score * e / epochs (so the final epoch gives score)."""
    rows = []
    for (task, seed), score in stl.items():
        rows += [
            {"kind": "stl", "task": task, "seed": seed, "pair_id": None, "epoch": e,
             "test_f1": score * e / epochs, "test_accuracy": 0.5}
            for e in range(1, epochs + 1)
        ]  # fmt: skip
    for (pair, task, seed), score in mtl.items():
        rows += [
            {"kind": "mtl", "task": task, "seed": seed, "pair_id": pair, "epoch": e,
             "test_f1": score * e / epochs, "test_accuracy": 0.5}
            for e in range(1, epochs + 1)
        ]  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture
def pairs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pair_id": ["p0", "p0", "p1"],
            "problem": ["related", "unrelated", "unrelated"],
            "main_task": ["a vs b", "a vs b", "a vs c"],
            "aux_task": ["x vs y", "x vs y", "x vs z"],
            "seeds": [[0, 1], [0, 1], [0, 1]],
        }
    )


@pytest.fixture
def curves() -> pd.DataFrame:
    return curves_for(
        stl={("a vs b", 0): 0.8, ("a vs b", 1): 0.9, ("a vs c", 0): 0.7, ("a vs c", 1): 0.6},
        mtl={("p0", "a vs b", 0): 0.9, ("p0", "a vs b", 1): 0.85,
             ("p1", "a vs c", 0): 0.75, ("p1", "a vs c", 1): 0.65},
    )  # fmt: skip


def test_gains_compare_main_task_scores_at_the_final_epoch(pairs, curves):
    gains = compute_gains(pairs, curves)
    assert len(gains) == 6  # 3 pair rows × 2 seeds
    row = gains[(gains.problem == "related") & (gains.seed == 0)].iloc[0]
    assert row.stl_score == pytest.approx(0.8) and row.mtl_score == pytest.approx(0.9)
    assert row.gain == pytest.approx(0.1) and row.improved
    worse = gains[(gains.pair_id == "p0") & (gains.seed == 1)]
    assert not worse.improved.any()


def test_gains_at_a_chosen_epoch(pairs, curves):
    gains = compute_gains(pairs, curves, stl_epoch=1, mtl_epoch=1)
    row = gains[(gains.pair_id == "p1") & (gains.seed == 0)].iloc[0]
    assert row.stl_score == pytest.approx(0.7 / 3) and row.stl_epoch == 1


def test_summary_matches_hand_computed_table_1(pairs, curves):
    summary = summarise_gains(compute_gains(pairs, curves)).set_index("problem")
    assert summary.loc["related", "stl_mean"] == pytest.approx(0.85)
    assert summary.loc["related", "mtl_mean"] == pytest.approx(0.875)
    assert summary.loc["related", "improved_share"] == pytest.approx(0.5)
    assert summary.loc["unrelated", "improved_share"] == pytest.approx(0.75)
    assert summary.loc["unrelated", "n_pairs"] == 2


def test_missing_models_and_bad_parameters_are_named(pairs, curves):
    with pytest.raises(ValueError, match="cover 4 of 6"):
        compute_gains(pairs, curves[curves.pair_id != "p1"])
    with pytest.raises(ValueError, match="gain_metric 'auc'"):
        compute_gains(pairs, curves, metric="auc")
    with pytest.raises(ValueError, match="stl_eval_epoch=9"):
        compute_gains(pairs, curves, stl_epoch=9)


def test_each_problem_is_judged_on_its_own_seeds(pairs, curves):
    # The released protocol: related on every seed, unrelated on seed 0 only.
    pairs = pairs.assign(seeds=[[0, 1], [0], [0]])
    gains = compute_gains(pairs, curves)
    assert gains.groupby("problem")["seed"].apply(sorted).to_dict() == {
        "related": [0, 1],
        "unrelated": [0, 0],
    }
    summary = summarise_gains(gains).set_index("problem")
    assert summary.loc["unrelated", "n_seeds"] == 1
    assert summary.loc["unrelated", "stl_mean"] == pytest.approx((0.8 + 0.7) / 2)
