"""Specifications shared by every caller of the stacked trainer.

They are plain frozen dataclasses so that Kedro nodes, tests and benchmarks can build them
without importing torch-heavy modules; validation happens in ``__post_init__`` so that a bad
split fails where it is built, naming the task and the field, not deep inside a training step.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .families import SHARING, TOKENS, Family, get, names, resolve
from .init_schemes import init_scheme
from .output_heads import output_head

#: Every model family by name (``families``); the sequence encoders take token ids.
ENCODERS = names()
SEQUENCE_ENCODERS = names(TOKENS)
ACTIVATIONS = ("relu", "sigmoid", "tanh")
SCHEDULES = ("joint", "alternating", "proportional", "pooled")


def _int_array(name: str, task: str, values: object) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"TaskSplit {task!r}: {name} must be 1-D, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"TaskSplit {task!r}: {name} must hold integers, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


@dataclass(frozen=True, eq=False)
class TaskSplit:
    """One task's data for one model: rows index the feature matrix passed to train_stacked.

    Labels are class ids in ``[0, n_classes)``; ``-1`` marks a row without a label, which the
    masked loss ignores. Equality is identity (arrays are not hashable).
    """

    name: str
    train_rows: np.ndarray
    train_labels: np.ndarray
    test_rows: np.ndarray
    test_labels: np.ndarray
    n_classes: int = 2
    positive_class: int = 1

    def __post_init__(self) -> None:
        for attr in ("train_rows", "train_labels", "test_rows", "test_labels"):
            object.__setattr__(self, attr, _int_array(attr, self.name, getattr(self, attr)))
        if self.n_classes < 2:
            raise ValueError(
                f"TaskSplit {self.name!r}: n_classes must be >= 2, got {self.n_classes}"
            )
        if not 0 <= self.positive_class < self.n_classes:
            raise ValueError(
                f"TaskSplit {self.name!r}: positive_class {self.positive_class} is not in "
                f"[0, {self.n_classes})"
            )
        for split in ("train", "test"):
            rows = getattr(self, f"{split}_rows")
            labels = getattr(self, f"{split}_labels")
            if rows.shape != labels.shape:
                raise ValueError(
                    f"TaskSplit {self.name!r}: {split}_rows has {rows.size} entries but "
                    f"{split}_labels has {labels.size}"
                )
            if rows.size and rows.min() < 0:
                raise ValueError(f"TaskSplit {self.name!r}: {split}_rows contains a negative row")
            if labels.size and (labels.min() < -1 or labels.max() >= self.n_classes):
                bad = labels[(labels < -1) | (labels >= self.n_classes)][0]
                raise ValueError(
                    f"TaskSplit {self.name!r}: {split}_labels contains {bad}; expected -1 or a "
                    f"class id in [0, {self.n_classes})"
                )
        if self.train_rows.size == 0:
            raise ValueError(f"TaskSplit {self.name!r}: train_rows is empty")


@dataclass(frozen=True, eq=False)
class ModelJob:
    """One model to train: STL when it has one task, MTL (tasks[0] = main task) otherwise.

    ``seed`` drives this model's initialisation, data order and dropout and nothing else, so a
    model's result does not depend on which other models share its stacked chunk.
    ``draw_seed``, when set, drives them instead while ``seed`` still names the run the model
    belongs to (its curves' ``seed`` column): models of one seed then draw independently
    (``tasks.jobs.model_draw_seed``).
    """

    model_id: str
    kind: str
    seed: int
    tasks: tuple[TaskSplit, ...]
    meta: Mapping[str, object] = field(default_factory=dict)
    draw_seed: int | None = None

    @property
    def random_seed(self) -> int:
        """The seed of this model's random draws: ``draw_seed``, else ``seed``."""
        return int(self.seed if self.draw_seed is None else self.draw_seed)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tasks", tuple(self.tasks))
        if not self.tasks:
            raise ValueError(f"ModelJob {self.model_id!r}: tasks is empty")
        if self.kind not in ("stl", "mtl"):
            raise ValueError(
                f"ModelJob {self.model_id!r}: kind must be 'stl' or 'mtl', got {self.kind!r}"
            )
        if self.kind == "stl" and len(self.tasks) != 1:
            raise ValueError(
                f"ModelJob {self.model_id!r}: kind 'stl' needs exactly one task, got {len(self.tasks)}"
            )
        if self.kind == "mtl" and len(self.tasks) < 2:
            raise ValueError(f"ModelJob {self.model_id!r}: kind 'mtl' needs >= 2 tasks")
        for name in ("seed", "draw_seed"):
            value = getattr(self, name)
            if value is None and name == "draw_seed":
                continue
            if int(value) != value or value < 0:
                raise ValueError(
                    f"ModelJob {self.model_id!r}: {name} must be a non-negative int, got {value!r}"
                )


@dataclass(frozen=True)
class ModelSpec:
    """Architecture shared by all models of one train_stacked call.

    ``encoder`` names the model family (``families``; the former name ``mlp_soft`` is read as
    ``mlp`` with ``sharing="soft"``); ``sharing`` is ``hard`` (one trunk shared by a model's
    tasks) or ``soft`` (one trunk per task, pulled toward their mean by
    ``soft_sharing_lambda``), where the family builds it. ``options``: settings of the family
    that have no field here (``Family.options``: names and defaults), as a mapping; stored as
    sorted (name, value) pairs so that the spec stays hashable. ``embedding`` is excluded from
    equality/hash (arrays are not hashable).
    """

    encoder: str = "mlp"
    hidden_sizes: tuple[int, ...] = (100, 100)
    activation: str = "relu"
    dropout: float = 0.0
    head_hidden: int = 0
    units: int = 25
    kernel_sizes: tuple[int, ...] = (3,)
    embedding: np.ndarray | None = field(default=None, compare=False, repr=False)
    train_embedding: bool = False
    soft_sharing_lambda: float = 0.0  # soft sharing: λ of λ·Σ_t ||W_t − mean_t W_t||² per layer
    weight_init: str = "torch_default"  # init_schemes.INIT_SCHEMES: how the dense layers start
    output_head: str = "softmax"  # output_heads.OUTPUT_HEADS: each head's output units
    sharing: str = "hard"  # families.SHARING
    options: Any = ()  # a mapping of the family's options (Family.options)

    def __post_init__(self) -> None:
        family, sharing = resolve(self.encoder)
        if sharing is not None:
            warnings.warn(
                f"ModelSpec.encoder={self.encoder!r} is read as encoder={family.name!r}, "
                f"sharing={sharing!r} (its name before sharing was an axis of its own)",
                DeprecationWarning,
                stacklevel=3,
            )
            object.__setattr__(self, "encoder", family.name)
            object.__setattr__(self, "sharing", sharing)
        if self.sharing not in SHARING:
            raise ValueError(f"ModelSpec.sharing must be one of {SHARING}, got {self.sharing!r}")
        if self.sharing not in family.sharing:
            raise ValueError(
                f"ModelSpec.sharing={self.sharing!r}: family {family.name!r} builds "
                f"{list(family.sharing)} only"
            )
        object.__setattr__(self, "options", _options(family, self.options))
        init_scheme(self.weight_init)
        output_head(self.output_head)
        if not self.soft_sharing_lambda >= 0:
            raise ValueError(
                f"ModelSpec.soft_sharing_lambda must be >= 0, got {self.soft_sharing_lambda}"
            )
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"ModelSpec.activation must be one of {ACTIVATIONS}, got {self.activation!r}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"ModelSpec.dropout must be in [0, 1), got {self.dropout}")
        if self.head_hidden < 0:
            raise ValueError(f"ModelSpec.head_hidden must be >= 0, got {self.head_hidden}")
        object.__setattr__(self, "hidden_sizes", tuple(int(h) for h in self.hidden_sizes))
        family.check(self)

    @property
    def family(self) -> Family:
        """The registered family of ``encoder``."""
        return get(self.encoder)

    def option(self, name: str) -> Any:
        """The family option ``name``: as set in ``options``, else the family's default."""
        return dict(self.options).get(name, self.family.options[name])

    def fingerprint_fields(self) -> dict[str, Any]:
        """What the shard store keys this spec's models by (besides the embedding's content):
        the fields and options its family declares (``Family.fingerprint_fields``)."""
        return self.family.fingerprint_fields(self)


def _options(family: Family, options: object) -> tuple[tuple[str, Any], ...]:
    """``options`` (a mapping or (name, value) pairs) as sorted pairs, lists as tuples; every
    name must be an option of ``family``."""
    pairs = dict(options.items() if isinstance(options, Mapping) else options)  # type: ignore[arg-type]
    for name in pairs:
        if name not in family.options:
            known = list(family.options)
            raise ValueError(
                f"ModelSpec.options: family {family.name!r} has no option {name!r}"
                + (f"; its options: {known}" if known else "; it has none")
            )
    return tuple(sorted((str(k), tuple(v) if isinstance(v, list) else v) for k, v in pairs.items()))


@dataclass(frozen=True)
class TrainSpec:
    """Optimisation settings: Adam(learning_rate) with the torch defaults otherwise."""

    epochs: int = 100
    batch_size: int = 32
    learning_rate: float = 1e-3
    schedule: str = "joint"
    eval_every: int = 1

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ValueError(
                f"TrainSpec.schedule must be one of {SCHEDULES}, got {self.schedule!r}"
            )
        for name in ("epochs", "batch_size", "eval_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"TrainSpec.{name} must be >= 1, got {getattr(self, name)}")
        if not self.learning_rate > 0:
            raise ValueError(f"TrainSpec.learning_rate must be > 0, got {self.learning_rate}")


@dataclass
class TrainingResult:
    """Curves (one row per model x epoch) and final-epoch test predictions of one call."""

    curves: pd.DataFrame
    predictions: pd.DataFrame
    device: str
    seconds: float
    n_models: int
    probes: pd.DataFrame | None = (
        None  # per model: a probe's results (train_stacked(probe_factory))
    )
