"""params.without_degenerate: the one 'stop or drop, and nothing left is an error' step."""

import logging

import pytest

from mtl_pipeline.params import DegenerateTaskError, OnDegenerate, without_degenerate

ITEMS = [("p1", 1), ("p2", 2), ("p3", 3)]


def _key(item):
    return item[0]


def test_no_problem_keeps_every_item():
    assert without_degenerate(ITEMS, [], _key, OnDegenerate("error", "x.switch"), "none") == ITEMS


def test_error_names_the_first_problem_the_count_and_the_switch():
    problems = [("p2", "task 'a': bad"), ("p3", "task 'b': bad")]
    with pytest.raises(
        DegenerateTaskError, match=r"task 'a': bad \(and 1 more such splits\).*x\.s"
    ):
        without_degenerate(ITEMS, problems, _key, OnDegenerate("error", "x.s"), "none")


def test_drop_leaves_out_every_item_of_a_key_with_a_problem(caplog):
    with caplog.at_level(logging.WARNING):
        kept = without_degenerate(
            ITEMS + [("p2", 4)], [("p2", "bad")], _key, OnDegenerate("drop", "x.s"), "-"
        )
    assert kept == [("p1", 1), ("p3", 3)]
    assert "Dropped (x.s is 'drop'): bad" in caplog.text


def test_dropping_everything_is_an_error_saying_what_is_missing():
    problems = [(k, f"{k} bad") for k, _ in ITEMS]
    with pytest.raises(DegenerateTaskError, match="nothing to train"):
        without_degenerate(ITEMS, problems, _key, OnDegenerate("drop", "x.s"), "nothing to train")
