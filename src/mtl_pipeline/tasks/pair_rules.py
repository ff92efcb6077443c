"""The pair rules: which problems a candidate (main, auxiliary) pair of the hierarchy belongs
to, each a named predicate chosen by name.

A candidate pair is a main task "A vs B" with A and B under different second-level fathers and
an auxiliary task "C vs D" with C ≠ A under A's father and D ≠ B under B's father
(:func:`mtl_pipeline.tasks.hierarchy.generate_task_pairs` enumerates them). A rule is a
predicate over the four leaves (A, B, C, D); the pair is a pair of the rule's problem when it
holds. Built in, Kerinec et al. 2018 (:data:`PAPER_RULES`, used when no rule is named):

* ``unrelated``: every candidate pair;
* ``related``: A and B under the same top level (so related ⊂ unrelated).

A new rule is one function here, decorated with ``@pair_rule("name")``; its docstring is its
description.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mtl_pipeline.params import ParameterError, choose

if TYPE_CHECKING:
    from mtl_pipeline.tasks.hierarchy import Leaf

#: (main_a, main_b, aux_c, aux_d) → whether the candidate pair belongs to the rule's problem
Predicate = Callable[["Leaf", "Leaf", "Leaf", "Leaf"], bool]


@dataclass(frozen=True)
class PairRule:
    """A problem of the study: its name (the ``problem`` column), what it means, its test."""

    name: str
    description: str
    holds: Predicate


#: The registry: problem name → rule, in registration order.
PAIR_RULES: dict[str, PairRule] = {}


def pair_rule(name: str) -> Callable[[Predicate], Predicate]:
    """Register the decorated predicate as the rule of problem ``name`` (its docstring is the
    rule's description); a name already taken is an error."""

    def register(holds: Predicate) -> Predicate:
        if name in PAIR_RULES:
            raise ValueError(f"pair rule {name!r} is registered already")
        PAIR_RULES[name] = PairRule(name, inspect.getdoc(holds) or "", holds)
        return holds

    return register


@pair_rule("unrelated")
def every_pair(main_a: Leaf, main_b: Leaf, aux_c: Leaf, aux_d: Leaf) -> bool:
    """Every pair of the hierarchy (Kerinec et al. 2018)."""
    return True


@pair_rule("related")
def same_top_level(main_a: Leaf, main_b: Leaf, aux_c: Leaf, aux_d: Leaf) -> bool:
    """The main task's two newsgroups share the top level (Kerinec et al. 2018)."""
    return main_a.top == main_b.top


#: The paper's two problems: the rules applied when none are named.
PAPER_RULES = ("unrelated", "related")


def resolve_rules(names: Sequence[str] | None, parameter: str) -> list[PairRule]:
    """The rules named in ``names`` (None: :data:`PAPER_RULES`), each once, in the order given.

    Raises:
        ParameterError: naming ``parameter`` when ``names`` is not a non-empty list, or names a
            rule that is not registered (with the nearest registered name).
    """
    if names is None:
        names = PAPER_RULES
    if isinstance(names, str) or not isinstance(names, Sequence) or not names:
        raise ParameterError(
            f"parameter {parameter} is {names!r}; expected null or a non-empty list of pair "
            f"rules of {tuple(PAIR_RULES)}"
        )
    try:
        return [choose(PAIR_RULES, str(name), parameter) for name in dict.fromkeys(names)]
    except ValueError as error:
        raise ParameterError(f"parameter {error}") from None
