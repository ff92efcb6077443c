"""The CNN encoder (family ``cnn``): GloVe → 1-D convolutions → masked global max-pool, for M
stacked models; :class:`StackedCNN` is also the second layer of ``bilstm_cnn``.

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

The embedding, the dropout and the init independence are those of every sequence encoder
(``sequence.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..heads import ACT as ACTIVATIONS  # activations allowed for the CNN (``ModelSpec.activation``)
from .registry import register
from .sequence import (
    SequenceFamily,
    StackedEncoder,
    _check_generators,
    _draw_per_model,
    _spec_attr,
    _uniform,
)


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


def stacked_cnn(
    encoder: StackedEncoder,
    generators: Sequence[torch.Generator],
    spec: Any,
    in_channels: int,
    units: int,
    dtype: torch.dtype,
) -> StackedCNN:
    """The CNN of a sequence encoder's spec (its ``kernel_sizes`` and ``activation``)."""
    return StackedCNN(
        encoder.n_models,
        generators,
        in_channels,
        units,
        kernel_sizes=tuple(_spec_attr(spec, "kernel_sizes")),
        activation=str(_spec_attr(spec, "activation")),
        dtype=dtype,
    )


class CNNEncoder(StackedEncoder):
    """Embedding → CNN → max-pool."""

    def build_layers(
        self, generators: Sequence[torch.Generator], spec: Any, units: int, dtype: torch.dtype
    ) -> int:
        self.cnn = stacked_cnn(self, generators, spec, self.embedding.dim, units, dtype)
        return self.cnn.out_dim

    def encode(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.cnn(h, mask)


@register
class CNN(SequenceFamily):
    name = "cnn"
    encoder_class = CNNEncoder
