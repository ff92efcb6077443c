"""Topic hierarchy → binary tasks → (main, auxiliary) task pairs (Kerinec et al. 2018, §3).

The hierarchy is data (``conf/base/parameters_newsgroups.yml``): three levels,
``top level → second-level father → leaf newsgroups``. A pair is a main task "A vs B" and an
auxiliary task "C vs D" with

* A and B under different second-level fathers;
* C ≠ A under A's father and D ≠ B under B's father;
* "related" pairs additionally have A and B under the same top level, so related ⊂ unrelated.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

PAIR_COLUMNS = [
    "pair_id",
    "problem",
    "main_a",
    "main_b",
    "aux_c",
    "aux_d",
    "main_task",
    "aux_task",
]


class HierarchyError(ValueError):
    """The configured hierarchy is not a valid three-level newsgroup tree."""


@dataclass(frozen=True)
class Leaf:
    newsgroup: str
    father: str
    top: str


def task_name(first: str, second: str) -> str:
    """Canonical name of the binary task between two newsgroups: ``"X vs Y"`` with X < Y.

    Label 1 (the positive class) is X, the alphabetically first newsgroup.
    """
    if first == second:
        raise ValueError(f"A task needs two different newsgroups, got '{first}' twice")
    low, high = sorted((first, second))
    return f"{low} vs {high}"


def task_classes(name: str) -> tuple[str, str]:
    """(positive, negative) newsgroups of a canonical task name."""
    positive, _, negative = name.partition(" vs ")
    if not negative:
        raise ValueError(f"'{name}' is not a task name of the form 'X vs Y'")
    return positive, negative


def parse_hierarchy(
    hierarchy: Mapping[str, Mapping[str, Sequence[str]]],
    known_newsgroups: Iterable[str] | None = None,
    parameter: str = "newsgroups.hierarchy",
) -> dict[str, Leaf]:
    """Validate the nested mapping and return its leaves by newsgroup name.

    Raises:
        HierarchyError: naming the parameter and the offending entry when a level is not a
            mapping/list, a leaf appears twice, or a leaf is not a newsgroup of the data.
    """
    if not isinstance(hierarchy, Mapping) or not hierarchy:
        raise HierarchyError(f"{parameter} must be a non-empty mapping top level → father → leaves")
    leaves: dict[str, Leaf] = {}
    for top, fathers in hierarchy.items():
        if not isinstance(fathers, Mapping) or not fathers:
            raise HierarchyError(
                f"{parameter}.{top} must be a non-empty mapping of second-level fathers to "
                f"lists of newsgroups, got {type(fathers).__name__}"
            )
        for father, members in fathers.items():
            if isinstance(members, str) or not isinstance(members, Sequence) or not members:
                raise HierarchyError(
                    f"{parameter}.{top}.{father} must be a non-empty list of newsgroups"
                )
            for newsgroup in members:
                if newsgroup in leaves:
                    first = leaves[newsgroup]
                    raise HierarchyError(
                        f"{parameter}: newsgroup '{newsgroup}' appears twice, under "
                        f"{first.top}.{first.father} and {top}.{father}; each leaf must appear once"
                    )
                leaves[newsgroup] = Leaf(str(newsgroup), str(father), str(top))
    if known_newsgroups is not None:
        known = set(known_newsgroups)
        unknown = sorted(set(leaves) - known)
        if unknown:
            raise HierarchyError(
                f"{parameter} names newsgroups that are not in the data: {unknown}; "
                f"the data has {sorted(known)}"
            )
    return leaves


def generate_task_pairs(leaves: Mapping[str, Leaf]) -> pd.DataFrame:
    """All (main, auxiliary) pairs of the hierarchy, one row per pair and problem.

    A pair that is "related" appears twice (problem ``related`` and ``unrelated``) with the same
    ``pair_id``: the unrelated problem is every pair, the related one its same-top-level subset.
    """
    families: dict[str, list[str]] = {}
    for leaf in leaves.values():
        families.setdefault(leaf.father, []).append(leaf.newsgroup)
    rows = []
    for main_a, main_b in itertools.combinations(sorted(leaves), 2):
        leaf_a, leaf_b = leaves[main_a], leaves[main_b]
        if leaf_a.father == leaf_b.father:
            continue
        for aux_c in sorted(families[leaf_a.father]):
            if aux_c == main_a:
                continue
            for aux_d in sorted(families[leaf_b.father]):
                if aux_d == main_b:
                    continue
                quadruple = (main_a, main_b, aux_c, aux_d)
                problems = ["unrelated"] + (["related"] if leaf_a.top == leaf_b.top else [])
                for problem in problems:
                    rows.append((problem, *quadruple))
    table = pd.DataFrame(rows, columns=["problem", "main_a", "main_b", "aux_c", "aux_d"])
    quadruples = table[["main_a", "main_b", "aux_c", "aux_d"]].drop_duplicates()
    ids = {
        tuple(quadruple): f"p{index:04d}"
        for index, quadruple in enumerate(quadruples.itertuples(index=False))
    }
    table.insert(
        0, "pair_id", [ids[tuple(row)] for row in table[list(quadruples)].itertuples(index=False)]
    )
    table["main_task"] = [
        task_name(a, b) for a, b in zip(table["main_a"], table["main_b"], strict=True)
    ]
    table["aux_task"] = [
        task_name(c, d) for c, d in zip(table["aux_c"], table["aux_d"], strict=True)
    ]
    return table[PAIR_COLUMNS].sort_values(["problem", "pair_id"]).reset_index(drop=True)


def select_pairs(pairs: pd.DataFrame, per_problem: int | None, seed: int) -> pd.DataFrame:
    """Keep ``per_problem`` pairs of each problem (seeded), or all when None (the paper)."""
    if per_problem is None:
        return pairs
    if per_problem < 1:
        raise ValueError(f"newsgroups.pairs_per_problem must be ≥ 1 or null, got {per_problem}")
    kept = [
        group.sample(n=min(per_problem, len(group)), random_state=seed)
        for _, group in pairs.groupby("problem", sort=True)
    ]
    return pd.concat(kept).sort_values(["problem", "pair_id"]).reset_index(drop=True)


def tasks_of_pairs(pairs: pd.DataFrame) -> list[str]:
    """The distinct task names (main and auxiliary) the pairs use, sorted."""
    return sorted(set(pairs["main_task"]) | set(pairs["aux_task"]))
