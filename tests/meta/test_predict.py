"""The fitted meta-model as an object: fit on meta-features, predict for new pairs, refuse
features or settings that do not match, and a clear error when no model was saved."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from kedro.io.core import DatasetError, Version

from mtl_pipeline.datasets import MetaModelDataset
from mtl_pipeline.datasets.meta_model import MetaModelFileError
from mtl_pipeline.meta.model import MetaModelConfig
from mtl_pipeline.meta.predict import (
    MetaModelMismatchError,
    check_settings,
    fit_meta_predictor,
    predict_gains,
)
from mtl_pipeline.meta.stored import _payload_hash
from mtl_pipeline.specs.predict import PREDICT_NAMES  # the names the spec layer passes
from mtl_pipeline.tasks.hierarchy import (
    HierarchyError,
    HierarchyNames,
    named_pairs,
    parse_hierarchy,
)


def _meta_features(n_pairs: int = 40, seeds=(0, 1), seed: int = 0) -> pd.DataFrame:
    """``main_signal`` decides the gain; ``aux_noise`` is noise; a curve column rides along."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_pairs):
        signal = rng.choice([-1.0, 1.0]) * (1.0 + abs(rng.normal()))  # clearly one side of 0
        for s in seeds:
            gain = 0.05 * signal + 0.002 * rng.normal()
            rows.append(
                {
                    "pair_id": f"p{i:04d}",
                    "problem": "related",
                    "seed": s,
                    "main_task": f"a{i} vs b{i}",
                    "aux_task": f"c{i} vs d{i}",
                    "gain": gain,
                    "improved": gain > 0,
                    "main_signal": signal + 0.01 * rng.normal(),
                    "aux_noise": rng.normal(),
                    "main_curve_grad_10": rng.normal(),
                    "main_label_entropy": 1.0,  # constant: dropped
                }
            )
    return pd.DataFrame(rows)


CONFIG = MetaModelConfig(repetitions=2, folds=3)


def test_fitted_model_keeps_its_features_and_predicts_new_pairs_from_them():
    predictor = fit_meta_predictor(_meta_features(), CONFIG, feature_subset="no_curve")
    model = predictor.problems["related"]
    assert model.features == ["main_signal", "aux_noise"]  # curve excluded, constant dropped
    assert model.dropped_features == ["main_label_entropy"]
    new = _meta_features(n_pairs=6, seeds=(0,), seed=1)
    new["pair_id"] = [f"n{i}" for i in range(len(new))]
    predicted = predict_gains(predictor, new, top_features=1)
    assert len(predicted) == 6
    assert predicted["probability_improved"].between(0, 1).all()
    # the informative feature drives every prediction, and in the right direction
    assert predicted["top_features"].str.startswith("main_signal").all()
    truth = new.set_index("pair_id")["improved"].reindex(predicted["pair_id"]).to_numpy()
    assert (predicted["predicted_improved"].to_numpy() == truth).all()
    gains = new.set_index("pair_id")["gain"].reindex(predicted["pair_id"])
    assert np.corrcoef(predicted["predicted_gain"], gains)[0, 1] > 0.9


def test_probabilities_are_averaged_over_seeds_per_pair():
    predictor = fit_meta_predictor(_meta_features(), CONFIG)
    new = _meta_features(n_pairs=3, seeds=(0, 1, 2), seed=2)
    predicted = predict_gains(predictor, new)
    assert list(predicted["n_seeds"]) == [3, 3, 3]
    assert (predicted["probability_improved_std"] >= 0).all()


def test_missing_feature_columns_are_a_clear_mismatch():
    predictor = fit_meta_predictor(_meta_features(), CONFIG, feature_subset="all")
    new = _meta_features(n_pairs=2, seed=3).drop(columns=["main_curve_grad_10"])
    with pytest.raises(MetaModelMismatchError, match=r"main_curve_grad_10.*stl_curves"):
        predict_gains(predictor, new)


def test_a_problem_without_a_fitted_model_is_a_clear_mismatch():
    predictor = fit_meta_predictor(_meta_features(), CONFIG)
    new = _meta_features(n_pairs=2, seed=3).assign(problem="unrelated")
    with pytest.raises(MetaModelMismatchError, match=r"unrelated.*kedro run --pipelines=meta"):
        predict_gains(predictor, new)


def test_other_feature_settings_than_the_fitted_ones_are_refused_with_the_difference():
    settings = {"meta": {"dataset_features": {"n_words": "tokens"}}}
    predictor = fit_meta_predictor(_meta_features(), CONFIG, settings=settings)
    check_settings(predictor, settings)
    with pytest.raises(
        MetaModelMismatchError, match=r"meta.dataset_features.n_words: fitted with 'tokens', now"
    ):
        check_settings(predictor, {"meta": {"dataset_features": {"n_words": "types"}}})


def test_one_class_examples_give_a_constant_prediction_not_a_crash():
    frame = _meta_features()
    frame["improved"] = True
    predictor = fit_meta_predictor(frame, CONFIG)
    predicted = predict_gains(predictor, _meta_features(n_pairs=2, seed=4))
    assert (predicted["probability_improved"] == 1.0).all()


def test_missing_meta_model_names_the_command_that_fits_it(tmp_path):
    dataset = MetaModelDataset(filepath=str(tmp_path / "meta_model.json"), version=None)
    with pytest.raises(DatasetError):  # unversioned: the plain missing-file error
        dataset.load()
    versioned = MetaModelDataset(filepath=str(tmp_path / "m.json"), version=Version(None, None))
    with pytest.raises(DatasetError, match=r"kedro run --pipelines=meta"):
        versioned.load()
    # a former pickled model beside it is named, and not loaded
    (tmp_path / "m.pkl").mkdir()
    with pytest.raises(DatasetError, match=r"m.pkl \(the former format\) is not loaded"):
        versioned.load()


def _saved(tmp_path, predictor):
    dataset = MetaModelDataset(filepath=str(tmp_path / "m.json"), version=Version(None, None))
    dataset.save(predictor)
    return next((tmp_path / "m.json").rglob("m.json"))


@pytest.mark.parametrize("scaler", ["minmax", "standard"])
def test_a_saved_meta_model_is_json_and_predicts_exactly_as_the_fitted_one(tmp_path, scaler):
    frame = _meta_features()
    frame.loc[frame.index[:5], "aux_noise"] = np.nan  # the imputer has something to do
    settings = {"meta": {"dataset_features": {"n_words": "tokens", "sizes": (1, 2)}}}
    predictor = fit_meta_predictor(
        frame, MetaModelConfig(repetitions=2, folds=3, scaler=scaler), settings=settings
    )
    path = _saved(tmp_path, predictor)
    assert json.loads(path.read_text())["format"] == "mtl_pipeline.meta_predictor"
    assert b"pickle" not in path.read_bytes()
    loaded = MetaModelDataset(filepath=str(tmp_path / "m.json"), version=Version(None, None)).load()
    new = _meta_features(n_pairs=7, seeds=(0, 1), seed=5)
    new.loc[new.index[0], "main_signal"] = np.nan
    pd.testing.assert_frame_equal(predict_gains(loaded, new), predict_gains(predictor, new))
    assert loaded.config == predictor.config and loaded.settings == predictor.settings
    check_settings(loaded, settings)


def test_a_one_class_meta_model_round_trips_without_a_classifier(tmp_path):
    frame = _meta_features()
    frame["improved"] = True
    predictor = fit_meta_predictor(frame, CONFIG)
    loaded = MetaModelDataset(
        filepath=str(_saved(tmp_path, predictor).parents[1]), version=Version(None, None)
    ).load()
    assert loaded.problems["related"].classifier is None
    new = _meta_features(n_pairs=2, seed=4)
    pd.testing.assert_frame_equal(predict_gains(loaded, new), predict_gains(predictor, new))


def test_an_altered_or_crafted_meta_model_file_is_refused(tmp_path):
    path = _saved(tmp_path, fit_meta_predictor(_meta_features(), CONFIG))
    dataset = MetaModelDataset(filepath=str(tmp_path / "m.json"), version=Version(None, None))
    document = json.loads(path.read_text())
    document["predictor"]["problems"]["related"]["n_examples"] = 4000
    path.write_text(json.dumps(document))
    with pytest.raises(MetaModelFileError, match=r"does not match its checksum.*--pipelines=meta"):
        dataset.load()
    # a consistent checksum cannot smuggle in a class outside the allow-list
    document["predictor"]["problems"]["related"]["n_examples"] = 80
    document["predictor"]["problems"]["related"]["regressor"]["class"] = "os.system"
    document["sha256"] = _payload_hash(document["predictor"])
    path.write_text(json.dumps(document))
    with pytest.raises(MetaModelFileError, match=r"unknown estimator class 'os.system'"):
        dataset.load()
    path.write_text("{not json")
    with pytest.raises(DatasetError, match=r"is not valid JSON"):
        dataset.load()


def test_an_unreliable_meta_model_answers_with_reliable_false_and_a_warning(caplog):
    predictor = fit_meta_predictor(_meta_features(n_pairs=2), CONFIG)  # 4 examples, no CV score
    new = _meta_features(n_pairs=3, seed=6)
    predicted = predict_gains(predictor, new, min_training_examples=20, names=PREDICT_NAMES)
    assert not predicted["reliable"].any()
    reasons = predicted["unreliable_reasons"].iloc[0]
    assert "fitted on 4 examples, fewer than predict.min_training_examples = 20" in reasons
    assert "no cross-validated score" in reasons
    assert any("is not reliable" in r.getMessage() for r in caplog.records)
    scores = pd.DataFrame(
        [
            {
                "problem": "related",
                "feature_set": "all",
                "balanced_accuracy_mean": 0.8,
                "baseline_balanced_accuracy_mean": 0.5,
                "f1_mean": 0.8,
                "status": "ok",
            }
        ]
    )
    scored = fit_meta_predictor(_meta_features(), CONFIG, meta_scores=scores)
    assert predict_gains(scored, new, min_training_examples=20)["reliable"].all()


def test_a_predicted_gain_outside_the_training_gains_is_flagged(caplog):
    predictor = fit_meta_predictor(_meta_features(), CONFIG)
    low, high = predictor.problems["related"].training_gain_range
    new = _meta_features(n_pairs=2, seed=7)
    new.loc[new["pair_id"] == "p0000", "main_signal"] = 60.0  # far beyond any training pair
    predicted = predict_gains(predictor, new).set_index("pair_id")
    assert predicted.loc["p0000", "predicted_gain"] > high
    assert not predicted.loc["p0000", "gain_in_training_range"]
    assert predicted.loc["p0001", "gain_in_training_range"]
    assert (predicted["training_gain_min"] == low).all()
    assert any(
        "outside the gains the meta-model was fitted on" in r.getMessage() for r in caplog.records
    )


TREE = [
    {
        "top": "comp",
        "father": "sys",
        "newsgroups": ["comp.sys.ibm.pc.hardware", "comp.sys.mac.hardware"],
    },
    {"top": "comp", "father": "others", "newsgroups": ["comp.graphics", "comp.windows.x"]},
    {"top": "rec", "father": "sport", "newsgroups": ["rec.sport.baseball", "rec.sport.hockey"]},
]


#: the names the predict spec passes
PAIR_NAMES = HierarchyNames(hierarchy="newsgroups.hierarchy", pairs="predict.pairs")


def test_named_pairs_take_the_hierarchy_pair_id_and_problem_in_any_name_order():
    leaves = parse_hierarchy(TREE)
    pairs = named_pairs(
        [
            {
                "main_task": "comp.graphics vs comp.sys.mac.hardware",
                "aux_task": "comp.windows.x vs comp.sys.ibm.pc.hardware",
            },
            {
                "main_task": "rec.sport.baseball vs comp.graphics",
                "aux_task": "comp.windows.x vs rec.sport.hockey",
            },
        ],
        leaves,
    )
    assert list(pairs["problem"]) == ["related", "unrelated"]
    first = pairs.iloc[0]
    # C is A's sibling, D is B's sibling, whatever order the user wrote them in
    assert (first["main_a"], first["aux_c"]) == ("comp.graphics", "comp.windows.x")
    assert first["aux_d"] == "comp.sys.ibm.pc.hardware"
    assert first["pair_id"].startswith("p")


def test_named_pairs_outside_the_rules_need_a_problem_and_name_the_entry():
    leaves = parse_hierarchy(TREE)
    odd = {
        "main_task": "comp.graphics vs comp.windows.x",
        "aux_task": "rec.sport.baseball vs rec.sport.hockey",
    }
    with pytest.raises(HierarchyError, match=r"predict.pairs\[0\].*problem: related\|unrelated"):
        named_pairs([odd], leaves, names=PAIR_NAMES)
    pairs = named_pairs([{**odd, "problem": "unrelated"}], leaves, names=PAIR_NAMES)
    assert pairs.loc[0, "pair_id"] == "n0000"
    same = {
        "main_task": "comp.graphics vs comp.windows.x",
        "aux_task": "comp.windows.x vs comp.graphics",
    }
    with pytest.raises(
        HierarchyError, match=r"predict.pairs\[0\]: the auxiliary task .* same two classes"
    ):
        named_pairs([{**same, "problem": "related"}], leaves, names=PAIR_NAMES)
    with pytest.raises(HierarchyError, match=r"predict.pairs\[0\].main_task.*sci.space"):
        named_pairs(
            [{"main_task": "sci.space vs comp.graphics", "aux_task": "a vs b"}],
            leaves,
            names=PAIR_NAMES,
        )


def test_too_few_pairs_for_any_feature_to_vary_is_one_clear_input_error():
    """One meta-example per problem: every feature is constant, nothing can be fitted; the run
    ends with one message naming the parameters to raise (not a ValueError traceback)."""
    from mtl_pipeline.params import InputError

    with pytest.raises(InputError) as caught:
        fit_meta_predictor(_meta_features(n_pairs=1, seeds=(0,)), CONFIG, names=PREDICT_NAMES)
    message = str(caught.value)
    assert message.startswith("no meta-model can be fitted: in every problem (related: 1 meta-")
    assert "newsgroups.pairs_per_problem" in message and "newsgroups.seeds" in message
