"""What every model family is: the abstract :class:`Family` (a registry entry: its name, input
kind, sharing modes, fingerprint fields and options, and how it builds its trunk) and the
abstract :class:`Trunk` (the module it builds: M stacked models' shared layers, below the
task heads of ``heads.StackedHeads``).

Sharing is an axis of its own (``ModelSpec.sharing``): ``hard`` = one trunk shared by the
tasks of a model, ``soft`` = one trunk per task pulled toward their mean
(``ModelSpec.soft_sharing_lambda``); a family declares which modes it builds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from ..inputs import DenseInput, SparseInput, TokenInput

if TYPE_CHECKING:
    from ..specs import ModelSpec

HARD = "hard"
SOFT = "soft"
SHARING = (HARD, SOFT)

#: ModelSpec fields of every family's fingerprint: the heads and the dropout on the trunk
HEAD_FIELDS = ("activation", "dropout", "head_hidden")
#: ModelSpec fields added after models were stored, counted only away from the default that
#: reproduces those models, so that stored fingerprints stay valid
FIELDS_ADDED_LATER = {"weight_init": "torch_default", "output_head": "softmax"}
#: The flat ModelSpec's own fields before families declared theirs: the four families of then
#: (mlp and the three sequence encoders) count all of them, even those they never read, so
#: that every fingerprint stored then stays valid. A new family names only its own.
PRE_REGISTRY_FIELDS = ("hidden_sizes", "units", "kernel_sizes", "train_embedding")


@dataclass(frozen=True)
class InputKind:
    """What a family reads: ``make(features, family, device, dtype, mode)`` puts a feature
    matrix on the device as the trainer's input adapter (``inputs``), or says why it cannot."""

    name: str
    make: Callable[..., Any]


def _feature_input(features: object, family: str, device, dtype, mode: str):
    if mode not in ("auto", "sparse", "dense"):
        raise ValueError(f"input_mode must be 'auto', 'sparse' or 'dense', got {mode!r}")
    if sp.issparse(features):
        return (
            DenseInput(features, device, dtype)
            if mode == "dense"
            else SparseInput(features, device, dtype)
        )
    arr = np.asarray(features)
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(
            f"{family.upper()} features must be float (dense or scipy.sparse), got dtype {arr.dtype}"
        )
    return (
        SparseInput(sp.csr_matrix(arr), device, dtype)
        if mode == "sparse"
        else DenseInput(arr, device, dtype)
    )


def _token_input(features: object, family: str, device, dtype, mode: str):
    if sp.issparse(features) or not np.issubdtype(np.asarray(features).dtype, np.integer):
        raise TypeError(
            f"features for encoder {family!r} must be an int64 (N, L) token-id array, "
            f"got {type(features).__name__}"
        )
    return TokenInput(np.asarray(features), device)


#: float matrix, dense or scipy.sparse (a bag-of-words first layer)
FEATURES = InputKind("features", _feature_input)
#: int64 (N, L) token ids, 0 = padding
TOKENS = InputKind("tokens", _token_input)


class Trunk(nn.Module, ABC):
    """The shared layers of M stacked models: ``forward`` maps a batch of rows to their
    representations, (M, R, out_dim), or one such tensor per task slot (soft sharing).

    Every trainable parameter has the leading model dimension M and model m's initial values
    come from ``generators[m]`` alone (so a model's result does not depend on the others of its
    chunk). The hooks below default to "nothing to do"; the MLP overrides them (its first
    layer's product and gradient are computed outside autograd)."""

    out_dim: int

    @abstractmethod
    def forward(
        self,
        x: Any,
        dropout: Callable[[torch.Tensor, int], torch.Tensor] | None,
        train: bool,
        h0: torch.Tensor | None = None,
    ) -> torch.Tensor | list[torch.Tensor]:
        """``dropout(h, layer)`` (None = no dropout) applies the trainer's hashed dropout to
        layer ``layer``'s output; ``train``: a training step (not an evaluation)."""

    def trainable(self) -> list[nn.Parameter]:
        """The parameters the optimizer steps, in a fixed order."""
        return [p for p in self.parameters() if p.requires_grad]

    def first_layer(self, x: Any) -> torch.Tensor | None:
        """A product of the inputs that ``forward(None, h0=...)`` reuses (the evaluation
        computes it once per chunk), or None when the trunk has none."""
        return None

    def hand_written_grads(self) -> list[nn.Parameter]:
        """Parameters whose gradient ``finish_backward`` writes (the optimizer must not zero it)."""
        return []

    def finish_backward(self) -> None:
        """Called after ``loss.backward()`` of each training step."""

    def pull_trunks(self, step_size: float, updated: torch.Tensor, all_updated: bool) -> None:
        """Soft sharing's step after the optimizer's (a no-op for one shared trunk)."""


class Family(ABC):
    """One model family: a registry entry (``families.register``) and the builder of its trunk.

    Subclasses set the class attributes and implement :meth:`build`; one file per family in
    ``training/families/`` registers itself when the package is imported."""

    #: the name ``ModelSpec.encoder`` (and the YAML) calls it by
    name: ClassVar[str]
    #: what it reads: FEATURES or TOKENS
    input_kind: ClassVar[InputKind]
    #: whether it reads ``ModelSpec.embedding`` (a (vocab, dim) table)
    needs_embedding: ClassVar[bool] = False
    #: the ``ModelSpec.sharing`` modes it builds
    sharing: ClassVar[tuple[str, ...]] = (HARD,)
    #: its ModelSpec fields, counted in its fingerprint (besides HEAD_FIELDS)
    fields: ClassVar[tuple[str, ...]] = ()
    #: its settings of ``ModelSpec.options`` with their defaults, counted in its fingerprint
    options: ClassVar[Mapping[str, Any]] = {}
    #: former names: name -> the sharing mode it stood for (kept so that old specs still load)
    aliases: ClassVar[Mapping[str, str]] = {}

    def check(self, spec: ModelSpec) -> None:  # noqa: B027 - optional: most check nothing
        """Raise a ValueError naming the ModelSpec field this family cannot build."""

    @abstractmethod
    def activation_width(self, spec: ModelSpec, in_dim: int) -> int:
        """Activation values per input row of one model, for the memory estimate."""

    @abstractmethod
    def build(
        self,
        spec: ModelSpec,
        n_models: int,
        in_dim: int,
        n_tasks: int,
        generators: Sequence[torch.Generator],
        device: torch.device,
        dtype: torch.dtype,
        embedding: torch.Tensor | None,
    ) -> Trunk:
        """The trunk of ``n_models`` stacked models reading ``in_dim`` columns (or tokens)."""

    def fingerprint_fields(self, spec: ModelSpec) -> dict[str, Any]:
        """What decides a model of this family besides its job, the embedding (hashed by
        content by the store) and the TrainSpec: the shard store keys records by it."""
        out = {name: getattr(spec, name) for name in (*HEAD_FIELDS, *self.fields)}
        out.update(
            {n: getattr(spec, n) for n, d in FIELDS_ADDED_LATER.items() if getattr(spec, n) != d}
        )
        # soft sharing keeps the key it had as a family of its own (``mlp_soft``)
        out["encoder"] = self.name if spec.sharing == HARD else f"{self.name}_{spec.sharing}"
        if spec.sharing == SOFT:
            out["soft_sharing_lambda"] = spec.soft_sharing_lambda
        if self.options:
            out["options"] = {name: spec.option(name) for name in self.options}
        return out
