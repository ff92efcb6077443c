"""The ``meta`` and ``predict`` blocks read through the one validation layer: every value is
checked where the user wrote it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from mtl_pipeline.params import ParameterError
from mtl_pipeline.specs import meta as spec
from mtl_pipeline.specs.predict import predict_spec

ROOT = Path(__file__).resolve().parents[2]
META = yaml.safe_load((ROOT / "conf/base/parameters_meta.yml").read_text())["meta"]
PREDICT = yaml.safe_load((ROOT / "conf/base/parameters_predict.yml").read_text())["predict"]


def _with(section: str, **values) -> dict:
    return {**META, section: {**META[section], **values}}


def test_the_shipped_options_are_the_engines_keyword_arguments():
    dataset = spec.dataset_feature_options(META)
    assert dataset["base"] == 2.0 and dataset["tokenizer"] == "document"
    curves = spec.curve_feature_options(META)
    assert curves["gradient_points"] == (0.1, 0.25, 0.5, 0.75)
    assert curves["c_bounds"] == (1.0e-6, 1000.0) and curves["gradient_epochs"] is None
    assert spec.jsd_base("e") == np.e


@pytest.mark.parametrize(
    ("section", "values", "message"),
    [
        (
            "curve_features",
            {"gradient_method": "central"},
            "parameter meta.curve_features.gradient_method is 'central'; expected one of "
            "['interpolated', 'central_difference']",
        ),
        (
            "curve_features",
            {"gradient_points": [0.5, 2]},
            "parameter meta.curve_features.gradient_points[1] is 2; expected a number >= 0.0 "
            "and <= 1.0",
        ),
        (
            "curve_features",
            {"c_bounds": [10, 1]},
            "parameter meta.curve_features.c_bounds is [10, 1]; expected low < high",
        ),
        (
            "dataset_features",
            {"jsd_base": "two"},
            "parameter meta.dataset_features.jsd_base is 'two'; expected a number > 0",
        ),
        (
            "dataset_features",
            {"oov_rate": "words"},
            "parameter meta.dataset_features.oov_rate is 'words'; expected one of "
            "['tokens', 'types']",
        ),
    ],
)
def test_a_bad_value_is_named_as_written(section, values, message):
    read = (
        spec.curve_feature_options if section == "curve_features" else spec.dataset_feature_options
    )
    with pytest.raises(ParameterError) as err:
        read(_with(section, **values))
    assert str(err.value) == message


def test_predict_spec_reads_every_key_and_names_the_unknown_one():
    parsed = predict_spec(PREDICT)
    assert parsed.seeds == tuple(PREDICT["seeds"]) and parsed.top_features >= 1
    with pytest.raises(ParameterError) as err:
        predict_spec({**PREDICT, "top_feature": 3})
    assert str(err.value) == (
        "unknown key 'top_feature' in parameter predict; the nearest known value is 'top_features'"
    )
    missing = {k: v for k, v in PREDICT.items() if k != "seeds"}
    with pytest.raises(ParameterError, match=r"^parameter predict\.seeds is required"):
        predict_spec(missing)


def test_the_warmup_trains_the_studys_mtl_model_with_hard_sharing_as_before_the_split():
    from mtl_pipeline.specs import newsgroups
    from mtl_pipeline.training import TrainSpec

    ng = yaml.safe_load((ROOT / "conf/base/parameters_newsgroups.yml").read_text())["newsgroups"]
    for model in (ng["model"], {**ng["model"], "sharing": "soft", "soft_sharing_lambda": 2.0}):
        training = newsgroups.training(model, ng["train"], ng["training"])
        warmup = spec.warmup_spec(META, training)
        # what warmup_model_and_schedule built before the split: the block with sharing hard
        assert warmup.model == newsgroups.model_spec({**model, "sharing": "hard"})
        assert warmup.schedule == TrainSpec(
            epochs=META["warmup"]["epochs"], batch_size=32, learning_rate=0.001, schedule="joint"
        )
