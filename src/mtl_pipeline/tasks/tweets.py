"""Tweet classification tasks and task pairs (defined in YAML, ``tweets.tasks``/``tweets.pairs``,
and parsed by :mod:`mtl_pipeline.specs.tweets`).

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

import logging
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mtl_pipeline.data.tweets import ID, TEXT
from mtl_pipeline.params import (
    InputError,
    OnDegenerate,
    class_counts,
    degenerate_message,
    without_degenerate,
)

logger = logging.getLogger(__name__)

MISSING = -1
TASK_RULES = ("identity", "threshold")
TRANSFORMS = ("none", "abs")
THRESHOLD_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


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
    #: the task's parameter as the user wrote it (``tweets.tasks.<name>``), for errors; empty:
    #: the name itself
    where: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.where:
            object.__setattr__(self, "where", self.name)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def labels(self, table: pd.DataFrame) -> np.ndarray:
        """Class ids (int64) of every row of the dataset table, by the task's rule."""
        if self.column not in table.columns:
            raise TaskConfigError(
                f"parameter {self.where}.column: dataset {self.dataset!r} has no "
                f"column {self.column!r} (columns: {list(table.columns)})"
            )
        col = table[self.column]
        if self.rule == "identity":
            values = col.astype(str)
            bad = ~values.isin(self.classes)
            if bad.any():
                raise TaskConfigError(
                    f"task {self.name}: column {self.column!r} holds {sorted(set(values[bad]))}, "
                    f"not among parameter {self.where}.classes {list(self.classes)}"
                )
            lookup = {c: i for i, c in enumerate(self.classes)}
            return values.map(lookup).to_numpy(dtype=np.int64)
        x = pd.to_numeric(col, errors="raise").to_numpy(dtype=float)
        if self.transform == "abs":
            x = np.abs(x)
        threshold = float(np.median(x)) if self.value == "median" else float(self.value)
        return THRESHOLD_OPS[self.op](x, threshold).astype(np.int64)


@dataclass(frozen=True)
class TweetPair:
    """Two tasks trained together; ``main`` first (stratification, ablation's main task)."""

    name: str
    main: str
    aux: str


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


def stacked_pair_examples(
    pairs: Sequence[TweetPair],
    tasks: Mapping[str, TweetTask],
    tables: Mapping[str, pd.DataFrame],
    on_degenerate: OnDegenerate,
    pairs_parameter: str = "pairs",
) -> pd.DataFrame:
    """Every pair's examples (:func:`build_pair_examples`), stacked in pair order.

    A pair one of whose tasks has a single class over its tweets stops the run, or is left out
    with a warning (``on_degenerate``); ``pairs_parameter`` names the pairs' setting for the
    error when none is left.
    """
    parts, problems = [], []
    for pair in pairs:
        part = build_pair_examples(pair, tasks, tables)
        found = [
            degenerate_message(
                task.name,
                f"the labelled data of pair {pair.name} (dataset {task.dataset})",
                class_counts(part[f"{role}_label"].to_numpy()),
                task.class_names,
            )
            for role, task in (("main", tasks[pair.main]), ("aux", tasks[pair.aux]))
        ]
        problems += [(pair.name, f) for f in found if f]
        if any(found):
            continue
        logger.info(
            "pair %s: %d tweets, %d with both labels",
            pair.name,
            len(part),
            int(((part["main_label"] >= 0) & (part["aux_label"] >= 0)).sum()),
        )
        parts.append((pair.name, part))
    kept = without_degenerate(
        parts,
        problems,
        lambda named: named[0],
        on_degenerate,
        f"every pair of {pairs_parameter} was dropped: nothing to train",
    )
    return pd.concat([part for _, part in kept], ignore_index=True)
