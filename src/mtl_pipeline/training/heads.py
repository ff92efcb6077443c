"""Stacked task heads (one set per model) and the per-model initialiser they share with the trunk."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from .init_schemes import TORCH_LAYER, LayerInit
from .output_heads import OutputHead, output_head

ACT: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
}


def init_uniform_(param: torch.Tensor, generators: Sequence[torch.Generator], fan_in: int) -> None:
    """Fill param[m] with U(-1/sqrt(fan_in), 1/sqrt(fan_in)) drawn only from generators[m].

    This is nn.Linear's default range. Called in a fixed order per model so that model m's
    initial weights do not depend on the number or identity of the other stacked models.
    """
    uniform_(param, generators, 1.0 / math.sqrt(fan_in))


def uniform_(param: torch.Tensor, generators: Sequence[torch.Generator], bound: float) -> None:
    """Fill param[m] with U(-bound, bound) drawn only from generators[m] (see init_uniform_)."""
    with torch.no_grad():
        for m, g in enumerate(generators):
            if g.device == param.device:
                param[m].uniform_(-bound, bound, generator=g)
            else:  # e.g. CPU generators for a CUDA model: draw on the generator's device
                draw = torch.empty(param.shape[1:], device=g.device, dtype=param.dtype)
                param[m].copy_(draw.uniform_(-bound, bound, generator=g))


def stacked_linear(
    n_models: int,
    d_in: int,
    d_out: int,
    generators: Sequence[torch.Generator],
    layer_init: LayerInit = TORCH_LAYER,
    **kw,
) -> tuple[nn.Parameter, nn.Parameter]:
    """Weight (M, d_in, d_out) and bias (M, d_out) of M linear layers, started by
    ``layer_init`` (default nn.Linear's: U(±1/√d_in) for both).

    The weight is drawn before the bias, both from ``generators`` (see ``init_uniform_``); a
    bias without a bound starts at zero and draws nothing.
    """
    w = nn.Parameter(torch.empty(n_models, d_in, d_out, **kw))
    b = nn.Parameter(torch.zeros(n_models, d_out, **kw))
    uniform_(w, generators, layer_init.weight_bound(d_in, d_out))
    if layer_init.bias_bound is not None:
        uniform_(b, generators, layer_init.bias_bound(d_in, d_out))
    return w, b


class StackedHeads(nn.Module):
    """Per task slot: optional Dense(head_hidden)+activation(+dropout), then the output layer
    of ``output`` (its units per task and how they become the task's logits)."""

    def __init__(
        self,
        n_models: int,
        in_dim: int,
        n_classes: Sequence[int],
        head_hidden: int,
        activation: str,
        generators: Sequence[torch.Generator],
        device: torch.device,
        dtype: torch.dtype,
        hidden_init: LayerInit = TORCH_LAYER,
        output_init: LayerInit = TORCH_LAYER,
        output: OutputHead | None = None,
    ) -> None:
        super().__init__()
        self.output = output or output_head("softmax")
        self.n_models = n_models
        self.head_hidden = head_hidden
        self.act = ACT[activation]
        self.hidden_w = nn.ParameterList()
        self.hidden_b = nn.ParameterList()
        self.out_w = nn.ParameterList()
        self.out_b = nn.ParameterList()
        kw = {"device": device, "dtype": dtype}
        for c in n_classes:
            d = in_dim
            if head_hidden > 0:
                w, b = stacked_linear(n_models, d, head_hidden, generators, hidden_init, **kw)
                self.hidden_w.append(w)
                self.hidden_b.append(b)
                d = head_hidden
            w, b = stacked_linear(n_models, d, self.output.units(c), generators, output_init, **kw)
            self.out_w.append(w)
            self.out_b.append(b)

    def params_of(self, t: int) -> list[nn.Parameter]:
        ps = [self.out_w[t], self.out_b[t]]
        if self.head_hidden > 0:
            ps = [self.hidden_w[t], self.hidden_b[t], *ps]
        return ps

    def forward(
        self,
        h: torch.Tensor | Sequence[torch.Tensor],
        dropout: Callable[[torch.Tensor, int], torch.Tensor] | None,
    ) -> list[torch.Tensor]:
        """h: (M, R, D), or one per task slot (soft sharing) → list of (M, R, C_t) logits."""
        out = []
        for t in range(len(self.out_w)):
            z = h if isinstance(h, torch.Tensor) else h[t]
            if self.head_hidden > 0:
                z = self.act(torch.baddbmm(self.hidden_b[t].unsqueeze(1), z, self.hidden_w[t]))
                if dropout is not None:
                    z = dropout(z, 100 + t)
            z = torch.baddbmm(self.out_b[t].unsqueeze(1), z, self.out_w[t])
            out.append(self.output.logits(z))
        return out
