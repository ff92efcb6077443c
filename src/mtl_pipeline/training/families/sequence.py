"""What the sequence-encoder families (Joshi et al. 2019: GloVe → BiLSTM / CNN / BiLSTM+CNN →
dropout) share: the token embedding, the encoder's frame (:class:`StackedEncoder`: ids → mask
→ embedding → the family's layers → dropout), the family base :class:`SequenceFamily` and the
trunk the trainer gets. Each encoder's own layers live in its file (``bilstm.py``, ``cnn.py``,
``bilstm_cnn.py``); a new one (e.g. a transformer) subclasses both classes in a file of its own.

"Stacked" means that M independent models live in one ``torch.nn.Module``: every parameter tensor
has a leading dimension M and the forward pass for all M models is a handful of batched ops
(``torch.bmm`` / ``baddbmm`` / grouped ``conv1d``), never a Python loop over models. This is what
lets the trainer run hundreds of STL/MTL models (pairs × folds × seeds) at once on one device.

Input ``x``: ``(M, B, L)`` int64 token ids, 0 = padding. Output ``(M, B, out_dim)``.

Design choices (the paper does not pin them down; we state ours):

* **Embedding** — one shared ``(vocab, dim)`` tensor, frozen (a buffer) by default. Only when
  ``spec.train_embedding`` is true does every model get its own trainable copy
  (``(M, vocab, dim)``, initialised from the given matrix): M copies of a full GloVe vocabulary are
  large, so callers should trim the vocabulary to the tokens that occur.
* **Dropout** ``p = spec.dropout`` on the encoder output in training mode only. By default it uses
  the global torch RNG; pass ``dropout_generators`` (one per model) to draw model m's masks from
  its own generator so that dropout, too, is independent of the other models. (In the trainer
  the encoder's dropout is off and the trainer's hashed dropout applies to its output.)
* **Init independence** — model m's parameters are drawn only from ``generators[m]``, in a fixed
  order (forward LSTM ``W_ih, W_hh, b_ih, b_hh``, backward LSTM likewise, then per kernel size the
  CNN weight and bias), so model m's initial weights are identical whatever ``n_models`` is and
  whatever the other generators are.
"""

from __future__ import annotations

import dataclasses
from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from .base import PRE_REGISTRY_FIELDS, TOKENS, Family, Trunk
from .registry import get

#: the attributes of a spec the sequence encoders read (``ModelSpec`` has them all)
SPEC_ATTRIBUTES = "encoder, units, kernel_sizes, dropout, train_embedding, activation"


def _check_generators(n_models: int, generators: Sequence[torch.Generator]) -> None:
    if not isinstance(n_models, int) or n_models < 1:
        raise ValueError(f"n_models must be a positive int, got {n_models!r}")
    if len(generators) != n_models:
        raise ValueError(
            f"generators must hold one torch.Generator per model: n_models={n_models}, "
            f"got {len(generators)} generators"
        )
    for i, g in enumerate(generators):
        if not isinstance(g, torch.Generator):
            raise TypeError(f"generators[{i}] must be a torch.Generator, got {type(g).__name__}")


def _uniform(
    shape: tuple[int, ...], bound: float, generator: torch.Generator, dtype: torch.dtype
) -> torch.Tensor:
    """U(-bound, bound) drawn from ``generator`` only (on the generator's device, then CPU)."""
    u = torch.rand(shape, generator=generator, dtype=dtype, device=generator.device)
    return ((u * 2.0 - 1.0) * bound).cpu()


def _draw_per_model(
    generators: Sequence[torch.Generator],
    draw: Callable[[torch.Generator], list[torch.Tensor]],
) -> list[torch.Tensor]:
    """Call ``draw(generators[m])`` for every model and stack each returned tensor along dim 0.

    The loop over models is at construction time only (never in ``forward``); each model's tensors
    come from its own generator, so they do not depend on the number or order of the others.
    """
    per_model = [draw(g) for g in generators]
    return [torch.stack(parts, dim=0) for parts in zip(*per_model, strict=True)]


def _spec_attr(spec: Any, name: str) -> Any:
    try:
        return getattr(spec, name)
    except AttributeError:
        raise AttributeError(
            f"spec ({type(spec).__name__}) has no attribute {name!r}; a sequence-encoder spec "
            f"needs {SPEC_ATTRIBUTES}"
        ) from None


class StackedEmbedding(nn.Module):
    """Token lookup for M models: one shared frozen table, or M trainable copies.

    Frozen (default): ``weight`` is a ``(vocab, dim)`` buffer shared by all models, so it costs no
    memory per model and receives no gradient. Trainable: ``weight`` is an ``(M, vocab, dim)``
    parameter, every model starting from the same pre-trained matrix.
    """

    def __init__(self, n_models: int, embedding: torch.Tensor, trainable: bool = False) -> None:
        super().__init__()
        if not isinstance(embedding, torch.Tensor):
            raise TypeError(
                f"embedding must be a torch.Tensor of shape (vocab, dim), "
                f"got {type(embedding).__name__}"
            )
        if embedding.ndim != 2 or embedding.shape[0] < 1 or embedding.shape[1] < 1:
            raise ValueError(
                f"embedding must have shape (vocab, dim) with vocab, dim >= 1, "
                f"got {tuple(embedding.shape)}"
            )
        if not embedding.is_floating_point():
            raise ValueError(f"embedding must be a floating tensor, got dtype {embedding.dtype}")
        self.n_models = n_models
        self.trainable = bool(trainable)
        self.vocab_size, self.dim = int(embedding.shape[0]), int(embedding.shape[1])
        table = embedding.detach().clone()
        if self.trainable:
            self.weight = nn.Parameter(table.unsqueeze(0).repeat(n_models, 1, 1))
        else:
            self.register_buffer("weight", table)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(M, B, L)`` ids → ``(M, B, L, dim)`` vectors."""
        if not self.trainable:
            return F.embedding(x, self.weight)
        model_index = torch.arange(self.n_models, device=x.device).view(-1, 1, 1)
        return self.weight[model_index, x]


class StackedEncoder(nn.Module):
    """Embedding → the family's layers → dropout, for M independent models at once.

    ``forward(x)``: ``(M, B, L)`` int64 token ids (0 = padding) → ``(M, B, out_dim)``.
    The trainer adds the task heads on top. Subclasses (one per family) create their layers in
    :meth:`build_layers` and run them in :meth:`encode`.
    """

    n_models: int
    out_dim: int

    def __init__(
        self,
        n_models: int,
        generators: Sequence[torch.Generator],
        spec: Any,
        embedding: torch.Tensor,
        dropout_generators: Sequence[torch.Generator] | None = None,
    ) -> None:
        """Build from any ``spec`` with the attributes of ``SPEC_ATTRIBUTES`` (``ModelSpec``).
        Parameters get ``embedding``'s dtype and device; ``dropout_generators`` (optional, one
        per model) make dropout masks per-model."""
        super().__init__()
        _check_generators(n_models, generators)
        units = int(_spec_attr(spec, "units"))
        dropout = float(_spec_attr(spec, "dropout"))
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if dropout_generators is not None:
            _check_generators(n_models, dropout_generators)
        self.n_models = n_models
        self.encoder = str(_spec_attr(spec, "encoder"))
        self.dropout = dropout
        self.dropout_generators = list(dropout_generators) if dropout_generators else None
        self.embedding = StackedEmbedding(
            n_models, embedding, trainable=bool(_spec_attr(spec, "train_embedding"))
        )
        self.out_dim = self.build_layers(generators, spec, units, embedding.dtype)
        # Parameters are drawn on the CPU (generator order is what matters); live beside the table.
        self.to(embedding.device)

    @abstractmethod
    def build_layers(
        self, generators: Sequence[torch.Generator], spec: Any, units: int, dtype: torch.dtype
    ) -> int:
        """Create the layers over ``self.embedding.dim``-wide vectors; return ``out_dim``."""

    @abstractmethod
    def encode(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``(M, B, L, dim)`` embedded tokens, ``(M, B, L)`` bool mask → ``(M, B, out_dim)``."""

    def forward(self, x: torch.Tensor, trimmed: bool = False) -> torch.Tensor:
        """``trimmed``: the caller has already cut the trailing columns that are padding for every
        sequence (as the trainer's ``TokenInput.gather`` does on the host); otherwise they are
        found here, which costs a device->host sync."""
        if x.ndim != 3 or x.shape[0] != self.n_models:
            raise ValueError(
                f"x must have shape (n_models={self.n_models}, batch, length), got {tuple(x.shape)}"
            )
        if x.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"x must hold integer token ids (int64), got dtype {x.dtype}")
        mask = x != 0
        if not trimmed:
            # Trailing columns that are padding for every sequence change nothing (masks); drop
            # them so the LSTM loop runs only as long as the longest real sequence in the batch.
            real_cols = mask.any(dim=1).any(dim=0)
            length = int(real_cols.nonzero().max().item()) + 1 if bool(real_cols.any()) else 1
            x, mask = x[..., :length], mask[..., :length]
        return self._dropout(self.encode(self.embedding(x), mask))

    def _dropout(self, out: torch.Tensor) -> torch.Tensor:
        if not self.training or self.dropout == 0.0:
            return out
        if self.dropout_generators is None:
            return F.dropout(out, self.dropout, training=True)
        # One mask per model from its own generator (RNG draws only; the arithmetic is batched).
        shape = out.shape[1:]
        keep = torch.stack(
            [
                torch.rand(shape, generator=g, device=g.device, dtype=out.dtype)
                for g in self.dropout_generators
            ]
        ).to(out.device)
        return out * (keep >= self.dropout) / (1.0 - self.dropout)


class SequenceTrunk(Trunk):
    """A :class:`StackedEncoder` as the trainer's trunk: the trainer's hashed dropout on its
    output (layer 0)."""

    def __init__(self, encoder: StackedEncoder) -> None:
        super().__init__()
        self.encoder = encoder
        self.out_dim = int(encoder.out_dim)

    def forward(self, x, dropout, train, h0=None):
        # token ids from TokenInput.gather, already cut to the batch's width on the host
        h = self.encoder(x, trimmed=True)
        return h if dropout is None else dropout(h, 0)


class SequenceFamily(Family):
    """A family of token-id encoders: set ``name`` and ``encoder_class``."""

    input_kind = TOKENS
    needs_embedding = True
    fields = PRE_REGISTRY_FIELDS
    encoder_class: ClassVar[type[StackedEncoder]]

    def activation_width(self, spec, in_dim: int) -> int:
        return 4 * spec.units * in_dim  # gates/feature maps per token, token count = in_dim

    def build(self, spec, n_models, in_dim, n_tasks, generators, device, dtype, embedding):
        if embedding is None:
            raise ValueError(f"ModelSpec.encoder={spec.encoder!r} needs ModelSpec.embedding")
        # The encoder's own dropout would draw from torch's global RNG, so a model's masks
        # would depend on the other models of the chunk; the trainer's hashed dropout is
        # applied to the encoder output instead (stacked == alone holds with dropout on).
        without_dropout = dataclasses.replace(spec, dropout=0.0)
        return SequenceTrunk(self.encoder_class(n_models, generators, without_dropout, embedding))


def build_sequence_encoder(
    spec: Any,
    n_models: int,
    generators: Sequence[torch.Generator],
    embedding: torch.Tensor,
    dropout_generators: Sequence[torch.Generator] | None = None,
) -> StackedEncoder:
    """The :class:`StackedEncoder` of ``spec.encoder``, a registered token-id family.
    ``embedding`` is the ONE ``(vocab, dim)`` table shared by all models (row 0 = padding); it
    is frozen unless ``spec.train_embedding``."""
    family = get(_spec_attr(spec, "encoder"), "encoder", input_kind=TOKENS)
    return family.encoder_class(n_models, generators, spec, embedding, dropout_generators)  # type: ignore[attr-defined]
