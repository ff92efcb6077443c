from pathlib import Path

import pandas as pd
import pytest
import yaml

from mtl_pipeline.tasks.hierarchy import (
    HierarchyError,
    generate_task_pairs,
    parse_hierarchy,
    select_pairs,
    task_classes,
    task_name,
    tasks_of_pairs,
)

CONF = Path(__file__).resolve().parents[2] / "conf" / "base" / "parameters_newsgroups.yml"
NEWSGROUPS_20 = [
    "alt.atheism", "comp.graphics", "comp.os.ms-windows.misc", "comp.sys.ibm.pc.hardware",
    "comp.sys.mac.hardware", "comp.windows.x", "misc.forsale", "rec.autos", "rec.motorcycles",
    "rec.sport.baseball", "rec.sport.hockey", "sci.crypt", "sci.electronics", "sci.med",
    "sci.space", "soc.religion.christian", "talk.politics.guns", "talk.politics.mideast",
    "talk.politics.misc", "talk.religion.misc",
]  # fmt: skip


@pytest.fixture(scope="module")
def paper_pairs() -> pd.DataFrame:
    hierarchy = yaml.safe_load(CONF.read_text())["newsgroups"]["hierarchy"]
    return generate_task_pairs(parse_hierarchy(hierarchy, known_newsgroups=NEWSGROUPS_20))


def test_paper_hierarchy_gives_52_related_and_516_unrelated(paper_pairs):
    counts = paper_pairs["problem"].value_counts()
    assert counts["related"] == 52
    assert counts["unrelated"] == 516


def test_related_pairs_are_a_subset_of_unrelated(paper_pairs):
    key = ["pair_id", "main_a", "main_b", "aux_c", "aux_d"]
    related = paper_pairs.loc[paper_pairs.problem == "related", key]
    unrelated = paper_pairs.loc[paper_pairs.problem == "unrelated", key]
    merged = related.merge(unrelated, how="left", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert unrelated["pair_id"].is_unique


def test_pair_rules_hold_on_every_paper_pair(paper_pairs):
    hierarchy = yaml.safe_load(CONF.read_text())["newsgroups"]["hierarchy"]
    leaves = parse_hierarchy(hierarchy)
    for row in paper_pairs.itertuples():
        a, b, c, d = (leaves[x] for x in (row.main_a, row.main_b, row.aux_c, row.aux_d))
        assert a.father != b.father
        assert c.father == a.father and c.newsgroup != a.newsgroup
        assert d.father == b.father and d.newsgroup != b.newsgroup
        if row.problem == "related":
            assert a.top == b.top
        assert row.main_task == task_name(row.main_a, row.main_b)
    same_top = {
        row.pair_id
        for row in paper_pairs[paper_pairs.problem == "unrelated"].itertuples()
        if leaves[row.main_a].top == leaves[row.main_b].top
    }
    assert same_top == set(paper_pairs.loc[paper_pairs.problem == "related", "pair_id"])


def test_small_hand_made_hierarchy_has_known_count():
    # Two tops; fathers f1={a1,a2}, f2={b1,b2} under T1 and f3={c1,c2,c3} under T2.
    # Unordered main pairs across fathers: f1×f2 = 4, f1×f3 = 6, f2×f3 = 6.
    # Aux choices: 1 sibling in f1/f2, 2 in f3 → 4·1·1 + 6·1·2 + 6·1·2 = 28 unrelated;
    # related (same top): only f1×f2 → 4.
    hierarchy = {
        "T1": {"f1": ["a1", "a2"], "f2": ["b1", "b2"]},
        "T2": {"f3": ["c1", "c2", "c3"]},
    }
    pairs = generate_task_pairs(parse_hierarchy(hierarchy))
    assert (pairs.problem == "unrelated").sum() == 28
    assert (pairs.problem == "related").sum() == 4
    assert set(pairs.loc[pairs.problem == "related", "main_a"]) <= {"a1", "a2", "b1", "b2"}


def test_leaf_named_twice_is_rejected():
    hierarchy = {"T": {"f1": ["a", "b"], "f2": ["c", "a"]}}
    with pytest.raises(HierarchyError, match=r"'a' appears twice.*T\.f1.*T\.f2"):
        parse_hierarchy(hierarchy)


def test_unknown_newsgroup_is_rejected_with_its_name():
    hierarchy = {"T": {"f1": ["a", "b"], "f2": ["c", "not.a.group"]}}
    with pytest.raises(HierarchyError, match=r"not in the data: \['not.a.group'\]"):
        parse_hierarchy(hierarchy, known_newsgroups=["a", "b", "c"])


@pytest.mark.parametrize(
    "hierarchy, message",
    [
        ({}, "non-empty mapping"),
        ({"T": ["a", "b"]}, r"newsgroups.hierarchy.T must be a non-empty mapping"),
        ({"T": {"f": "a"}}, r"newsgroups.hierarchy.T.f must be a non-empty list"),
        ({"T": {"f": []}}, r"newsgroups.hierarchy.T.f must be a non-empty list"),
    ],
)
def test_malformed_hierarchy_is_rejected(hierarchy, message):
    with pytest.raises(HierarchyError, match=message):
        parse_hierarchy(hierarchy)


def test_task_names_are_canonical():
    assert task_name("b", "a") == task_name("a", "b") == "a vs b"
    assert task_classes("a vs b") == ("a", "b")
    with pytest.raises(ValueError):
        task_name("a", "a")


def test_select_pairs_is_seeded_and_per_problem(paper_pairs):
    first = select_pairs(paper_pairs, 3, seed=7)
    again = select_pairs(paper_pairs, 3, seed=7)
    pd.testing.assert_frame_equal(first, again)
    assert first["problem"].value_counts().to_dict() == {"related": 3, "unrelated": 3}
    assert select_pairs(paper_pairs, None, seed=0) is paper_pairs
    assert set(tasks_of_pairs(first)) == set(first.main_task) | set(first.aux_task)
