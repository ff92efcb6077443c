"""Stacked sequence encoders for Joshi et al. 2019 (GloVe → BiLSTM / CNN / BiLSTM+CNN → dropout).

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
* **BiLSTM** — our own recurrence over stacked weights, gate order ``i, f, g, o`` and two biases as
  in ``torch.nn.LSTM`` (so weights can be copied from / compared with it), init uniform
  ``±1/sqrt(units)`` like ``torch.nn.LSTM``. Padding-aware via masks: a padded step leaves
  ``(h, c)`` unchanged and emits a zero output, so the backward direction effectively starts at each
  sequence's last real token and the result equals ``nn.LSTM`` run on the sequence with its
  padding removed. Pooled output for ``"bilstm"``: ``[h_fwd_final ; h_bwd_final]`` (the forward
  state after the last real token and the backward state after the first one, i.e. ``h_n`` of
  ``nn.LSTM``), ``out_dim = 2·units``. The LSTM keeps its own tanh/sigmoid gates;
  ``spec.activation`` applies to the CNN only.
* **CNN** — ``units`` filters per kernel size, stride 1, "same" zero padding (left ``(k-1)//2``,
  right ``k//2``, as ``torch.nn.Conv1d(padding="same")``), features at padded positions are zeroed
  first, one output per *real* token position, activation, then a global max-pool over the real
  positions only (a sequence with no real token pools to 0). "same" rather than "valid" so that
  sequences shorter than the kernel still have an output and appended padding never changes the
  result. ``out_dim = units·len(kernel_sizes)``. Implemented as ONE grouped ``conv1d`` per
  kernel size (input ``(B, M·C, L)``, weight ``(M·F, C, k)``, ``groups=M``). On the 2-core CPU
  (float32, B=32, L=30-40, C=50, forward+backward) it was on par with unfold + ``bmm`` for
  M=8, k=3 and faster for large M (M=64: ~42 vs ~50 ms) and wider kernels (k=5: ~2x), and it does
  not materialise the k-times larger window tensor; ``_conv_unfold_bmm`` is kept as a cross-check.
* **BiLSTM+CNN** — the BiLSTM's per-timestep outputs (``2·units``, zero at padding) feed the CNN.
* **Dropout** ``p = spec.dropout`` on the encoder output in training mode only. By default it uses
  the global torch RNG; pass ``dropout_generators`` (one per model) to draw model m's masks from
  its own generator so that dropout, too, is independent of the other models.
* **Init independence** — model m's parameters are drawn only from ``generators[m]``, in a fixed
  order (forward LSTM ``W_ih, W_hh, b_ih, b_hh``, backward LSTM likewise, then per kernel size the
  CNN weight and bias), so model m's initial weights are identical whatever ``n_models`` is and
  whatever the other generators are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .heads import ACT as ACTIVATIONS  # activations allowed for the CNN (``ModelSpec.activation``)
from .specs import SEQUENCE_ENCODERS  # encoder names this module builds

__all__ = [
    "ACTIVATIONS",
    "SEQUENCE_ENCODERS",
    "StackedBiLSTM",
    "StackedCNN",
    "StackedEmbedding",
    "StackedEncoder",
    "build_sequence_encoder",
]


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


class StackedBiLSTM(nn.Module):
    """M independent single-layer bidirectional LSTMs run together with batched matmuls.

    Parameters (M = models, D = input size, H = ``units``; direction 0 = forward, 1 = backward):
    ``weight_ih (M, 2, D, 4H)``, ``weight_hh (M, 2, H, 4H)``, ``bias_ih (M, 2, 4H)``,
    ``bias_hh (M, 2, 4H)``; the 4H axis is ordered ``i, f, g, o`` like ``torch.nn.LSTM``
    (whose ``weight_ih_l0`` is our ``weight_ih[m, 0].T``).

    Both directions advance in the same time loop: step t updates the forward state with token t
    and the backward state with token L-1-t, as one ``(2M, B, H) × (2M, H, 4H)`` product.
    """

    def __init__(
        self,
        n_models: int,
        generators: Sequence[torch.Generator],
        input_size: int,
        units: int,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        _check_generators(n_models, generators)
        if units < 1:
            raise ValueError(f"units (LSTM units per direction) must be >= 1, got {units}")
        self.n_models, self.input_size, self.units = n_models, int(input_size), int(units)
        h4, bound = 4 * units, 1.0 / math.sqrt(units)

        def draw(g: torch.Generator) -> list[torch.Tensor]:
            parts: list[list[torch.Tensor]] = [[], [], [], []]
            for _direction in range(2):  # forward then backward, each W_ih, W_hh, b_ih, b_hh
                parts[0].append(_uniform((input_size, h4), bound, g, dtype))
                parts[1].append(_uniform((units, h4), bound, g, dtype))
                parts[2].append(_uniform((h4,), bound, g, dtype))
                parts[3].append(_uniform((h4,), bound, g, dtype))
            return [torch.stack(p, dim=0) for p in parts]

        w_ih, w_hh, b_ih, b_hh = _draw_per_model(generators, draw)
        self.weight_ih = nn.Parameter(w_ih)
        self.weight_hh = nn.Parameter(w_hh)
        self.bias_ih = nn.Parameter(b_ih)
        self.bias_hh = nn.Parameter(b_hh)

    @property
    def out_dim(self) -> int:
        return 2 * self.units

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor, return_sequence: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Run both directions.

        Args:
            inputs: ``(M, B, L, D)`` input vectors.
            mask: ``(M, B, L)`` bool, True at real tokens.
            return_sequence: also return the per-timestep outputs.

        Returns:
            ``final`` ``(M, B, 2H)`` = ``[h_fwd after the last real token ; h_bwd after the first]``
            and, if asked, ``sequence`` ``(M, B, L, 2H)`` (zero at padded positions), else None.
        """
        m, b, length, d = inputs.shape
        h = self.units
        # Input projections of every step, both directions, one bmm: (M, B·L, D) × (M, D, 8H).
        w_ih = self.weight_ih.permute(0, 2, 1, 3).reshape(m, d, 8 * h)
        bias = (self.bias_ih + self.bias_hh).reshape(m, 1, 8 * h)
        proj = torch.baddbmm(bias, inputs.reshape(m, b * length, d), w_ih)
        proj = proj.view(m, b, length, 2, 4 * h)
        # Time-major, backward direction reversed in time: (L, M, 2, B, 4H) → per step (2M, B, 4H).
        steps = torch.stack([proj[..., 0, :], proj[..., 1, :].flip(2)], dim=1)
        steps = steps.permute(3, 0, 1, 2, 4).reshape(length, 2 * m, b, 4 * h)
        keep = torch.stack([mask, mask.flip(2)], dim=1).permute(3, 0, 1, 2)
        keep = keep.reshape(length, 2 * m, b, 1)
        w_hh = self.weight_hh.reshape(2 * m, h, 4 * h)

        state_h = inputs.new_zeros(2 * m, b, h)
        state_c = inputs.new_zeros(2 * m, b, h)
        outputs: list[torch.Tensor] = []
        for t in range(length):
            gates = torch.baddbmm(steps[t], state_h, w_hh)
            i, f, g, o = gates.chunk(4, dim=-1)
            c_new = torch.sigmoid(f) * state_c + torch.sigmoid(i) * torch.tanh(g)
            h_new = torch.sigmoid(o) * torch.tanh(c_new)
            k = keep[t]
            state_c = torch.where(k, c_new, state_c)
            state_h = torch.where(k, h_new, state_h)
            if return_sequence:
                outputs.append(h_new * k)

        final = state_h.view(m, 2, b, h).permute(0, 2, 1, 3).reshape(m, b, 2 * h)
        if not return_sequence:
            return final, None
        seq = torch.stack(outputs, dim=0).view(length, m, 2, b, h)
        fwd = seq[:, :, 0].permute(1, 2, 0, 3)  # (M, B, L, H)
        bwd = seq[:, :, 1].permute(1, 2, 0, 3).flip(2)  # back to natural time order
        return final, torch.cat([fwd, bwd], dim=-1)


class StackedCNN(nn.Module):
    """M independent 1-D CNNs (``units`` filters per kernel size) with masked global max-pool.

    Parameters per kernel size k (index j): ``weight_j (M, F, C, k)`` (the layout of
    ``torch.nn.Conv1d.weight`` with a leading model dim) and ``bias_j (M, F)``; init like
    ``torch.nn.Conv1d`` (uniform ``±1/sqrt(C·k)``) from each model's own generator.
    """

    def __init__(
        self,
        n_models: int,
        generators: Sequence[torch.Generator],
        in_channels: int,
        units: int,
        kernel_sizes: Sequence[int] = (3,),
        activation: str = "relu",
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        _check_generators(n_models, generators)
        if units < 1:
            raise ValueError(f"units (CNN filters per kernel size) must be >= 1, got {units}")
        kernel_sizes = tuple(kernel_sizes)
        if not kernel_sizes or any(
            not isinstance(k, int) or isinstance(k, bool) or k < 1 for k in kernel_sizes
        ):
            raise ValueError(
                f"kernel_sizes must be a non-empty sequence of positive ints, got {kernel_sizes!r}"
            )
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.n_models, self.in_channels, self.units = n_models, int(in_channels), int(units)
        self.kernel_sizes = kernel_sizes
        self.activation = activation

        def draw(g: torch.Generator) -> list[torch.Tensor]:
            parts: list[torch.Tensor] = []
            for k in kernel_sizes:  # per kernel size: weight then bias
                bound = 1.0 / math.sqrt(in_channels * k)
                parts.append(_uniform((units, in_channels, k), bound, g, dtype))
                parts.append(_uniform((units,), bound, g, dtype))
            return parts

        stacked = _draw_per_model(generators, draw)
        self.weights = nn.ParameterList(nn.Parameter(w) for w in stacked[0::2])
        self.biases = nn.ParameterList(nn.Parameter(b) for b in stacked[1::2])

    @property
    def out_dim(self) -> int:
        return self.units * len(self.kernel_sizes)

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``(M, B, L, C)`` inputs, ``(M, B, L)`` bool mask → ``(M, B, units·len(kernel_sizes))``."""
        keep = mask.unsqueeze(-1)
        inputs = inputs * keep  # padded positions contribute zeros, as the "same" zero padding
        any_real = keep.any(dim=2)  # (M, B, 1)
        act = ACTIVATIONS[self.activation]
        pooled = []
        for weight, bias in zip(self.weights, self.biases, strict=True):
            fmap = act(_conv_grouped(inputs, weight, bias))  # (M, B, L, F)
            fmap = fmap.masked_fill(~keep, float("-inf")).amax(dim=2)
            pooled.append(torch.where(any_real, fmap, torch.zeros_like(fmap)))
        return torch.cat(pooled, dim=-1)


def _conv_unfold_bmm(
    inputs: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    """Stacked "same" 1-D convolution: ``(M, B, L, C)`` × ``(M, F, C, k)`` → ``(M, B, L, F)``.

    Windows gathered with ``unfold`` and multiplied in one ``baddbmm``
    ``(M, B·L, C·k) × (M, C·k, F)``. The alternative to ``_conv_grouped`` (the one in use, see the
    module docstring for the CPU comparison); kept as an independent cross-check in the tests.
    """
    m, b, length, c = inputs.shape
    f, k = weight.shape[1], weight.shape[3]
    left, right = (k - 1) // 2, k // 2
    padded = F.pad(inputs, (0, 0, left, right))  # pad the time axis
    windows = padded.unfold(2, k, 1)  # (M, B, L, C, k)
    windows = windows.reshape(m, b * length, c * k)
    w = weight.reshape(m, f, c * k).transpose(1, 2)  # (M, C·k, F)
    out = torch.baddbmm(bias.unsqueeze(1), windows, w)
    return out.view(m, b, length, f)


def _conv_grouped(inputs: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Stacked "same" 1-D convolution as one grouped ``conv1d`` (``groups=M``):
    ``(M, B, L, C)`` × ``(M, F, C, k)`` → ``(M, B, L, F)``; padding left ``(k-1)//2``, right
    ``k//2`` like ``torch.nn.Conv1d(padding="same")``."""
    m, b, length, c = inputs.shape
    f, k = weight.shape[1], weight.shape[3]
    left, right = (k - 1) // 2, k // 2
    x = inputs.permute(1, 0, 3, 2).reshape(b, m * c, length)
    x = F.pad(x, (left, right))
    out = F.conv1d(x, weight.reshape(m * f, c, k), bias.reshape(m * f), groups=m)
    return out.view(b, m, f, length).permute(1, 0, 3, 2)


class StackedEncoder(nn.Module):
    """Embedding → BiLSTM / CNN / BiLSTM+CNN → dropout, for M independent models at once.

    ``forward(x)``: ``(M, B, L)`` int64 token ids (0 = padding) → ``(M, B, out_dim)``.
    The trainer adds the task heads on top.
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
        """Build from any ``spec`` with attributes ``encoder, units, kernel_sizes, dropout,
        train_embedding, activation`` (``ModelSpec``). Parameters get ``embedding``'s dtype and
        device; ``dropout_generators`` (optional, one per model) make dropout masks per-model."""
        super().__init__()
        _check_generators(n_models, generators)
        encoder = _spec_attr(spec, "encoder")
        if encoder not in SEQUENCE_ENCODERS:
            raise ValueError(
                f"encoder must be one of {list(SEQUENCE_ENCODERS)} for a sequence encoder, "
                f"got {encoder!r}"
            )
        units = int(_spec_attr(spec, "units"))
        dropout = float(_spec_attr(spec, "dropout"))
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if dropout_generators is not None:
            _check_generators(n_models, dropout_generators)
        self.n_models = n_models
        self.encoder = encoder
        self.dropout = dropout
        self.dropout_generators = list(dropout_generators) if dropout_generators else None

        self.embedding = StackedEmbedding(
            n_models, embedding, trainable=bool(_spec_attr(spec, "train_embedding"))
        )
        dtype = embedding.dtype
        self.lstm: StackedBiLSTM | None = None
        self.cnn: StackedCNN | None = None
        cnn_in = self.embedding.dim
        if encoder in ("bilstm", "bilstm_cnn"):
            self.lstm = StackedBiLSTM(n_models, generators, self.embedding.dim, units, dtype)
            cnn_in = self.lstm.out_dim
        if encoder in ("cnn", "bilstm_cnn"):
            self.cnn = StackedCNN(
                n_models,
                generators,
                cnn_in,
                units,
                kernel_sizes=tuple(_spec_attr(spec, "kernel_sizes")),
                activation=str(_spec_attr(spec, "activation")),
                dtype=dtype,
            )
        self.out_dim = self.cnn.out_dim if self.cnn is not None else self.lstm.out_dim  # type: ignore[union-attr]
        # Parameters are drawn on the CPU (generator order is what matters); live beside the table.
        self.to(embedding.device)

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

        h = self.embedding(x)
        if self.lstm is not None:
            final, seq = self.lstm(h, mask, return_sequence=self.cnn is not None)
            out = final if self.cnn is None else self.cnn(seq, mask)  # type: ignore[arg-type]
        else:
            out = self.cnn(h, mask)  # type: ignore[misc]
        return self._dropout(out)

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


def _spec_attr(spec: Any, name: str) -> Any:
    try:
        return getattr(spec, name)
    except AttributeError:
        raise AttributeError(
            f"spec ({type(spec).__name__}) has no attribute {name!r}; a sequence-encoder spec "
            f"needs encoder, units, kernel_sizes, dropout, train_embedding, activation"
        ) from None


def build_sequence_encoder(
    spec: Any,
    n_models: int,
    generators: Sequence[torch.Generator],
    embedding: torch.Tensor,
    dropout_generators: Sequence[torch.Generator] | None = None,
) -> StackedEncoder:
    """Factory used by the trainer: a ``StackedEncoder`` for ``spec.encoder`` in
    ``SEQUENCE_ENCODERS``. ``embedding`` is the ONE ``(vocab, dim)`` table shared by all models
    (row 0 = padding); it is frozen unless ``spec.train_embedding``. ``StackedEncoder`` checks
    ``spec.encoder``."""
    return StackedEncoder(n_models, generators, spec, embedding, dropout_generators)
