"""One validation layer for user input: typed reads of parameters, and the errors they raise.

Nodes turn their ``params:`` mappings into typed values once, through ``Params``, so every error
names the parameter as the user wrote it (``newsgroups.train.mtl_epochs``, never
``TrainSpec.epochs``) and says what was expected. Every error a user can fix by changing a file or
a parameter is an ``InputError``: its message is the whole story, so the terminal shows it alone
(see ``mtl_pipeline.hooks``) instead of a traceback.

Also here: the check that a task has two classes in every split it is trained or scored on
(a one-class test set gives accuracy 1.0 and F1 0.0, which must never be reported as a finding).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

logger = logging.getLogger(__name__)

DEGENERATE_ACTIONS = ("error", "drop")


class InputError(ValueError):
    """A file or parameter the user gave is wrong or missing; the message says which and why."""


class ParameterError(InputError):
    """A parameter is missing, of the wrong type, or outside its allowed values."""


class DegenerateTaskError(InputError):
    """A task has fewer than two classes in a split it would be trained or scored on."""


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


T = TypeVar("T")


def nearest(value: Any, known: Sequence[str]) -> str:
    """``; the nearest known value is 'x'`` for a misspelt name (difflib), or the known list."""
    match = difflib.get_close_matches(str(value), list(known), n=1, cutoff=0.0)
    return f"; the nearest known value is {match[0]!r}" if match else f"; known: {list(known)}"


def choose(registry: Mapping[str, T], name: str, what: str) -> T:
    """``registry[name]``, or a ValueError naming ``what`` (e.g. ``ModelSpec.encoder``), the
    registered names and the nearest one: the one lookup of every by-name registry."""
    try:
        return registry[name]
    except KeyError:
        raise ValueError(
            f"{what} must be one of {tuple(registry)}, got {name!r}{nearest(name, list(registry))}"
        ) from None


def check_keys(
    raw: Mapping[str, Any] | None,
    allowed: Collection[str],
    where: str,
    moved: Mapping[str, str] | None = None,
) -> None:
    """Unknown keys of a parameter block are an error naming each and its nearest known key;
    a key of ``moved`` (old key → its new parameter) says where it went instead."""
    for key in sorted(set(raw or {}) - set(allowed)):
        if moved and key in moved:
            raise ParameterError(f"parameter {where}.{key} has moved: set it as {moved[key]}")
        raise ParameterError(
            f"unknown key {key!r} in parameter {where}{nearest(key, sorted(allowed))}"
        )


class Params:
    """Typed reads of one parameter block, each error naming ``<where>.<key>``.

    ``Params(params, "tweets.train").integer("epochs", minimum=1)`` returns an int or raises
    ``ParameterError("parameter tweets.train.epochs is 'ten'; expected an integer >= 1")``.
    """

    def __init__(self, raw: Mapping[str, Any] | None, where: str) -> None:
        if raw is not None and not isinstance(raw, Mapping):
            raise ParameterError(
                f"parameter {where} must be a mapping of settings, got {_shown(raw)}"
            )
        self.raw: Mapping[str, Any] = raw or {}
        self.where = where

    def name(self, key: str | int) -> str:
        return f"{self.where}[{key}]" if isinstance(key, int) else f"{self.where}.{key}"

    def _get(self, key: str, default: Any, required: bool) -> Any:
        if key not in self.raw or self.raw[key] is None and required:
            if required:
                raise ParameterError(f"parameter {self.name(key)} is required but not set")
            return default
        return self.raw[key]

    def section(self, key: str, required: bool = True) -> Params:
        return Params(self._get(key, None, required), self.name(key))

    def integer(self, key: str, default: int | None = None, minimum: int | None = None) -> int:
        value = self._get(key, default, default is None)
        expected = "an integer" + (f" >= {minimum}" if minimum is not None else "")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ParameterError(
                f"parameter {self.name(key)} is {_shown(value)}; expected {expected}"
            )
        try:
            number = int(value) if not isinstance(value, float) or value.is_integer() else None
        except ValueError:
            number = None
        if number is None or (minimum is not None and number < minimum):
            raise ParameterError(
                f"parameter {self.name(key)} is {_shown(value)}; expected {expected}"
            )
        return number

    def optional_integer(self, key: str, minimum: int | None = None) -> int | None:
        if self.raw.get(key) is None:
            return None
        return self.integer(key, minimum=minimum)

    def number(
        self,
        key: str,
        default: float | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
        positive: bool = False,
        below_maximum: bool = False,
    ) -> float:
        value = self._get(key, default, default is None)
        parts = []
        if positive:
            parts.append("> 0")
        if minimum is not None:
            parts.append(f">= {minimum}")
        if maximum is not None:
            parts.append(f"{'<' if below_maximum else '<='} {maximum}")
        expected = "a number" + (" " + " and ".join(parts) if parts else "")
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
        except (TypeError, ValueError):
            raise ParameterError(
                f"parameter {self.name(key)} is {_shown(value)}; expected {expected}"
            ) from None
        bad = (
            not np.isfinite(number)
            or (positive and number <= 0)
            or (minimum is not None and number < minimum)
            or (maximum is not None and (number >= maximum if below_maximum else number > maximum))
        )
        if bad:
            raise ParameterError(
                f"parameter {self.name(key)} is {_shown(value)}; expected {expected}"
            )
        return number

    def boolean(self, key: str, default: bool | None = None) -> bool:
        value = self._get(key, default, default is None)
        if not isinstance(value, bool):
            raise ParameterError(
                f"parameter {self.name(key)} is {_shown(value)}; expected true or false"
            )
        return value

    def text(self, key: str, default: str | None = None) -> str:
        value = self._get(key, default, default is None)
        if not isinstance(value, str) or not value:
            raise ParameterError(
                f"parameter {self.name(key)} is {_shown(value)}; expected a non-empty string"
            )
        return value

    def choice(self, key: str, choices: Sequence[str], default: str | None = None) -> str:
        value = self._get(key, default, default is None)
        if value not in choices:
            raise ParameterError(
                f"parameter {self.name(key)} is {_shown(value)}; expected one of {list(choices)}"
            )
        return str(value)

    def items(self, key: str, default: Sequence[Any] | None = None, non_empty: bool = True) -> list:
        value = self._get(key, default, default is None)
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise ParameterError(f"parameter {self.name(key)} is {_shown(value)}; expected a list")
        if non_empty and len(value) == 0:
            raise ParameterError(
                f"parameter {self.name(key)} is an empty list; expected at least one entry"
            )
        return list(value)

    def integers(
        self, key: str, default: Sequence[int] | None = None, minimum: int | None = None
    ) -> tuple[int, ...]:
        values = self.items(key, default)
        listed = Params(dict(enumerate(values)), self.name(key))
        out = []
        for i in range(len(values)):
            try:
                out.append(listed.integer(i, minimum=minimum))  # type: ignore[arg-type]
            except ParameterError:
                raise ParameterError(
                    f"parameter {self.name(key)} is {values}; expected a list of integers"
                    + (f" >= {minimum}" if minimum is not None else "")
                ) from None
        return tuple(out)

    def choices(
        self, key: str, choices: Sequence[str], default: Sequence[str] | None = None
    ) -> tuple[str, ...]:
        values = self.items(key, default)
        bad = [v for v in values if v not in choices]
        if bad:
            raise ParameterError(
                f"parameter {self.name(key)} names {bad}; expected entries of {list(choices)}"
            )
        return tuple(str(v) for v in values)


# --------------------------------------------------------------------------- degenerate tasks


def class_counts(labels: np.ndarray) -> dict[int, int]:
    """Labelled rows per class id (label -1 = no label, not counted)."""
    values, counts = np.unique(np.asarray(labels)[np.asarray(labels) >= 0], return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts, strict=True)}


def degenerate_message(
    task: str, split: str, counts: Mapping[Any, int], class_names: Sequence[str] | None = None
) -> str | None:
    """The problem with a task's split (``split`` e.g. "the test set of seed 0") when it has
    fewer than two classes, else ``None``."""
    if sum(1 for c in counts.values() if c > 0) >= 2:
        return None
    if class_names is not None:
        shown = {name: int(counts.get(i, 0)) for i, name in enumerate(class_names)}
    else:
        shown = dict(counts)
    return (
        f"task {task!r}: {split} has one class or none (class counts {shown}); "
        "a one-class split gives meaningless scores (accuracy 1.0, F1 0.0)"
    )


@dataclass(frozen=True)
class OnDegenerate:
    """What a degenerate task does: stop the run (``action`` 'error') or drop it with a warning
    ('drop'); ``parameter`` is the switch as the user writes it (e.g.
    ``tweets.on_degenerate_task``), or None where there is no switch."""

    action: str = "error"
    parameter: str | None = None

    def __post_init__(self) -> None:
        if self.action not in DEGENERATE_ACTIONS:
            raise ValueError(f"OnDegenerate.action must be one of {DEGENERATE_ACTIONS}")


def check_degenerate(problems: Sequence[str], on_degenerate: OnDegenerate = OnDegenerate()) -> None:
    """Stop on degenerate tasks, or log each one as dropped (see :class:`OnDegenerate`; the
    default stops, with no switch to name)."""
    if not problems:
        return
    parameter = on_degenerate.parameter
    if on_degenerate.action == "error":
        more = f" (and {len(problems) - 1} more such splits)" if len(problems) > 1 else ""
        switch = (
            f", or set the parameter {parameter} to 'drop' to drop such tasks with a warning"
            if parameter
            else ""
        )
        raise DegenerateTaskError(
            f"{problems[0]}{more}. Fix the data or the task definition{switch}."
        )
    for problem in problems:
        logger.warning("Dropped (%s is 'drop'): %s", parameter, problem)


def without_degenerate(
    items: Sequence[T],
    problems: Sequence[tuple[Hashable, str]],
    key: Callable[[T], Hashable],
    on_degenerate: OnDegenerate,
    nothing_left: str,
) -> list[T]:
    """``items`` less those whose ``key`` has a problem (``problems``: (key, message) pairs, in
    the order they are reported), or an error at the first one (see :class:`OnDegenerate`).

    Dropping every item is an error too: ``nothing_left`` says what is then missing.
    """
    check_degenerate([message for _, message in problems], on_degenerate)
    bad = {k for k, _ in problems}
    kept = [item for item in items if key(item) not in bad]
    if not kept:
        raise DegenerateTaskError(nothing_left)
    return kept
