"""combine_learning_curves / compute_mtl_gains refuse curves from different runs (fast, no Kedro)."""

import pandas as pd
import pytest

from mtl_pipeline.pipelines.newsgroups.nodes import combine_learning_curves, compute_mtl_gains


def _curves(kind: str, samples: str = "s1", training: str = "t1") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model_id": [f"{kind}|x|s0"],
            "kind": [kind],
            "epoch": [1],
            "fingerprint": ["f"],
            "task_samples_fingerprint": [samples],
            "training_fingerprint": [training],
        }
    )


def test_same_run_combines():
    combined = combine_learning_curves(_curves("stl"), _curves("mtl"))
    assert list(combined["kind"]) == ["stl", "mtl"]


@pytest.mark.parametrize(
    ("stl", "mtl"),
    [({"training": "t_stl_epochs_1"}, {"training": "t_default"}), ({"samples": "s0"}, {})],
)
def test_curves_of_different_runs_fail_with_one_message_naming_both(stl, mtl):
    with pytest.raises(ValueError) as error:
        combine_learning_curves(_curves("stl", **stl), _curves("mtl", **mtl))
    message = str(error.value)
    assert message.startswith(
        "stl_learning_curves and mtl_learning_curves come from different runs"
    )
    s, m = {"samples": "s1", "training": "t1", **stl}, {"samples": "s1", "training": "t1", **mtl}
    assert (
        f"stl_learning_curves has task samples {s['samples']} and training parameters {s['training']}"
        in message
    )
    assert (
        f"mtl_learning_curves has task samples {m['samples']} and training parameters {m['training']}"
        in message
    )
    assert "--from-nodes=train_stl_models,train_mtl_models" in message


def test_curves_without_fingerprints_are_refused():
    old = _curves("stl").drop(columns=["task_samples_fingerprint", "training_fingerprint"])
    with pytest.raises(ValueError, match="stl_learning_curves does not come from one training run"):
        combine_learning_curves(old, _curves("mtl"))


def test_compute_mtl_gains_refuses_mixed_learning_curves():
    mixed = pd.concat([_curves("stl"), _curves("mtl", training="t2")], ignore_index=True)
    with pytest.raises(ValueError, match="learning_curves does not come from one training run"):
        compute_mtl_gains(pd.DataFrame(), mixed, {"metric": "test_f1"})
