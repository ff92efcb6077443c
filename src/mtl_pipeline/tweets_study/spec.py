"""The ``tweets`` parameter block as typed specs, parsed once at the node boundary.

``TweetStudySpec.from_params(params)`` checks every setting of ``conf/*/parameters_tweets.yml``
and names it as the user wrote it (``tweets.train.learning_rate``); the engine below receives
only specs, never the raw mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mtl_pipeline.data.tweets import TweetDatasetConfig
from mtl_pipeline.params import DEGENERATE_ACTIONS, ParameterError, Params
from mtl_pipeline.specs.execution import execution_spec
from mtl_pipeline.tasks.tweets import TweetPair, TweetTask, load_tasks, selected_pairs
from mtl_pipeline.training import ModelSpec, TrainSpec
from mtl_pipeline.training.executor import ExecutionSpec
from mtl_pipeline.training.specs import ACTIVATIONS, SCHEDULES, SEQUENCE_ENCODERS

DEGENERATE_SWITCH = "tweets.on_degenerate_task"


@dataclass(frozen=True)
class CVSpec:
    n_folds: int
    seed: int
    model_seed: int


@dataclass(frozen=True)
class AblationSpec:
    encoders: tuple[str, ...]
    shares: tuple[float, ...]
    both_directions: bool
    seed: int


@dataclass(frozen=True)
class EncoderSettings:
    """``tweets.model`` without the encoder name and the embedding, which vary per call."""

    units: int
    head_hidden: int
    dropout: float
    activation: str
    kernel_sizes: tuple[int, ...]
    train_embedding: bool
    #: ``tweets.model.options``: per encoder, its family's own settings (``Family.options``)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def model_spec(self, encoder: str, embedding: np.ndarray) -> ModelSpec:
        return ModelSpec(
            encoder=encoder,
            options=self.options.get(encoder, {}),
            units=self.units,
            head_hidden=self.head_hidden,
            dropout=self.dropout,
            activation=self.activation,
            kernel_sizes=self.kernel_sizes,
            embedding=np.ascontiguousarray(embedding, dtype=np.float32),
            train_embedding=self.train_embedding,
        )


@dataclass(frozen=True)
class TrainingSettings:
    """What ``train_stacked`` needs besides the jobs and the model spec."""

    encoders: tuple[str, ...]
    model: EncoderSettings
    train: TrainSpec
    execution: ExecutionSpec


def train_spec(p: Params) -> TrainSpec:
    return TrainSpec(
        epochs=p.integer("epochs", minimum=1),
        batch_size=p.integer("batch_size", minimum=1),
        learning_rate=p.number("learning_rate", default=1e-3, positive=True),
        schedule=p.choice("schedule", SCHEDULES, default="pooled"),
        eval_every=p.integer("eval_every", default=1, minimum=1),
    )


def training_settings(params: Mapping[str, Any]) -> TrainingSettings:
    """``tweets.model``, ``tweets.train``, ``tweets.device``, ``tweets.training`` (execution)."""
    top = Params(params, "tweets")
    m = top.section("model")
    encoders = m.choices("encoders", SEQUENCE_ENCODERS)
    model = EncoderSettings(
        units=m.integer("units", default=25, minimum=1),
        head_hidden=m.integer("head_hidden", default=25, minimum=0),
        dropout=m.number("dropout", default=0.25, minimum=0.0, maximum=1.0, below_maximum=True),
        activation=m.choice("activation", ACTIVATIONS, default="relu"),
        kernel_sizes=m.integers("kernel_sizes", default=(3,), minimum=1),
        train_embedding=m.boolean("train_embedding", default=False),
        options=_encoder_options(m, encoders),
    )
    return TrainingSettings(
        encoders=encoders,
        model=model,
        train=train_spec(top.section("train")),
        execution=execution_spec(
            {"device": top.text("device", default="auto"), **top.section("training", False).raw},
            "tweets.training",
        ),
    )


def _encoder_options(m: Params, encoders: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """``tweets.model.options`` (absent = none): a mapping per encoder of ``encoders``, each
    checked by its family (``ModelSpec.options``)."""
    raw = m.section("options", False).raw
    bad = [name for name in raw if name not in encoders]
    if bad:
        raise ParameterError(
            f"parameter {m.name('options')} names {bad}; expected entries of {list(encoders)} "
            f"({m.name('encoders')})"
        )
    options = {str(name): dict(Params(raw, m.name("options")).section(name).raw) for name in raw}
    for name, values in options.items():
        try:
            ModelSpec(encoder=name, options=values)
        except ValueError as error:
            raise ParameterError(f"parameter {m.name('options')}.{name}: {error}") from None
    return options


def cv_spec(params: Mapping[str, Any]) -> CVSpec:
    cv = Params(params, "tweets").section("cv")
    return CVSpec(
        n_folds=cv.integer("n_folds", minimum=2),
        seed=cv.integer("seed", default=0, minimum=0),
        model_seed=cv.integer("model_seed", default=0, minimum=0),
    )


def ablation_spec(params: Mapping[str, Any], encoders: tuple[str, ...]) -> AblationSpec:
    a = Params(params, "tweets").section("ablation")
    raw_shares = a.items("shares")
    listed = Params(dict(enumerate(raw_shares)), a.name("shares"))
    shares = {listed.number(i, minimum=0.0, maximum=1.0) for i in range(len(raw_shares))}  # type: ignore[arg-type]
    return AblationSpec(
        encoders=a.choices("encoders", SEQUENCE_ENCODERS, default=encoders[:1]),
        shares=tuple(sorted(set(shares))),
        both_directions=a.boolean("both_directions", default=True),
        seed=a.integer("seed", default=0, minimum=0),
    )


def degenerate_action(params: Mapping[str, Any]) -> str:
    """``tweets.on_degenerate_task``: 'error' (default) stops the run, 'drop' drops the pair."""
    return Params(params, "tweets").choice("on_degenerate_task", DEGENERATE_ACTIONS, "error")


def dataset_configs(params: Mapping[str, Any]) -> dict[str, TweetDatasetConfig]:
    """Every dataset of ``tweets.datasets`` (an entry set to null is left out)."""
    raw = Params(params, "tweets").section("datasets").raw
    return {
        str(name): TweetDatasetConfig.from_dict(str(name), spec)
        for name, spec in raw.items()
        if spec is not None
    }


@dataclass(frozen=True)
class RunPairs:
    """The tasks and the pairs of ``tweets.run_pairs``, and the datasets they read."""

    tasks: dict[str, TweetTask]
    pairs: tuple[TweetPair, ...]

    @property
    def datasets(self) -> tuple[str, ...]:
        names = [self.tasks[t].dataset for p in self.pairs for t in (p.main, p.aux)]
        return tuple(dict.fromkeys(names))


def run_pairs(params: Mapping[str, Any]) -> RunPairs:
    """Tasks and selected pairs; every task's dataset must be configured."""
    tasks = load_tasks(params)
    pairs = tuple(selected_pairs(params, tasks))
    if not pairs:
        raise ParameterError(
            "parameters tweets.pairs / tweets.run_pairs select no pair; name at least one"
        )
    configured = {n for n, s in (params.get("datasets") or {}).items() if s is not None}
    for pair in pairs:
        for name in (pair.main, pair.aux):
            if tasks[name].dataset not in configured:
                raise ParameterError(
                    f"parameter tweets.tasks.{name}.dataset is {tasks[name].dataset!r}, "
                    f"not a dataset under tweets.datasets (configured: {sorted(configured)})"
                )
    return RunPairs(tasks, pairs)
