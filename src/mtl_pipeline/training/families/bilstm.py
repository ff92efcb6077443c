"""The BiLSTM encoder (family ``bilstm``): GloVe → one bidirectional LSTM layer → its final
states, for M stacked models; :class:`StackedBiLSTM` is also the first layer of ``bilstm_cnn``.

* **BiLSTM** — our own recurrence over stacked weights, gate order ``i, f, g, o`` and two biases as
  in ``torch.nn.LSTM`` (so weights can be copied from / compared with it), init uniform
  ``±1/sqrt(units)`` like ``torch.nn.LSTM``. Padding-aware via masks: a padded step leaves
  ``(h, c)`` unchanged and emits a zero output, so the backward direction effectively starts at each
  sequence's last real token and the result equals ``nn.LSTM`` run on the sequence with its
  padding removed. The recurrence has a hand-written backward (``_LSTMRecurrence``: states
  feature-major, each sequence's real tokens visited first so no step is masked), tested against
  the plain-autograd version (``_reference_bilstm_forward``) in float64;
  ``benchmarks/sequence_speed.py`` times both. Pooled output: ``[h_fwd_final ; h_bwd_final]``
  (the forward state after the last real token and the backward state after the first one, i.e.
  ``h_n`` of ``nn.LSTM``), ``out_dim = 2·units``. The LSTM keeps its own tanh/sigmoid gates;
  ``spec.activation`` applies to the CNN only.

The embedding, the dropout and the init independence are those of every sequence encoder
(``sequence.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .registry import register
from .sequence import SequenceFamily, StackedEncoder, _check_generators, _draw_per_model, _uniform


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
        # Both directions as 2M cells (row 2m + direction), time-major, each sequence's real
        # tokens first: in order for the forward cell, reversed for the backward one (see
        # ``_step_order``). The D-wide inputs are rearranged, not the 4H-wide projections.
        order, lengths = _step_order(mask)  # (M, 2, B, L), (M, B)
        # Row (m, b, position) of the (M·B·L, D) inputs each cell step reads: (2M, L, B).
        rows = (
            torch.arange(m, device=mask.device).view(m, 1, 1, 1) * b
            + torch.arange(b, device=mask.device).view(1, 1, b, 1)
        ) * length + order
        rows = rows.transpose(2, 3).reshape(-1)
        x = inputs.reshape(m * b * length, d).index_select(0, rows).view(2 * m, length, b, d)
        gates = _gate_order(h, inputs.device)
        w_ih = self.weight_ih.index_select(-1, gates).reshape(2 * m, d, 4 * h)
        w_hh = self.weight_hh.index_select(-1, gates).reshape(2 * m, h, 4 * h)
        bias = (self.bias_ih + self.bias_hh).index_select(-1, gates).reshape(2 * m, 4 * h)
        cell_lengths = lengths.repeat_interleave(2, dim=0)  # (2M, B)
        final, seq = _LSTMRecurrence.apply(x, w_ih, bias, w_hh, cell_lengths, return_sequence)
        final = final.view(m, 2, h, b).permute(0, 3, 1, 2).reshape(m, b, 2 * h)
        if not return_sequence:
            return final, None
        # seq (2M, B, L, H): step j of a cell ran on token order[..., j]; gather, for every
        # (m, b, token, direction), the row of the step that read that token.
        step_of_token = order.argsort(dim=-1)  # (M, 2, B, L)
        cell = torch.arange(2 * m, device=mask.device).view(m, 2, 1, 1)
        src = (cell * b + torch.arange(b, device=mask.device).view(1, 1, b, 1)) * length
        src = (src + step_of_token).permute(0, 2, 3, 1).reshape(-1)  # (M, B, L, 2)
        seq = seq.reshape(2 * m * b * length, h).index_select(0, src)
        return final, seq.view(m, b, length, 2 * h)


def _step_order(mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For ``mask (M, B, L)``: the token positions each direction's cell visits, ``(M, 2, B, L)``
    (direction 0: the real positions in order, direction 1: in reverse order; then the padded
    ones), and the number of real tokens ``(M, B)``.

    A padded step leaves the state unchanged, so skipping it gives the same result; putting the
    real tokens first makes every cell's real steps a prefix of the loop. Then no step needs a
    mask (a cell's steps past its length are never read: its final state is taken at its length
    and its later outputs are zeroed), which halves the elementwise work of a step.
    """
    length = mask.shape[-1]
    pos = torch.arange(length, device=mask.device)
    later = length + pos  # padded positions sort after every real one, in order
    forward = torch.where(mask, pos, later).argsort(dim=-1)
    backward = torch.where(mask, -pos, later).argsort(dim=-1)
    return torch.stack([forward, backward], dim=1), mask.sum(dim=-1)


def _gate_order(units: int, device: torch.device) -> torch.Tensor:
    """Indices that reorder the 4H gate axis from ``torch.nn.LSTM``'s ``i, f, g, o`` (the
    parameters' layout) to ``o, i, f, g``, the recurrence's: in the backward the gradient of
    ``o`` is scaled by the output's gradient and those of ``i, f, g`` by the cell's, one block
    each (one ``mul`` per block and step)."""
    h = units
    return torch.cat(
        [torch.arange(3 * h, 4 * h), torch.arange(0, 2 * h), torch.arange(2 * h, 3 * h)]
    ).to(device)


def _tanh_into(x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """``out = tanh(x) = 2·sigmoid(2x) − 1``: torch's CPU ``tanh`` measured ~10× slower than its
    ``sigmoid`` on these (N, H, B) blocks (118 vs 12 µs for 51,200 floats, one thread)."""
    return torch.sigmoid(torch.mul(x, 2, out=out), out=out).mul_(2).sub_(1)


class _LSTMRecurrence(torch.autograd.Function):
    """N independent LSTM cells, each over its first ``lengths`` steps, with a hand-written
    backward.

    Arguments: ``x (N, L, B, D)`` inputs, ``w_ih (N, D, 4H)``, ``bias (N, 4H)``, ``w_hh
    (N, H, 4H)`` (gate order ``o, i, f, g``, see ``_gate_order``), ``lengths (N, B)`` real
    steps per sequence (its real steps come first, see ``_step_order``), ``want_sequence``.
    Returns ``final (N, H, B)``, each sequence's state after its last real step
    (0 for an empty one), and, if asked, ``sequence (N, B, L, H)``: the state after each step,
    0 past the sequence's length (else an empty tensor).

    Why by hand: under autograd each of the L steps' backward allocated and zero-filled a
    gradient the size of all L steps (``SelectBackward``: O(L²) memory traffic, two thirds of
    the BiLSTM's time), and every small op kept its own saved tensors and backward node. Here:

    * states are feature-major, ``(N, H, B)``: each gate of each cell is one contiguous block
      of H·B numbers, so every elementwise op runs over long contiguous runs;
    * real steps come first, so no step is masked: steps past a sequence's length compute
      values that are never read and receive exactly zero gradient;
    * the forward writes activations and states into preallocated ``(N, L, …)`` buffers; the
      backward first computes everything that does not depend on the recursion (gate
      derivatives) in a few whole-sequence ops, leaving five small elementwise ops, one ``bmm``
      and one accumulating ``baddbmm`` (dW_hh) per step, and gets dW_ih from ONE gemm over all
      steps.

    Same arithmetic as the autograd version (tested against it in float64); per cell
    independent, so stacked equals alone.
    """

    @staticmethod
    def forward(ctx, x, w_ih, bias, w_hh, lengths, want_sequence):  # type: ignore[override]
        n, length, b, d = x.shape
        h4 = w_ih.shape[-1]
        h = h4 // 4

        # All input projections at once: (N, 4H, D) x (N, D, L·B) -> (N, 4H, L, B).
        proj = torch.baddbmm(
            bias.unsqueeze(2),
            w_ih.transpose(1, 2),
            x.reshape(n, length * b, d).transpose(1, 2),
            out=x.new_empty(n, h4, length * b),
        ).view(n, h4, length, b)
        w_hh_t = w_hh.transpose(1, 2)  # (N, 4H, H)
        hs = x.new_empty(n, length + 1, h, b)  # hs[:, t] = state before step t
        cs = x.new_empty(n, length + 1, h, b)
        hs[:, 0] = 0
        cs[:, 0] = 0
        acts = x.new_empty(n, length, h4, b)  # sigmoid(o, i, f), tanh(g)
        tanh_c = x.new_empty(n, length, h, b)  # tanh of each step's cell
        gates = x.new_empty(n, h4, b)
        for t in range(length):
            torch.baddbmm(proj[:, :, t], w_hh_t, hs[:, t], out=gates)
            a = acts[:, t]
            torch.sigmoid(gates[:, : 3 * h], out=a[:, : 3 * h])
            _tanh_into(gates[:, 3 * h :], out=a[:, 3 * h :])
            o, i, f, g = a[:, :h], a[:, h : 2 * h], a[:, 2 * h : 3 * h], a[:, 3 * h :]
            c = torch.mul(f, cs[:, t], out=cs[:, t + 1]).addcmul_(i, g)
            torch.mul(o, _tanh_into(c, out=tanh_c[:, t]), out=hs[:, t + 1])
        ctx.save_for_backward(x, w_ih, w_hh, lengths, hs, cs, acts, tanh_c)
        final = hs.gather(1, lengths.view(n, 1, 1, b).expand(n, 1, h, b)).squeeze(1)
        if not want_sequence:
            return final, x.new_empty(0)
        # (N, B, L, H) memory layout: the caller gathers rows of H from it.
        sequence = x.new_empty(n, b, length, h)
        real = _real_steps(lengths, length, x.dtype)
        torch.mul(hs[:, 1:], real, out=sequence.permute(0, 2, 3, 1))
        return final, sequence

    @staticmethod
    def backward(ctx, grad_final, grad_sequence):  # type: ignore[override]
        x, w_ih, w_hh, lengths, hs, cs, acts, tanh_c = ctx.saved_tensors
        n, length, h4, b = acts.shape
        h = h4 // 4
        grad_h = _outside_grad(acts, lengths, grad_final, grad_sequence)
        # dloss/d(gate pre-activations), (N, 4H, L, B): one gemm over all steps gives dW_ih.
        # Each step's block is built contiguous (dp) for its two gemms, then stored once.
        d_pre = acts.new_empty(n, h4, length, b)
        grad_w_hh_t = acts.new_zeros(n, h4, h)
        dh = acts.new_zeros(n, h, b)
        dc = acts.new_zeros(n, h, b)
        dp = acts.new_empty(n, h4, b)
        q = acts.new_empty(n, h4, b)
        slope = acts.new_empty(n, 3 * h, b)
        c_from_h = acts.new_empty(n, h, b)
        for t in range(length - 1, -1, -1):
            # The step's gate derivatives (no recursion in them), computed here rather than
            # for all steps at once: step-sized blocks stay in cache. With u = dloss/dc and
            # a = dloss/dh: dloss/d(pre-activation) = a·q for o and u·q for i, f, g.
            step = acts[:, t]
            sig, i, f, g = (
                step[:, : 3 * h],
                step[:, h : 2 * h],
                step[:, 2 * h : 3 * h],
                step[:, 3 * h :],
            )
            o, tanh_ct = step[:, :h], tanh_c[:, t]
            torch.mul(sig, sig, out=slope).neg_().add_(sig)  # sigmoid' = s·(1 - s)
            torch.mul(tanh_ct, slope[:, :h], out=q[:, :h])
            torch.mul(g, slope[:, h : 2 * h], out=q[:, h : 2 * h])
            torch.mul(cs[:, t], slope[:, 2 * h :], out=q[:, 2 * h : 3 * h])
            g_slope = torch.mul(g, g, out=slope[:, :h]).neg_().add_(1)  # tanh' = 1 - tanh²
            torch.mul(i, g_slope, out=q[:, 3 * h :])
            # dc/dh through h = o·tanh(c): o·(1 - tanh²(c))
            torch.mul(tanh_ct, tanh_ct, out=c_from_h).neg_().add_(1).mul_(o)
            a = dh + grad_h[:, t + 1]
            u = torch.addcmul(dc, a, c_from_h)
            torch.mul(a, q[:, :h], out=dp[:, :h])
            torch.mul(u.unsqueeze(1), q[:, h:].view(n, 3, h, b), out=dp[:, h:].view(n, 3, h, b))
            if t > 0:
                dh = torch.bmm(w_hh, dp)
                dc = u * f
            grad_w_hh_t.baddbmm_(dp, hs[:, t].transpose(1, 2))
            d_pre[:, :, t] = dp
        flat = d_pre.view(n, h4, length * b)
        grad_w_ih = torch.bmm(x.reshape(n, length * b, -1).transpose(1, 2), flat.transpose(1, 2))
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = torch.bmm(flat.transpose(1, 2), w_ih.transpose(1, 2)).view_as(x)
        grad_bias = flat.sum(dim=2)
        return grad_x, grad_w_ih, grad_bias, grad_w_hh_t.transpose(1, 2), None, None


def _outside_grad(
    acts: torch.Tensor,
    lengths: torch.Tensor,
    grad_final: torch.Tensor | None,
    grad_sequence: torch.Tensor | None,
) -> torch.Tensor:
    """The gradient arriving at each state from outside the recursion, (N, L + 1, H, B): the
    sequence outputs (zero past a sequence's length) and the final state (at its length)."""
    n, length, h4, b = acts.shape
    h = h4 // 4
    grad_h = acts.new_empty(n, length + 1, h, b)
    if grad_sequence is not None and grad_sequence.numel():
        grad_h[:, 0] = 0
        torch.mul(
            grad_sequence.permute(0, 2, 3, 1),
            _real_steps(lengths, length, acts.dtype),
            out=grad_h[:, 1:],
        )
    else:
        grad_h.zero_()
    if grad_final is not None:
        at_length = lengths.view(n, 1, 1, b).expand(n, 1, h, b)
        grad_h.scatter_add_(1, at_length, grad_final.unsqueeze(1))
    return grad_h


def _real_steps(lengths: torch.Tensor, length: int, dtype: torch.dtype) -> torch.Tensor:
    """``(N, L, 1, B)``: 1 at the steps before each sequence's length, else 0."""
    n, b = lengths.shape
    steps = torch.arange(length, device=lengths.device).view(1, length, 1, 1)
    return (steps < lengths.view(n, 1, 1, b)).to(dtype)


def _reference_bilstm_forward(
    lstm: StackedBiLSTM, inputs: torch.Tensor, mask: torch.Tensor, return_sequence: bool = False
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``StackedBiLSTM.forward`` as this project ran it before the hand-written recurrence (plain
    autograd ops, ``steps[t]`` indexing): the reference the new one is tested against in float64
    and that ``benchmarks/sequence_speed.py`` times as "before". Not used in training."""
    m, b, length, d = inputs.shape
    h = lstm.units
    w_ih = lstm.weight_ih.permute(0, 2, 1, 3).reshape(m, d, 8 * h)
    bias = (lstm.bias_ih + lstm.bias_hh).reshape(m, 1, 8 * h)
    proj = torch.baddbmm(bias, inputs.reshape(m, b * length, d), w_ih)
    proj = proj.view(m, b, length, 2, 4 * h)
    steps = torch.stack([proj[..., 0, :], proj[..., 1, :].flip(2)], dim=1)
    steps = steps.permute(3, 0, 1, 2, 4).reshape(length, 2 * m, b, 4 * h)
    keep = torch.stack([mask, mask.flip(2)], dim=1).permute(3, 0, 1, 2)
    keep = keep.reshape(length, 2 * m, b, 1)
    w_hh = lstm.weight_hh.reshape(2 * m, h, 4 * h)

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
    fwd = seq[:, :, 0].permute(1, 2, 0, 3)
    bwd = seq[:, :, 1].permute(1, 2, 0, 3).flip(2)
    return final, torch.cat([fwd, bwd], dim=-1)


class BiLSTMEncoder(StackedEncoder):
    """Embedding → BiLSTM → ``[h_fwd_final ; h_bwd_final]``."""

    def build_layers(
        self, generators: Sequence[torch.Generator], spec: Any, units: int, dtype: torch.dtype
    ) -> int:
        self.lstm = StackedBiLSTM(self.n_models, generators, self.embedding.dim, units, dtype)
        return self.lstm.out_dim

    def encode(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.lstm(h, mask)[0]


@register
class BiLSTM(SequenceFamily):
    name = "bilstm"
    encoder_class = BiLSTMEncoder
