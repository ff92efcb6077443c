"""Topic hierarchy → binary tasks → (main, auxiliary) task pairs (Kerinec et al. 2018, §3).

The hierarchy is data (``conf/base/parameters_newsgroups.yml``): three levels,
``top level → second-level father → leaf newsgroups``, written as a list of fathers. A pair is a main task "A vs B" and an
auxiliary task "C vs D" with

* A and B under different second-level fathers;
* C ≠ A under A's father and D ≠ B under B's father.

Which problems such a pair belongs to is decided by the pair rules of :mod:`.pair_rules`,
chosen by name: by default the paper's "unrelated" (every pair) and "related" (A and B under
the same top level, so related ⊂ unrelated).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mtl_pipeline.params import InputError, ParameterError, nearest
from mtl_pipeline.tasks.pair_rules import resolve_rules

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


class HierarchyError(InputError):
    """The configured hierarchy is not a valid three-level newsgroup tree."""


@dataclass(frozen=True)
class HierarchyNames:
    """How errors name the settings of this module: the arguments' own names here; the spec
    layer passes the parameters' (``newsgroups.hierarchy``, ``predict.pairs``, ...)."""

    hierarchy: str = "hierarchy"
    problems: str = "problems"
    problem_seeds: str = "problem_seeds"
    seeds: str = "seeds"
    pairs_per_problem: str = "per_problem"
    pairs: str = "entries"  # the pairs a user names (named_pairs)


@dataclass(frozen=True)
class Leaf:
    newsgroup: str
    father: str
    top: str

    @property
    def family(self) -> tuple[str, str]:
        """The father's full path: fathers are told apart by (top, father), not by name."""
        return (self.top, self.father)


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
    hierarchy: Sequence[Mapping[str, object]],
    known_newsgroups: Iterable[str] | None = None,
    *,
    names: HierarchyNames = HierarchyNames(),
) -> dict[str, Leaf]:
    """Validate the tree and return its leaves by newsgroup name.

    The tree is a *list* of second-level fathers, each ``{top, father, newsgroups}``. A list, not
    a nested mapping, because Kedro deep-merges mappings across ``conf/base``, ``conf/local``,
    ``--env`` and ``--params``: a user's tree given as a mapping would be merged into the shipped
    one, while a list replaces it whole. A father is identified by its full path (top, father),
    so two fathers of the same name under different tops stay two families.

    Raises:
        HierarchyError: naming the parameter and the offending entry when an entry is malformed,
            a (top, father) path or a leaf appears twice, or a leaf is not a newsgroup of the data.
    """
    parameter = names.hierarchy
    if isinstance(hierarchy, Mapping):
        raise HierarchyError(
            f"{parameter} must be a list of fathers, each {{top: ..., father: ..., newsgroups: "
            f"[...]}}, not a mapping (a mapping would be deep-merged with the shipped tree "
            f"instead of replacing it); see conf/base/parameters_newsgroups.yml"
        )
    if isinstance(hierarchy, str | bytes) or not isinstance(hierarchy, Sequence) or not hierarchy:
        raise HierarchyError(
            f"{parameter} must be a non-empty list of fathers, each {{top: ..., father: ..., "
            f"newsgroups: [...]}}"
        )
    leaves: dict[str, Leaf] = {}
    paths: set[tuple[str, str]] = set()
    for index, entry in enumerate(hierarchy):
        top, father, members = _father_entry(entry, f"{parameter}[{index}]", paths)
        for newsgroup in members:
            if newsgroup in leaves:
                first = leaves[newsgroup]
                raise HierarchyError(
                    f"{parameter}: newsgroup '{newsgroup}' appears twice, under "
                    f"{first.top}/{first.father} and {top}/{father}; each leaf must appear once"
                )
            leaves[newsgroup] = Leaf(str(newsgroup), father, top)
    if known_newsgroups is not None:
        known = set(known_newsgroups)
        unknown = sorted(set(leaves) - known)
        if unknown:
            raise HierarchyError(
                f"{parameter} names newsgroups that are not in the data: {unknown}; "
                f"the data has {sorted(known)}"
            )
    return leaves


def _father_entry(
    entry: object, where: str, paths: set[tuple[str, str]]
) -> tuple[str, str, Sequence[str]]:
    """(top, father, newsgroups) of one entry of the tree, its path added to ``paths`` (those
    of the entries before it); errors name ``where``."""
    if not isinstance(entry, Mapping) or set(entry) != {"top", "father", "newsgroups"}:
        keys = sorted(entry) if isinstance(entry, Mapping) else type(entry).__name__
        raise HierarchyError(
            f"{where} must have exactly the keys top, father, newsgroups; got {keys}"
        )
    top, father, members = str(entry["top"]), str(entry["father"]), entry["newsgroups"]
    if (top, father) in paths:
        raise HierarchyError(f"{where}: father {top}/{father} is listed twice")
    paths.add((top, father))
    if isinstance(members, str) or not isinstance(members, Sequence) or not members:
        raise HierarchyError(f"{where} ({top}/{father}).newsgroups must be a non-empty list")
    return top, father, members


def generate_task_pairs(
    leaves: Mapping[str, Leaf],
    *,
    rules: Sequence[str] | None = None,
    names: HierarchyNames = HierarchyNames(),
) -> pd.DataFrame:
    """The candidate pairs of the hierarchy that the named pair ``rules`` keep (None: the
    paper's ``unrelated`` and ``related``, see :mod:`.pair_rules`), one row per pair and rule,
    sorted by problem and ``pair_id``.

    A pair of two problems (a related pair is unrelated too) appears once per problem with the
    same ``pair_id``: the ids number every candidate pair, whichever rules are applied, so a
    pair keeps its id in a study of one problem alone.

    Raises:
        HierarchyError: naming ``names.hierarchy`` when the tree has no candidate pair, or
            none that the rules keep.
        ParameterError: naming ``names.problems`` for a rule that is not registered.
    """
    parameter, rules_parameter = names.hierarchy, names.problems
    chosen = resolve_rules(rules, rules_parameter)
    candidates = _candidate_quadruples(leaves)
    if not candidates:
        fathers = sorted({f"{leaf.top}/{leaf.father}" for leaf in leaves.values()})
        raise HierarchyError(
            f"{parameter} yields no task pair: a pair needs two fathers with at least two "
            f"newsgroups each (the main task takes one newsgroup of each, the auxiliary task a "
            f"sibling of each); the tree has fathers {fathers}"
        )
    rows = [
        (f"p{index:04d}", rule.name, *quadruple)
        for index, quadruple in enumerate(candidates)
        for rule in chosen
        if rule.holds(*(leaves[newsgroup] for newsgroup in quadruple))
    ]
    if not rows:
        raise HierarchyError(
            f"{parameter} yields no pair of the problem(s) {[r.name for r in chosen]} "
            f"({rules_parameter}) among its {len(candidates)} candidate pairs"
        )
    table = pd.DataFrame(rows, columns=PAIR_COLUMNS[:6])
    table["main_task"] = [
        task_name(a, b) for a, b in zip(table["main_a"], table["main_b"], strict=True)
    ]
    table["aux_task"] = [
        task_name(c, d) for c, d in zip(table["aux_c"], table["aux_d"], strict=True)
    ]
    return table[PAIR_COLUMNS].sort_values(["problem", "pair_id"]).reset_index(drop=True)


def _candidate_quadruples(leaves: Mapping[str, Leaf]) -> list[tuple[str, str, str, str]]:
    """Every (A, B, C, D) with A < B under different fathers, C ≠ A a sibling of A and D ≠ B
    a sibling of B, in the order of their ``pair_id``."""
    families: dict[tuple[str, str], list[str]] = {}
    for leaf in leaves.values():
        families.setdefault(leaf.family, []).append(leaf.newsgroup)
    quadruples = []
    for main_a, main_b in itertools.combinations(sorted(leaves), 2):
        family_a, family_b = leaves[main_a].family, leaves[main_b].family
        if family_a == family_b:
            continue
        for aux_c in sorted(families[family_a]):
            for aux_d in sorted(families[family_b]):
                if aux_c != main_a and aux_d != main_b:
                    quadruples.append((main_a, main_b, aux_c, aux_d))
    return quadruples


def select_problems(
    pairs: pd.DataFrame,
    problems: Sequence[str] | None,
    problem_seeds: Mapping[str, Sequence[int]] | None = None,
    *,
    names: HierarchyNames = HierarchyNames(),
) -> tuple[pd.DataFrame, dict[str, Sequence[int]] | None]:
    """The pairs of ``problems`` alone (None = every problem), and ``problem_seeds`` cut to
    them: a study of the related pairs need not train the unrelated ones. A name that is not a
    problem of the hierarchy (in either parameter) is an error naming the nearest one."""
    known = sorted(set(pairs["problem"]))
    named = {names.problem_seeds: list(problem_seeds or {})}
    if problems is not None:
        if isinstance(problems, str) or not isinstance(problems, Sequence) or not problems:
            raise ParameterError(
                f"parameter {names.problems} is {problems!r}; expected null or a non-empty "
                f"list of problems of {known}"
            )
        named[names.problems] = list(problems)
    for parameter, names in named.items():
        for name in names:
            if name not in known:
                raise ParameterError(
                    f"parameter {parameter} names {name!r}, which is not a problem of the "
                    f"hierarchy's pairs ({known}){nearest(name, known)}"
                )
    if problems is None:
        return pairs, problem_seeds
    kept = pairs.loc[pairs["problem"].isin(problems)].reset_index(drop=True)
    seeds = {p: s for p, s in (problem_seeds or {}).items() if p in problems}
    return kept, seeds or None


def select_pairs(
    pairs: pd.DataFrame,
    per_problem: int | None,
    seed: int,
    *,
    names: HierarchyNames = HierarchyNames(),
) -> pd.DataFrame:
    """Keep ``per_problem`` pairs of each problem (seeded), or all when None (the paper)."""
    if per_problem is None:
        return pairs
    if per_problem < 1:
        raise ParameterError(f"{names.pairs_per_problem} must be ≥ 1 or null, got {per_problem}")
    kept = [
        group.sample(n=min(per_problem, len(group)), random_state=seed)
        for _, group in pairs.groupby("problem", sort=True)
    ]
    return pd.concat(kept).sort_values(["problem", "pair_id"]).reset_index(drop=True)


def assign_seeds(
    pairs: pd.DataFrame,
    seeds: Sequence[int],
    problem_seeds: Mapping[str, Sequence[int]] | None = None,
    *,
    names: HierarchyNames = HierarchyNames(),
) -> pd.DataFrame:
    """Add a ``seeds`` column: the seeds each pair row is trained and judged with.

    ``seeds`` applies to every problem unless ``problem_seeds`` names the problem (the released
    code ran the related problem with 5 seeds and the unrelated one with seed 0 only). A pair
    of both problems is trained once per seed of either; each problem judges its own seeds.
    """
    overrides = dict(problem_seeds or {})
    unknown = sorted(set(overrides) - set(pairs["problem"]))
    if unknown:
        raise ParameterError(
            f"{names.problem_seeds} names {unknown}, which are not problems of task_pairs "
            f"({sorted(set(pairs['problem']))})"
        )
    plan = {}
    for problem in sorted(set(pairs["problem"])):
        parameter = f"{names.problem_seeds}.{problem}" if problem in overrides else names.seeds
        chosen = overrides.get(problem, seeds)
        if isinstance(chosen, str | bytes) or not isinstance(chosen, Sequence) or not chosen:
            raise ParameterError(f"{parameter} must be a non-empty list of seeds, got {chosen!r}")
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in chosen):
            raise ParameterError(f"{parameter} must hold non-negative integers, got {list(chosen)}")
        if len(set(chosen)) != len(chosen):
            raise ParameterError(f"{parameter} lists a seed twice: {list(chosen)}")
        plan[problem] = sorted(int(s) for s in chosen)
    out = pairs.copy()
    out["seeds"] = [plan[problem] for problem in out["problem"]]
    return out


def pair_seeds(pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per pair row × seed (``pairs`` with its ``seeds`` list column exploded)."""
    if "seeds" not in pairs.columns:
        raise ValueError("task_pairs has no 'seeds' column: rebuild it with build_task_pairs")
    long = pairs.explode("seeds").rename(columns={"seeds": "seed"})
    return long.astype({"seed": "int64"}).reset_index(drop=True)


def task_seeds(pairs: pd.DataFrame) -> list[tuple[str, int]]:
    """The distinct (task, seed) combinations the pairs need: main and auxiliary tasks alike
    (auxiliary STL curves feed the meta-features)."""
    long = pair_seeds(pairs)
    combos = {
        (str(task), int(seed))
        for column in ("main_task", "aux_task")
        for task, seed in zip(long[column], long["seed"], strict=True)
    }
    return sorted(combos)


def tasks_of_pairs(pairs: pd.DataFrame) -> list[str]:
    """The distinct task names (main and auxiliary) the pairs use, sorted."""
    return sorted(set(pairs["main_task"]) | set(pairs["aux_task"]))


def named_pairs(
    entries: Sequence[Mapping[str, object]],
    leaves: Mapping[str, Leaf],
    *,
    names: HierarchyNames = HierarchyNames(),
) -> pd.DataFrame:
    """Task pairs a user names (``{main_task: "A vs B", aux_task: "C vs D"}``), as rows of
    :data:`PAIR_COLUMNS`, for pairs that need not have been trained.

    A pair of the hierarchy's rules keeps its ``pair_id`` and problem (``related`` when it is
    one, else ``unrelated``: a related pair is judged by the meta-model of related pairs), with
    C and D matched to A's and B's fathers. Any other pair needs ``problem`` in its entry (the
    meta-model to apply); its auxiliary classes are matched to the main ones in the order given
    and its ``pair_id`` is ``n<index>``. Task names may list their newsgroups in either order.

    Raises:
        HierarchyError: naming ``names.pairs[index]`` for a malformed entry, a newsgroup outside
            the tree, a task with one newsgroup twice, an auxiliary task with the main task's
            two classes, or a pair outside the rules without ``problem``.
    """
    parameter = names.pairs
    if isinstance(entries, str | bytes) or not isinstance(entries, Sequence) or not entries:
        raise HierarchyError(
            f"{parameter} must be a non-empty list of pairs, each "
            '{main_task: "A vs B", aux_task: "C vs D"} (optionally problem: related|unrelated)'
        )
    known = generate_task_pairs(leaves, names=names)
    by_quadruple: dict[tuple[str, str, str, str], pd.DataFrame] = {
        key: group for key, group in known.groupby(["main_a", "main_b", "aux_c", "aux_d"])
    }
    rows = []
    for index, entry in enumerate(entries):
        where = f"{parameter}[{index}]"
        (main_a, main_b), (aux_1, aux_2) = _named_tasks(entry, leaves, where, names.hierarchy)
        matches = [
            by_quadruple.get((main_a, main_b, c, d)) for c, d in ((aux_1, aux_2), (aux_2, aux_1))
        ]
        match = next((m for m in matches if m is not None), None)
        problem = entry.get("problem")
        if match is not None:
            rows.append(_rule_pair(match, problem, where))
            continue
        if problem is None:
            raise HierarchyError(
                f"{where} ({entry['main_task']} / {entry['aux_task']}) is not a pair of the "
                "hierarchy's rules (A and B under different fathers, C a sibling of A, D of B): "
                "add problem: related|unrelated to say which meta-model to apply"
            )
        rows.append(_outside_pair(f"n{index:04d}", str(problem), main_a, main_b, aux_1, aux_2))
    table = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    duplicated = table.duplicated(["pair_id", "problem"])
    if duplicated.any():
        raise HierarchyError(
            f"{parameter} names the same pair twice: rows {list(np.flatnonzero(duplicated))}"
        )
    return table.reset_index(drop=True)


def _outside_pair(pair_id: str, problem: str, *classes: str) -> dict[str, object]:
    """The row of a named pair outside the hierarchy's rules: ``classes`` = (A, B, C, D)."""
    main_a, main_b, aux_c, aux_d = classes
    return {
        "pair_id": pair_id, "problem": problem,
        "main_a": main_a, "main_b": main_b, "aux_c": aux_c, "aux_d": aux_d,
        "main_task": task_name(main_a, main_b), "aux_task": task_name(aux_c, aux_d),
    }  # fmt: skip


def _named_tasks(
    entry: object, leaves: Mapping[str, Leaf], where: str, hierarchy: str
) -> list[tuple[str, ...]]:
    """The (sorted) newsgroups of an entry's main and auxiliary task; errors name ``where``
    (and ``hierarchy``, the tree's parameter)."""
    if not isinstance(entry, Mapping) or not {"main_task", "aux_task"} <= set(entry):
        raise HierarchyError(f"{where} must have keys main_task and aux_task, got {entry!r}")
    extra = sorted(set(entry) - {"main_task", "aux_task", "problem"})
    if extra:
        raise HierarchyError(
            f"{where}: unknown key(s) {extra}; known: main_task, aux_task, problem"
        )
    parts = []
    for key in ("main_task", "aux_task"):
        first, _, second = str(entry[key]).partition(" vs ")
        first, second = first.strip(), second.strip()
        if not second or first == second:
            raise HierarchyError(
                f"{where}.{key} must name two different newsgroups as 'X vs Y', got {entry[key]!r}"
            )
        outside = [g for g in (first, second) if g not in leaves]
        if outside:
            raise HierarchyError(
                f"{where}.{key} names newsgroup(s) {outside} that are not in "
                f"{hierarchy} (known: {sorted(leaves)})"
            )
        parts.append(tuple(sorted((first, second))))
    if parts[0] == parts[1]:
        # C vs D the same two classes as A vs B: the auxiliary task IS the main task (with
        # or without its labels swapped), so "does it help?" is not a question of MTL
        raise HierarchyError(
            f"{where}: the auxiliary task {entry['aux_task']!r} has the same two classes as "
            f"the main task {entry['main_task']!r}; name an auxiliary task with at least one "
            "other newsgroup"
        )
    return parts


def _rule_pair(match: pd.DataFrame, problem: object, where: str) -> dict[str, object]:
    """The row of a pair of the hierarchy's rules (``match``: its rows, one per problem), of
    ``problem`` when the entry names one, else related before unrelated."""
    chosen = match.loc[match["problem"] == problem] if problem else match
    if chosen.empty:
        raise HierarchyError(
            f"{where}: the pair is {sorted(match['problem'])} under the hierarchy's "
            f"rules, not {problem!r}"
        )
    row = chosen.sort_values("problem").iloc[0]  # related before unrelated
    return {c: row[c] for c in PAIR_COLUMNS}
