"""The ``factors`` block parsed against the base study's sample: sizes bounded by
``newsgroups.train_per_class``, unknown keys named with the nearest known key."""

import pytest

from mtl_pipeline.params import ParameterError
from mtl_pipeline.specs.factors import factors_spec
from tests.factors.test_sweeps import BASE, _params  # the sweep tests' small study


def test_defaults_fill_the_effects_and_the_signal_metric():
    spec = factors_spec(_params(), BASE)
    assert spec.per_class == (5, 10, BASE) and spec.minority_shares == (0.5, 0.25)
    assert spec.effects.resamples == 2000 and spec.signal_metric == "balanced_accuracy"
    assert spec.minority_label == 1 and spec.label_metrics == ("balanced_accuracy", "minority_f1")


def test_unknown_keys_name_the_nearest_known_key():
    with pytest.raises(ParameterError, match="unknown key 'seed' in parameter factors; .*'seeds'"):
        factors_spec({**_params(), "seed": 0}, BASE)
    with pytest.raises(
        ParameterError, match=r"unknown key 'resample' in parameter factors\.effects; .*'resamples'"
    ):
        factors_spec(_params(effects={"resample": 300}), BASE)


def test_bad_parameters_name_the_parameter():
    with pytest.raises(
        ParameterError, match="unknown key 'per_clas'.*nearest known value is 'per_class'"
    ):
        factors_spec(_params(data_balance={"per_clas": [5]}), BASE)
    with pytest.raises(ParameterError, match="more than newsgroups.train_per_class=20"):
        factors_spec(_params(data_balance={"per_class": [5, 40]}), BASE)
    with pytest.raises(ParameterError, match="majority class needs 19"):
        factors_spec(
            _params(
                data_balance={"per_class": [5]},
                label_distribution={"total": 20, "minority_shares": [0.05]},
            ),
            18,
        )


def test_the_preflight_check_reads_the_factor_sizes_against_the_base_sample():
    from mtl_pipeline.pipelines.checks import check_parameters

    newsgroups = {"train_per_class": BASE, "sampling": "per_class"}
    ok = {"factors": _params(), "newsgroups": newsgroups}
    assert check_parameters(ok, ["params:factors"]) == ["factors"]
    bad = {"factors": _params(data_balance={"per_class": [40]}), "newsgroups": newsgroups}
    with pytest.raises(ParameterError, match="factors.data_balance.per_class has \\[40\\]"):
        check_parameters(bad, ["params:factors"])
    per_task = {"factors": _params(), "newsgroups": {**newsgroups, "sampling": "per_task"}}
    with pytest.raises(ParameterError, match="need newsgroups.sampling 'per_class'"):
        check_parameters(per_task, ["params:factors"])
