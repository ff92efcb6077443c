"""The tweets study's settings as the engine receives them: frozen dataclasses built once by
:mod:`mtl_pipeline.specs.tweets` from the ``tweets`` parameter block.

Where a check can only run on the data (a fold count larger than a stratum, a one-class
auxiliary share), the setting carries the parameter's name as the user wrote it (the
``*_parameter`` fields), so the engine's error names it without knowing any parameter itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mtl_pipeline.params import OnDegenerate
from mtl_pipeline.tasks.tweets import TweetPair, TweetTask
from mtl_pipeline.training import ModelSpec, TrainSpec
from mtl_pipeline.training.executor import ExecutionSpec


@dataclass(frozen=True)
class CVSpec:
    """K-fold cross-validation: the folds' seed, the models' seed, and what a one-class fold
    does to its pair."""

    n_folds: int
    seed: int = 0
    model_seed: int = 0
    on_degenerate: OnDegenerate = OnDegenerate()
    n_folds_parameter: str = "n_folds"


@dataclass(frozen=True)
class AblationSpec:
    """The auxiliary-share ablation: its encoders, the shares of the auxiliary task's training
    rows, whether each task is in turn the main task, and the subsets' seed."""

    encoders: tuple[str, ...]
    shares: tuple[float, ...]
    both_directions: bool = True
    seed: int = 0
    shares_parameter: str = "shares"


@dataclass(frozen=True)
class EncoderSettings:
    """``tweets.model`` without the encoder name and the embedding, which vary per call."""

    units: int
    head_hidden: int
    dropout: float
    activation: str
    kernel_sizes: tuple[int, ...]
    train_embedding: bool
    #: per encoder, its family's own settings (``Family.options``)
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


@dataclass(frozen=True)
class TextSettings:
    """Tokens: words seen fewer than ``min_count`` times share the unknown index; each tweet is
    padded or truncated to ``max_length`` tokens."""

    min_count: int
    max_length: int


@dataclass(frozen=True)
class EmbeddingSettings:
    """The GloVe file (None: the packaged GloVe 6B 50d) and how out-of-GloVe words start."""

    glove_path: str | None
    unknown: str  # "random" (seeded) | "zeros"
    seed: int
    glove_path_parameter: str = "glove_path"


@dataclass(frozen=True)
class RunPairs:
    """The tasks and the pairs a run trains, and the datasets they read."""

    tasks: dict[str, TweetTask]
    pairs: tuple[TweetPair, ...]

    @property
    def datasets(self) -> tuple[str, ...]:
        names = [self.tasks[t].dataset for p in self.pairs for t in (p.main, p.aux)]
        return tuple(dict.fromkeys(names))
