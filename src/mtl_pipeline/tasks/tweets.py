"""Tweet classification tasks and task pairs, defined in YAML (``tweets.tasks``/``tweets.pairs``).

A task = a dataset + a label column + a rule that maps the column to class ids + class names.
Rules:

* ``identity``: the column holds class values; ``classes`` lists them in class-id order.
* ``threshold``: class 1 where ``transform(column) op value`` holds, else 0. ``transform`` is
  ``none`` or ``abs``; ``value`` is a number or ``"median"`` (the median over the dataset's
  tweets, e.g. VADER disagreement = rating sd above the median).

A pair = two task names, main task first. The pair's examples are the union of both tasks'
tweets (joined on ``tweet_id``): a tweet that only one task labels carries ``-1`` (no label) for
the other, which the pooled schedule masks out of the loss (Joshi et al.'s missing-label case).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mtl_pipeline.data.tweets import ID, TEXT
from mtl_pipeline.params import InputError, Params

MISSING = -1
_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


class TaskConfigError(InputError):
    """A task or pair definition is incomplete or inconsistent with the data."""


@dataclass(frozen=True)
class TweetTask:
    """A binary (or n-ary) tweet classification task derived from one dataset column."""

    name: str
    dataset: str
    column: str
    rule: str = "identity"
    classes: tuple[str, ...] = ()  # identity: raw values in class-id order
    class_names: tuple[str, ...] = ()
    positive_class: int = 1
    op: str = ">"
    value: float | str = 0.0
    transform: str = "none"

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @classmethod
    def from_dict(cls, name: str, raw: Mapping[str, Any]) -> TweetTask:
        """Build and validate ``tweets.tasks.<name>``; errors name the parameter."""
        where = f"tweets.tasks.{name}"
        if not isinstance(raw, Mapping):
            raise TaskConfigError(
                f"parameter {where} must be a mapping (dataset, column, rule, ...), got {raw!r}"
            )
        for key in ("dataset", "column", "rule"):
            if not raw.get(key):
                raise TaskConfigError(f"parameter {where}.{key} is required")
        rule = str(raw["rule"])
        classes = tuple(str(c) for c in raw.get("classes") or ())
        if rule == "identity":
            names = _identity_class_names(raw, classes, where)
        elif rule == "threshold":
            names = _threshold_class_names(raw, where)
        else:
            raise TaskConfigError(
                f"parameter {where}.rule is {rule!r}; expected 'identity' or 'threshold'"
            )
        if rule == "identity" and len(names) != len(classes):
            raise TaskConfigError(
                f"parameter {where}.class_names has {len(names)} names for {len(classes)} classes"
            )
        positive = Params(raw, where).integer("positive_class", default=1)
        if not 0 <= positive < len(names):
            raise TaskConfigError(
                f"parameter {where}.positive_class {positive} is not a class "
                f"id in [0, {len(names)})"
            )
        return cls(
            name=name,
            dataset=str(raw["dataset"]),
            column=str(raw["column"]),
            rule=rule,
            classes=classes,
            class_names=names,
            positive_class=positive,
            op=str(raw.get("op", ">")),
            value=raw.get("value", 0)
            if raw.get("value") == "median"
            else float(raw.get("value", 0)),
            transform=str(raw.get("transform", "none")),
        )

    def labels(self, table: pd.DataFrame) -> np.ndarray:
        """Class ids (int64) of every row of the dataset table, by the task's rule."""
        if self.column not in table.columns:
            raise TaskConfigError(
                f"parameter tweets.tasks.{self.name}.column: dataset {self.dataset!r} has no "
                f"column {self.column!r} (columns: {list(table.columns)})"
            )
        col = table[self.column]
        if self.rule == "identity":
            values = col.astype(str)
            bad = ~values.isin(self.classes)
            if bad.any():
                raise TaskConfigError(
                    f"task {self.name}: column {self.column!r} holds {sorted(set(values[bad]))}, "
                    f"not among parameter tweets.tasks.{self.name}.classes {list(self.classes)}"
                )
            lookup = {c: i for i, c in enumerate(self.classes)}
            return values.map(lookup).to_numpy(dtype=np.int64)
        x = pd.to_numeric(col, errors="raise").to_numpy(dtype=float)
        if self.transform == "abs":
            x = np.abs(x)
        threshold = float(np.median(x)) if self.value == "median" else float(self.value)
        return _OPS[self.op](x, threshold).astype(np.int64)


@dataclass(frozen=True)
class TweetPair:
    """Two tasks trained together; ``main`` first (stratification, ablation's main task)."""

    name: str
    main: str
    aux: str


def _identity_class_names(
    raw: Mapping[str, Any], classes: tuple[str, ...], where: str
) -> tuple[str, ...]:
    """The class names of an ``identity`` task (default: its raw values)."""
    if len(classes) < 2:
        raise TaskConfigError(
            f"parameter {where}.classes must list >= 2 raw values (rule identity)"
        )
    return tuple(str(c) for c in raw.get("class_names") or classes)


def _threshold_class_names(raw: Mapping[str, Any], where: str) -> tuple[str, ...]:
    """The two class names of a ``threshold`` task, once its op, transform and value are
    checked."""
    names = tuple(str(c) for c in raw.get("class_names") or ("no", "yes"))
    if len(names) != 2:
        raise TaskConfigError(
            f"parameter {where}.class_names: a threshold rule has 2 classes, got {list(names)}"
        )
    if str(raw.get("op", ">")) not in _OPS:
        raise TaskConfigError(
            f"parameter {where}.op is {raw.get('op')!r}; expected one of {list(_OPS)}"
        )
    if str(raw.get("transform", "none")) not in ("none", "abs"):
        raise TaskConfigError(f"parameter {where}.transform must be 'none' or 'abs'")
    value = raw.get("value", 0)
    if not (value == "median" or isinstance(value, int | float)):
        raise TaskConfigError(
            f"parameter {where}.value must be a number or 'median', got {value!r}"
        )
    return names


def load_tasks(params: Mapping[str, Any]) -> dict[str, TweetTask]:
    """All task definitions of ``tweets.tasks``."""
    raw = params.get("tasks") or {}
    return {name: TweetTask.from_dict(name, spec) for name, spec in raw.items()}


def load_pairs(params: Mapping[str, Any], tasks: Mapping[str, TweetTask]) -> dict[str, TweetPair]:
    """Pairs of ``tweets.pairs`` (each two task names), checked against the defined tasks."""
    pairs = {}
    for name, members in (params.get("pairs") or {}).items():
        if not isinstance(members, list | tuple) or len(members) != 2:
            raise TaskConfigError(
                f"parameter tweets.pairs.{name} must name exactly two tasks, got {members!r}"
            )
        for t in members:
            if t not in tasks:
                raise TaskConfigError(
                    f"parameter tweets.pairs.{name}: task {t!r} is not defined "
                    f"under tweets.tasks (defined: {sorted(tasks)})"
                )
        if members[0] == members[1]:
            raise TaskConfigError(f"parameter tweets.pairs.{name}: the two tasks are the same")
        pairs[name] = TweetPair(name, str(members[0]), str(members[1]))
    return pairs


def selected_pairs(
    params: Mapping[str, Any], tasks: Mapping[str, TweetTask] | None = None
) -> list[TweetPair]:
    """The pairs named in ``tweets.run_pairs`` (all pairs when absent or null), in that order.

    ``tasks`` is ``load_tasks(params)``, parsed here when not given.
    """
    pairs = load_pairs(params, load_tasks(params) if tasks is None else tasks)
    names = (
        list(pairs)
        if params.get("run_pairs") is None
        else Params(params, "tweets").items("run_pairs")
    )
    missing = [n for n in names if n not in pairs]
    if missing:
        raise TaskConfigError(
            f"parameter tweets.run_pairs names {missing}, not defined under "
            f"tweets.pairs (defined: {sorted(pairs)})"
        )
    return [pairs[n] for n in names]


def build_pair_examples(
    pair: TweetPair, tasks: Mapping[str, TweetTask], tables: Mapping[str, pd.DataFrame]
) -> pd.DataFrame:
    """The union of both tasks' tweets with one label column per task (-1 = no label).

    Tweets are joined on ``tweet_id``; the text is the main task's dataset's where both have
    the tweet. Row order: the main dataset's tweets in table order, then the aux-only tweets.
    """
    main, aux = tasks[pair.main], tasks[pair.aux]
    for task in (main, aux):
        if task.dataset not in tables:
            raise TaskConfigError(
                f"task {task.name}: dataset {task.dataset!r} was not loaded "
                f"(loaded: {sorted(tables)})"
            )
    parts = []
    for role, task in (("main", main), ("aux", aux)):
        t = tables[task.dataset]
        parts.append(
            pd.DataFrame(
                {
                    ID: t[ID].astype(str).to_numpy(),
                    TEXT: t[TEXT].to_numpy(),
                    f"{role}_label": task.labels(t),
                }
            )
        )
    merged = parts[0].merge(parts[1], on=ID, how="outer", suffixes=("", "_aux"), sort=False)
    order = {tid: i for i, tid in enumerate(pd.concat([parts[0][ID], parts[1][ID]]).unique())}
    merged = merged.iloc[np.argsort(merged[ID].map(order).to_numpy(), kind="stable")]
    text = merged[TEXT].where(merged[TEXT].notna(), merged[f"{TEXT}_aux"])
    out = pd.DataFrame(
        {
            "pair": pair.name,
            ID: merged[ID].to_numpy(),
            TEXT: text.to_numpy(),
            "main_task": main.name,
            "aux_task": aux.name,
            "main_label": merged["main_label"].fillna(MISSING).astype(np.int64).to_numpy(),
            "aux_label": merged["aux_label"].fillna(MISSING).astype(np.int64).to_numpy(),
        }
    )
    return out.reset_index(drop=True)
