"""The MLP trunk (family ``mlp``): dense hidden layers over float features, hard or soft sharing.

Hard sharing: the hidden layers are shared by all tasks of one model. Soft sharing: one trunk
per task slot, pulled toward their mean by ``pull_trunks`` (every trunk starts as the
hard-sharing trunk; the first layers of the T trunks are one T-times wider layer).

The first layer is computed outside autograd (sparse bag sum or a dense bmm) and its weight
gradient written straight into a persistent buffer: that avoids re-allocating and re-zeroing an
(M, V, H) gradient through autograd every step, which is the dominant memory traffic besides
Adam itself.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from ..heads import ACT, stacked_linear
from ..init_schemes import init_scheme
from ..inputs import SparseBatch
from .base import FEATURES, HARD, PRE_REGISTRY_FIELDS, SOFT, Family, Trunk
from .registry import register

if TYPE_CHECKING:
    from ..specs import ModelSpec


@register
class MLP(Family):
    name = "mlp"
    input_kind = FEATURES
    sharing = (HARD, SOFT)
    fields = PRE_REGISTRY_FIELDS
    aliases = {"mlp_soft": SOFT}  # soft sharing's name when it was a family of its own

    def check(self, spec: ModelSpec) -> None:
        if not spec.hidden_sizes or min(spec.hidden_sizes) < 1:
            raise ValueError(
                "ModelSpec.hidden_sizes must be a non-empty tuple of positive ints, "
                f"got {spec.hidden_sizes}"
            )

    def activation_width(self, spec: ModelSpec, in_dim: int) -> int:
        # soft: one trunk per task; pairs (two tasks) in this project
        return (2 if spec.sharing == SOFT else 1) * sum(spec.hidden_sizes)

    def build(self, spec, n_models, in_dim, n_tasks, generators, device, dtype, embedding):
        n_trunks = n_tasks if spec.sharing == SOFT else 1
        return MLPTrunk(spec, n_models, in_dim, n_trunks, generators, device, dtype)


class MLPTrunk(Trunk):
    """``weights[i]`` (M, d_in, d_out) and ``biases[i]`` (M, d_out) per layer; with T > 1
    trunks the first layer is (M, V, T·H) and later ones (M, T, H_in, H_out) (``_trunks``)."""

    def __init__(
        self,
        spec: ModelSpec,
        n_models: int,
        in_dim: int,
        n_trunks: int,
        generators: Sequence[torch.Generator],
        device: torch.device,
        dtype: torch.dtype,
    ) -> None:
        super().__init__()
        self.n_models = n_models
        self.n_trunks = n_trunks  # T = 1 is plain hard sharing
        self.soft_lambda = float(spec.soft_sharing_lambda) if n_trunks > 1 else 0.0
        self.act = ACT[spec.activation]
        self._h0: torch.Tensor | None = None
        self._x = None
        scheme = init_scheme(spec.weight_init)
        sizes = [in_dim, *spec.hidden_sizes]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for layer, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            w, b = stacked_linear(
                n_models, d_in, d_out, generators, scheme.hidden, device=device, dtype=dtype
            )
            if n_trunks > 1:  # every trunk starts as the hard-sharing trunk
                w, b = _trunks(w, b, n_trunks, first=layer == 0)
            self.weights.append(w)
            self.biases.append(b)
        # first-layer weight gets its gradient by hand (see module docstring)
        self.weights[0].grad = torch.zeros_like(self.weights[0])
        self.out_dim = sizes[-1]

    def trainable(self) -> list[nn.Parameter]:
        return [*self.weights, *self.biases]

    def hand_written_grads(self) -> list[nn.Parameter]:
        return [self.weights[0]]

    def first_layer(self, x: SparseBatch | torch.Tensor) -> torch.Tensor:
        """The first-layer product x @ W_0 (M, R, H), bias and activation not applied."""
        W = self.weights[0].detach()
        M, V, H = W.shape
        if isinstance(x, SparseBatch):
            _, R = x.shape
            flat = F.embedding_bag(
                x.cols, W.reshape(M * V, H), x.offsets, mode="sum", per_sample_weights=x.vals
            )
            return flat.view(M, R, H)
        return torch.bmm(x, W)

    def forward(
        self,
        x: SparseBatch | torch.Tensor | None,
        dropout: Callable[[torch.Tensor, int], torch.Tensor] | None,
        train: bool,
        h0: torch.Tensor | None = None,
    ) -> torch.Tensor | list[torch.Tensor]:
        h0 = self.first_layer(x) if h0 is None else h0
        if train and torch.is_grad_enabled():
            h0.requires_grad_(True)
            self._h0, self._x = h0, x
        h = self.act(h0 + self.biases[0].reshape(self.n_models, 1, -1))
        if dropout is not None:
            h = dropout(h, 0)
        for i in range(1, len(self.weights)):
            h = self.act(self._hidden_layer(h, i))
            if dropout is not None:
                h = dropout(h, i)
        if self.n_trunks > 1:  # (M, R, T·H) → one (M, R, H) per task slot
            h = list(h.view(*h.shape[:2], self.n_trunks, -1).unbind(2))
        return h

    def _hidden_layer(self, h: torch.Tensor, i: int) -> torch.Tensor:
        """Layer i ≥ 1 before its activation: one bmm, or one per trunk (block-diagonal)."""
        w, b = self.weights[i], self.biases[i]
        if self.n_trunks == 1:
            return torch.baddbmm(b.unsqueeze(1), h, w)
        M, R, T = h.shape[0], h.shape[1], self.n_trunks
        per_trunk = h.view(M, R, T, -1).transpose(1, 2).reshape(M * T, R, -1)
        out = torch.baddbmm(b.reshape(M * T, 1, -1), per_trunk, w.reshape(M * T, *w.shape[2:]))
        return out.view(M, T, R, -1).transpose(1, 2).reshape(M, R, -1)

    @torch.no_grad()
    def pull_trunks(
        self, step_size: float, updated: torch.Tensor, all_updated: bool = False
    ) -> None:
        """Soft sharing's penalty λ·Σ_t ||P_t − mean_t P||² on every trunk parameter, applied
        as its exact proximal step after the optimizer step (decoupled, as AdamW's weight
        decay): P_t ← mean + (P_t − mean) / (1 + 2·λ·step_size), for the models whose trunk
        was updated (``updated``: (M,) bool; ``all_updated`` when every model was, known on
        the host). Through Adam the penalty's gradient would swamp
        the second moments and stall learning; decoupled, λ → ∞ collapses the trunks to their
        mean after every step, i.e. one shared trunk (hard sharing)."""
        if not self.soft_lambda:
            return
        shrink = 1.0 / (1.0 + 2.0 * self.soft_lambda * step_size)
        keep = updated.view(-1, *([1] * 3)).to(self.weights[0].dtype)
        for i, p in enumerate([*self.weights, *self.biases]):
            first = i in (0, len(self.weights))  # first-layer weight or bias: trunks side by side
            M = self.n_models
            per_trunk = (
                p.view(M, -1, self.n_trunks, p.shape[-1] // self.n_trunks)
                if first
                else (p.view(M, 1, self.n_trunks, -1))
            )
            mean = per_trunk.mean(2, keepdim=True)
            if all_updated:  # the usual step: in place, no temporaries of the weights' size
                per_trunk.sub_(mean).mul_(shrink).add_(mean)
            else:
                target = mean + (per_trunk - mean) * shrink
                per_trunk.copy_(keep * target + (1 - keep) * per_trunk)

    def finish_backward(self) -> None:
        """Write the first-layer weight gradient (after loss.backward()) into its buffer."""
        if self._h0 is None:
            return
        g = self._h0.grad
        gW = self.weights[0].grad
        M, V, H = gW.shape
        x = self._x
        if g is None:
            gW.zero_()
        elif isinstance(x, SparseBatch):
            # gW = X_b^T @ g with X_b^T as a CSR matrix (M*V, M*R); addmm(beta=0) writes every
            # row of gW, zeros included, so no separate zeroing pass. ~10x faster on CPU than a
            # scatter (index_put) of the (nnz, H) contributions.
            crow, bags, vals = x.transposed()
            with warnings.catch_warnings():  # "CSR support is in beta" (torch, once)
                warnings.simplefilter("ignore", UserWarning)
                Xt = torch.sparse_csr_tensor(
                    crow, bags, vals, size=(M * V, g.shape[0] * g.shape[1]), check_invariants=False
                )
            torch.addmm(gW.view(M * V, H), Xt, g.reshape(-1, H), beta=0.0, out=gW.view(M * V, H))
        else:
            torch.bmm(x.transpose(1, 2), g, out=gW)
        self._h0, self._x = None, None


def _trunks(
    w: nn.Parameter, b: nn.Parameter, n_trunks: int, first: bool
) -> tuple[nn.Parameter, nn.Parameter]:
    """T copies of one layer: the first layer as one T-times wider layer (M, V, T·H), so that
    its bag-of-words product and hand-written gradient are the hard-sharing ones; later layers
    as (M, T, H_in, H_out) blocks; biases (M, T·H) / (M, T, H)."""
    with torch.no_grad():
        if first:
            wide = w.unsqueeze(2).expand(*w.shape[:2], n_trunks, w.shape[2])
            return nn.Parameter(wide.reshape(*w.shape[:2], -1).clone()), nn.Parameter(
                b.repeat(1, n_trunks).clone()
            )
        blocks = w.unsqueeze(1).expand(w.shape[0], n_trunks, *w.shape[1:]).clone()
        return nn.Parameter(blocks), nn.Parameter(b.unsqueeze(1).repeat(1, n_trunks, 1).clone())
