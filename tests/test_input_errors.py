"""The messages a user sees for bad parameters and degenerate inputs (each asserted in full)."""

from __future__ import annotations

import urllib.error
from pathlib import Path

import pandas as pd
import pytest
import yaml

from mtl_pipeline.data import newsgroups as newsgroups_data
from mtl_pipeline.data.newsgroups import NewsgroupsDataError
from mtl_pipeline.hooks import input_error_excepthook
from mtl_pipeline.params import DegenerateTaskError, InputError, ParameterError, Params
from mtl_pipeline.pipelines.newsgroups import nodes as ng_nodes
from mtl_pipeline.specs import newsgroups as newsgroups_spec
from mtl_pipeline.tasks.hierarchy import HierarchyError
from mtl_pipeline.tasks.samples import degenerate_samples, sample_tasks

ROOT = Path(__file__).resolve().parents[1]
NEWSGROUPS = yaml.safe_load((ROOT / "conf/base/parameters_newsgroups.yml").read_text())[
    "newsgroups"
]


def _documents(newsgroups, test_of=None):
    """Three training and two test documents per newsgroup (test: only ``test_of`` if given)."""
    rows = []
    for g in newsgroups:
        rows += [{"newsgroup": g, "split": "train", "doc_id": f"{g}/{i}"} for i in range(3)]
        if test_of is None or g in test_of:
            rows += [{"newsgroup": g, "split": "test", "doc_id": f"{g}/t{i}"} for i in range(2)]
    return pd.DataFrame(rows)


def _all_newsgroups():
    return [g for father in NEWSGROUPS["hierarchy"] for g in father["newsgroups"]]


# ----------------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    "key, value, message",
    [
        (
            "learning_rate",
            "fast",
            "parameter newsgroups.train.learning_rate is 'fast'; expected a number > 0",
        ),
        (
            "mtl_epochs",
            0,
            "parameter newsgroups.train.mtl_epochs is 0; expected an integer >= 1",
        ),
        (
            "mtl_epochs",
            "ten",
            "parameter newsgroups.train.mtl_epochs is 'ten'; expected an integer >= 1",
        ),
        (
            "schedule",
            "together",
            "parameter newsgroups.train.schedule is 'together'; expected one of "
            "['joint', 'alternating', 'proportional', 'pooled']",
        ),
        (
            "dropout",
            1.5,
            "parameter newsgroups.model.dropout is 1.5; expected a number >= 0.0 and < 1.0",
        ),
    ],
)
def test_training_parameters_are_named_as_the_user_wrote_them(key, value, message):
    blocks = {block: dict(NEWSGROUPS[block]) for block in ("model", "train", "training")}
    blocks["model" if key in newsgroups_spec.MODEL_KEYS else "train"][key] = value
    with pytest.raises(ParameterError) as err:
        newsgroups_spec.training(blocks["model"], blocks["train"], blocks["training"])
    assert str(err.value) == message


def test_empty_seed_list_names_the_parameter():
    params = {**NEWSGROUPS, "seeds": []}
    with pytest.raises(ParameterError) as err:
        ng_nodes.build_task_pairs(_documents(_all_newsgroups()), params)
    assert str(err.value) == (
        "parameter newsgroups.seeds is an empty list; expected at least one entry"
    )


def test_tree_without_pairs_is_an_input_error():
    params = {
        **NEWSGROUPS,
        "hierarchy": [{"top": "sci", "father": "sci", "newsgroups": ["sci.med", "sci.space"]}],
    }
    with pytest.raises(HierarchyError, match="newsgroups.hierarchy yields no task pair") as err:
        ng_nodes.build_task_pairs(_documents(["sci.med", "sci.space"]), params)
    assert isinstance(err.value, InputError)


def test_params_reader_messages():
    p = Params({"n": True, "xs": [1, "b"], "ok": None}, "tweets.cv")
    with pytest.raises(
        ParameterError, match=r"^parameter tweets\.cv\.n is True; expected an integer$"
    ):
        p.integer("n")
    with pytest.raises(
        ParameterError,
        match=r"^parameter tweets\.cv\.xs is \[1, 'b'\]; expected a list of integers$",
    ):
        p.integers("xs")
    with pytest.raises(
        ParameterError, match=r"^parameter tweets\.cv\.seed is required but not set$"
    ):
        p.integer("seed")
    with pytest.raises(ParameterError, match=r"^parameter tweets\.cv must be a mapping"):
        Params([1], "tweets.cv")


# ----------------------------------------------------------------------------- degenerate


def test_newsgroup_without_test_documents_stops_the_run_naming_task_split_counts():
    documents = _documents(["sci.med", "sci.space"], test_of=["sci.space"])
    samples = sample_tasks(documents, [("sci.med vs sci.space", 0)], train_size=2)
    problems = degenerate_samples(samples)
    assert problems == [
        "task 'sci.med vs sci.space': the test set of seed 0 has one class or none (class counts "
        "{'sci.med': 0, 'sci.space': 2}); a one-class split gives meaningless scores "
        "(accuracy 1.0, F1 0.0)"
    ]
    pairs = pd.DataFrame(
        {"main_task": ["sci.med vs sci.space"], "aux_task": ["sci.med vs sci.space"]}
    )
    pairs["seeds"] = [[0]]
    with pytest.raises(DegenerateTaskError) as err:
        ng_nodes.build_task_samples(
            documents, pairs, {"train_per_class": 2, "sampling": "per_class"}
        )
    assert str(err.value) == problems[0] + ". Fix the data or the task definition."


def test_offline_download_names_the_parameter_to_set(monkeypatch, tmp_path):
    def offline(**kwargs):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    import sklearn.datasets

    monkeypatch.setattr(sklearn.datasets, "fetch_20newsgroups", offline)
    with pytest.raises(NewsgroupsDataError) as err:
        newsgroups_data.download_newsgroups(data_home=str(tmp_path), parameter="newsgroups.archive")
    assert str(err.value) == (
        "parameter newsgroups.archive is not set, so 20 Newsgroups was to be downloaded with "
        "scikit-learn, which failed (<urlopen error [Errno -2] Name or service not known>). "
        "Point the parameter at a local copy: kedro run --params "
        "newsgroups.archive=/path/to/20news-bydate.tar.gz (the archive or its extracted "
        "folder), or run where the internet is reachable"
    )


def test_input_errors_print_one_message_and_other_errors_keep_their_traceback(capsys):
    seen = []
    hook = input_error_excepthook(lambda *exc: seen.append(exc[0]))
    hook(ParameterError, ParameterError("parameter x is 1"), None)
    hook(KeyError, KeyError("bug"), None)
    assert capsys.readouterr().err == "\nError: parameter x is 1\n"
    assert seen == [KeyError]
