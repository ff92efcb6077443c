import hashlib
from pathlib import Path

import pandas as pd
import pytest
import yaml

from mtl_pipeline.params import ParameterError
from mtl_pipeline.tasks.hierarchy import (
    HierarchyError,
    HierarchyNames,
    assign_seeds,
    generate_task_pairs,
    pair_seeds,
    parse_hierarchy,
    select_pairs,
    select_problems,
    task_classes,
    task_name,
    task_seeds,
    tasks_of_pairs,
)
from mtl_pipeline.tasks.pair_rules import PAIR_RULES, PAPER_RULES, pair_rule

CONF = Path(__file__).resolve().parents[2] / "conf" / "base" / "parameters_newsgroups.yml"
NEWSGROUPS_20 = [
    "alt.atheism", "comp.graphics", "comp.os.ms-windows.misc", "comp.sys.ibm.pc.hardware",
    "comp.sys.mac.hardware", "comp.windows.x", "misc.forsale", "rec.autos", "rec.motorcycles",
    "rec.sport.baseball", "rec.sport.hockey", "sci.crypt", "sci.electronics", "sci.med",
    "sci.space", "soc.religion.christian", "talk.politics.guns", "talk.politics.mideast",
    "talk.politics.misc", "talk.religion.misc",
]  # fmt: skip


#: the names the newsgroups spec passes
NAMES = HierarchyNames(
    hierarchy="newsgroups.hierarchy",
    problems="newsgroups.problems",
    problem_seeds="newsgroups.problem_seeds",
    seeds="newsgroups.seeds",
    pairs_per_problem="newsgroups.pairs_per_problem",
)


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


def tree(*fathers: tuple[str, str, list[str]]) -> list[dict]:
    return [{"top": t, "father": f, "newsgroups": list(n)} for t, f, n in fathers]


def test_small_hand_made_hierarchy_has_known_count():
    # Two tops; fathers f1={a1,a2}, f2={b1,b2} under T1 and f3={c1,c2,c3} under T2.
    # Unordered main pairs across fathers: f1×f2 = 4, f1×f3 = 6, f2×f3 = 6.
    # Aux choices: 1 sibling in f1/f2, 2 in f3 → 4·1·1 + 6·1·2 + 6·1·2 = 28 unrelated;
    # related (same top): only f1×f2 → 4.
    hierarchy = tree(
        ("T1", "f1", ["a1", "a2"]), ("T1", "f2", ["b1", "b2"]), ("T2", "f3", ["c1", "c2", "c3"])
    )
    pairs = generate_task_pairs(parse_hierarchy(hierarchy))
    assert (pairs.problem == "unrelated").sum() == 28
    assert (pairs.problem == "related").sum() == 4
    assert set(pairs.loc[pairs.problem == "related", "main_a"]) <= {"a1", "a2", "b1", "b2"}


# The 12 related comp pairs of the released code (exp1_0/results200/multi/ file names:
# main A, main B, aux C, aux D), i.e. the paper's Figure 1: comp → sys = {ibm.pc.hardware,
# mac.hardware}, others = {graphics, os.ms-windows.misc, windows.x}.
RELEASED_COMP_RELATED = [
    ("graphics", "sys.ibm.pc.hardware", "os.ms-windows.misc", "sys.mac.hardware"),
    ("graphics", "sys.ibm.pc.hardware", "windows.x", "sys.mac.hardware"),
    ("graphics", "sys.mac.hardware", "os.ms-windows.misc", "sys.ibm.pc.hardware"),
    ("graphics", "sys.mac.hardware", "windows.x", "sys.ibm.pc.hardware"),
    ("os.ms-windows.misc", "sys.ibm.pc.hardware", "graphics", "sys.mac.hardware"),
    ("os.ms-windows.misc", "sys.ibm.pc.hardware", "windows.x", "sys.mac.hardware"),
    ("os.ms-windows.misc", "sys.mac.hardware", "graphics", "sys.ibm.pc.hardware"),
    ("os.ms-windows.misc", "sys.mac.hardware", "windows.x", "sys.ibm.pc.hardware"),
    ("windows.x", "sys.ibm.pc.hardware", "graphics", "sys.mac.hardware"),
    ("windows.x", "sys.ibm.pc.hardware", "os.ms-windows.misc", "sys.mac.hardware"),
    ("windows.x", "sys.mac.hardware", "graphics", "sys.ibm.pc.hardware"),
    ("windows.x", "sys.mac.hardware", "os.ms-windows.misc", "sys.ibm.pc.hardware"),
]

# The 8 of them that the earlier tree (ms-windows.misc among the hardware groups) did not have.
CHANGED_COMP_RELATED = {
    ("comp.graphics vs comp.sys.ibm.pc.hardware", "comp.os.ms-windows.misc vs comp.sys.mac.hardware"),
    ("comp.graphics vs comp.sys.mac.hardware", "comp.os.ms-windows.misc vs comp.sys.ibm.pc.hardware"),
    ("comp.os.ms-windows.misc vs comp.sys.ibm.pc.hardware", "comp.graphics vs comp.sys.mac.hardware"),
    ("comp.os.ms-windows.misc vs comp.sys.ibm.pc.hardware", "comp.sys.mac.hardware vs comp.windows.x"),
    ("comp.os.ms-windows.misc vs comp.sys.mac.hardware", "comp.graphics vs comp.sys.ibm.pc.hardware"),
    ("comp.os.ms-windows.misc vs comp.sys.mac.hardware", "comp.sys.ibm.pc.hardware vs comp.windows.x"),
    ("comp.sys.ibm.pc.hardware vs comp.windows.x", "comp.os.ms-windows.misc vs comp.sys.mac.hardware"),
    ("comp.sys.mac.hardware vs comp.windows.x", "comp.os.ms-windows.misc vs comp.sys.ibm.pc.hardware"),
}  # fmt: skip


def _related_comp(pairs: pd.DataFrame) -> set[tuple[str, str]]:
    rows = pairs[(pairs.problem == "related") & pairs.main_a.str.startswith("comp.")]
    return set(zip(rows.main_task, rows.aux_task, strict=True))


def test_comp_related_pairs_are_the_released_codes(paper_pairs):
    released = {
        (task_name(f"comp.{a}", f"comp.{b}"), task_name(f"comp.{c}", f"comp.{d}"))
        for a, b, c, d in RELEASED_COMP_RELATED
    }
    assert _related_comp(paper_pairs) == released


def test_the_earlier_comp_tree_differs_in_8_related_pairs(paper_pairs):
    earlier = yaml.safe_load(CONF.read_text())["newsgroups"]["hierarchy"]
    earlier = [e for e in earlier if e["top"] != "comp"] + tree(
        ("comp", "hardware", ["comp.os.ms-windows.misc", "comp.sys.ibm.pc.hardware", "comp.sys.mac.hardware"]),
        ("comp", "software", ["comp.graphics", "comp.windows.x"]),
    )  # fmt: skip
    earlier_pairs = generate_task_pairs(parse_hierarchy(earlier))
    assert _related_comp(paper_pairs) - _related_comp(earlier_pairs) == CHANGED_COMP_RELATED
    key = ["main_task", "aux_task"]
    ours = set(map(tuple, paper_pairs.loc[paper_pairs.problem == "unrelated", key].to_numpy()))
    theirs = set(
        map(tuple, earlier_pairs.loc[earlier_pairs.problem == "unrelated", key].to_numpy())
    )
    assert len(ours - theirs) == 120


def test_fathers_are_identified_by_full_path():
    # Two fathers named "x" under different tops are two families: no pair may take its
    # auxiliary newsgroup from the other top's "x".
    hierarchy = tree(
        ("T1", "x", ["a1", "a2"]), ("T1", "y", ["b1", "b2"]),
        ("T2", "x", ["c1", "c2"]), ("T2", "y", ["d1", "d2"]),
    )  # fmt: skip
    leaves = parse_hierarchy(hierarchy)
    pairs = generate_task_pairs(leaves)
    # 4 families of 2: 6 family pairs × 4 main pairs × 1 aux each = 24 unrelated; related: T1 x×y
    # and T2 x×y, 4 each = 8. Merging the two "x" (and "y") families would give other counts.
    assert (pairs.problem == "unrelated").sum() == 24
    assert (pairs.problem == "related").sum() == 8
    for row in pairs.itertuples():
        assert leaves[row.aux_c].family == leaves[row.main_a].family
        assert leaves[row.aux_d].family == leaves[row.main_b].family


def test_a_tree_without_pairs_is_an_error_naming_it():
    with pytest.raises(HierarchyError, match=r"newsgroups.hierarchy yields no task pair.*T/f1"):
        leaves = parse_hierarchy(tree(("T", "f1", ["a", "b"]), ("T", "f2", ["c"])))
        generate_task_pairs(leaves, names=NAMES)


def test_leaf_named_twice_is_rejected():
    hierarchy = tree(("T", "f1", ["a", "b"]), ("T", "f2", ["c", "a"]))
    with pytest.raises(HierarchyError, match=r"'a' appears twice.*T/f1.*T/f2"):
        parse_hierarchy(hierarchy)


def test_unknown_newsgroup_is_rejected_with_its_name():
    hierarchy = tree(("T", "f1", ["a", "b"]), ("T", "f2", ["c", "not.a.group"]))
    with pytest.raises(HierarchyError, match=r"not in the data: \['not.a.group'\]"):
        parse_hierarchy(hierarchy, known_newsgroups=["a", "b", "c"])


@pytest.mark.parametrize(
    "hierarchy, message",
    [
        ([], "non-empty list of fathers"),
        ({"T": {"f": ["a", "b"]}}, r"must be a list of fathers.*not a mapping"),
        ([{"top": "T", "newsgroups": ["a"]}], r"newsgroups.hierarchy\[0\] must have exactly"),
        (
            [{"top": "T", "father": "f", "newsgroups": "a"}],
            r"newsgroups.hierarchy\[0\] \(T/f\).newsgroups must be a non-empty list",
        ),
        (tree(("T", "f", [])), r"\(T/f\).newsgroups must be a non-empty list"),
        (tree(("T", "f", ["a"]), ("T", "f", ["b"])), r"hierarchy\[1\]: father T/f is listed twice"),
    ],
)
def test_malformed_hierarchy_is_rejected(hierarchy, message):
    with pytest.raises(HierarchyError, match=message):
        parse_hierarchy(hierarchy, names=NAMES)


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


def test_seeds_per_problem(paper_pairs):
    pairs = assign_seeds(select_pairs(paper_pairs, 2, seed=0), [0, 1, 2], {"unrelated": [0]})
    assert {tuple(s) for s in pairs.loc[pairs.problem == "related", "seeds"]} == {(0, 1, 2)}
    assert {tuple(s) for s in pairs.loc[pairs.problem == "unrelated", "seeds"]} == {(0,)}
    long = pair_seeds(pairs)
    assert len(long) == 2 * 3 + 2 * 1
    combos = task_seeds(pairs)
    assert len(combos) == len(set(combos))
    assert {seed for task, seed in combos if task in set(pairs.main_task)} == {0, 1, 2}


@pytest.mark.parametrize(
    "seeds, problem_seeds, message",
    [
        ([], None, r"newsgroups.seeds must be a non-empty list"),
        ([0, 0], None, r"newsgroups.seeds lists a seed twice"),
        ([0], {"unrelated": []}, r"newsgroups.problem_seeds.unrelated must be a non-empty list"),
        ([0], {"other": [1]}, r"newsgroups.problem_seeds names \['other'\]"),
        (["a"], None, r"newsgroups.seeds must hold non-negative integers"),
    ],
)
def test_bad_seeds_name_the_parameter(paper_pairs, seeds, problem_seeds, message):
    with pytest.raises(ValueError, match=message):
        assign_seeds(paper_pairs, seeds, problem_seeds, names=NAMES)


def test_select_problems_runs_one_problem_alone(paper_pairs):
    related, seeds = select_problems(paper_pairs, ["related"], {"unrelated": [0]})
    assert set(related["problem"]) == {"related"} and len(related) == 52
    assert seeds is None  # the unrelated problem's seeds go with it
    # the same related pairs, sampled the same way, as in the run of both problems
    both = select_pairs(paper_pairs, 3, seed=7)
    alone = select_pairs(related, 3, seed=7)
    pd.testing.assert_frame_equal(alone, both.loc[both.problem == "related"].reset_index(drop=True))
    unrelated, seeds = select_problems(paper_pairs, ["unrelated"], {"unrelated": [0]})
    assert len(unrelated) == 516 and seeds == {"unrelated": [0]}
    everything, seeds = select_problems(paper_pairs, None, {"unrelated": [0]})
    assert everything is paper_pairs and seeds == {"unrelated": [0]}


@pytest.mark.parametrize(
    "problems, problem_seeds, message",
    [
        (["relatd"], None, r"newsgroups.problems names 'relatd'.*nearest known value is 'related'"),
        ("related", None, r"parameter newsgroups.problems is 'related'; expected null or a"),
        ([], None, r"parameter newsgroups.problems is \[\]"),
        (["related"], {"unrelatd": [0]}, r"newsgroups.problem_seeds names 'unrelatd'.*'unrelated'"),
    ],
)
def test_bad_problem_names_name_the_parameter_and_the_nearest_problem(
    paper_pairs, problems, problem_seeds, message
):
    with pytest.raises(ParameterError, match=message):
        select_problems(paper_pairs, problems, problem_seeds, names=NAMES)


# sha256 of generate_task_pairs(paper tree).to_csv() as the inline rule (before the pair-rule
# registry) produced it: every row, column, pair_id and the order unchanged.
PAPER_PAIRS_SHA256 = "68b580be109c563bc1657b21cdfd4c839618c4dde709f99c42854c63afaec47a"


def test_paper_pairs_are_row_for_row_those_of_the_inline_rule(paper_pairs):
    assert paper_pairs["problem"].value_counts().to_dict() == {"unrelated": 516, "related": 52}
    assert hashlib.sha256(paper_pairs.to_csv().encode()).hexdigest() == PAPER_PAIRS_SHA256
    assert list(PAIR_RULES)[:2] == list(PAPER_RULES) == ["unrelated", "related"]


def test_a_problem_alone_keeps_its_pair_ids(paper_pairs):
    leaves = parse_hierarchy(yaml.safe_load(CONF.read_text())["newsgroups"]["hierarchy"])
    related = generate_task_pairs(leaves, rules=["related"])
    expected = paper_pairs.loc[paper_pairs.problem == "related"].reset_index(drop=True)
    pd.testing.assert_frame_equal(related, expected)


@pytest.fixture
def different_top_rule():
    @pair_rule("different_top")
    def different_top(main_a, main_b, aux_c, aux_d) -> bool:
        """The main task's two newsgroups are under different top levels."""
        return main_a.top != main_b.top

    yield PAIR_RULES["different_top"]
    del PAIR_RULES["different_top"]


def test_a_registered_rule_is_a_problem_of_its_own(paper_pairs, different_top_rule):
    assert different_top_rule.description.startswith("The main task's two newsgroups")
    leaves = parse_hierarchy(yaml.safe_load(CONF.read_text())["newsgroups"]["hierarchy"])
    pairs = generate_task_pairs(leaves, rules=["different_top", "related"])
    assert pairs["problem"].value_counts().to_dict() == {"different_top": 464, "related": 52}
    unrelated = paper_pairs.loc[paper_pairs.problem == "unrelated"].set_index("pair_id")
    for row in pairs.loc[pairs.problem == "different_top"].itertuples():
        assert leaves[row.main_a].top != leaves[row.main_b].top
        assert unrelated.loc[row.pair_id, "main_task"] == row.main_task
    with pytest.raises(ValueError, match="'different_top' is registered already"):
        pair_rule("different_top")(different_top_rule.holds)


@pytest.mark.parametrize(
    "rules, message",
    [
        (["relatd"], r"^parameter newsgroups.problems must be one of .*'relatd'.*'related'$"),
        ("related", r"^parameter newsgroups.problems is 'related'; expected null or a non-empty"),
        ([], r"^parameter newsgroups.problems is \[\]"),
    ],
)
def test_unknown_rules_name_the_parameter_and_the_nearest_rule(rules, message):
    leaves = parse_hierarchy(yaml.safe_load(CONF.read_text())["newsgroups"]["hierarchy"])
    with pytest.raises(ParameterError, match=message):
        generate_task_pairs(leaves, rules=rules, names=NAMES)


def test_rules_keeping_no_pair_are_an_error_naming_them():
    leaves = parse_hierarchy(tree(("T1", "f1", ["a", "b"]), ("T2", "f2", ["c", "d"])))
    with pytest.raises(HierarchyError, match=r"no pair of the problem\(s\) \['related'\]"):
        generate_task_pairs(leaves, rules=["related"])
