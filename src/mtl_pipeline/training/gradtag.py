"""A gradient-based estimate of a pair's MTL gain from its warm-up model, after Grad-TAG.

Grad-TAG (Li, Sharma & Zhang, KDD 2024; code ``VirtuosoResearch/ScalableMTL``,
``fast_estimate_*``) estimates what training on a task subset would give without training it:
the model is linearised around a shared base model, f(x; θ₀ + δ) ≈ f(x; θ₀) + ∇_θ f(x; θ₀)·δ,
the per-sample gradients are randomly projected to a few dimensions, and a logistic regression
on them, fitted on the subset's samples, is the fine-tuned model of that subset; its loss on the
target task's samples is the estimate.

Here the base model is a pair's two-task MTL model at the end of its joint warm-up (the same
models TAG's affinity is measured on), and the subsets are {main} and {main, auxiliary}:

- each training sample of task t gets its output margin m = logit₁ − logit₀ of task t's head and
  the gradient of m with respect to the **shared** layers (a step of δ there is the only way the
  auxiliary task reaches the main task's predictions); for a layer a = h·W + b that gradient is
  the outer product [h, 1] ⊗ ∂m/∂a, projected by a seeded Kronecker product of two Gaussian
  matrices, ([h, 1]·A) ⊗ (∂m/∂a·B), k·k values per layer (k = ``projection_dim``): inner products
  of the full gradients are kept in expectation, and the 10,000-term first layer costs one
  sparse product of the inputs with A;
- the linearised model m(δ) = m₀ + g·δ is fitted by L2-regularised logistic regression with the
  base margins as offsets (batched Newton steps with a backtracking line search), on (a) the
  main task's training samples alone and (b) those plus the auxiliary task's, each task's loss
  averaged over its samples as in the joint training step;
- both fits are scored on a held-out share of the main task's **training** rows (never the test
  rows the real gain is measured on). Estimated gain: loss(a) − loss(b), and accuracy(b) −
  accuracy(a): positive when the auxiliary task's gradients move the shared layers in a way that
  helps the main task.

The held-out rows were seen by the warm-up (it trains on all training rows), as both fits share
that base: the estimate is a comparison of the two fits, not an unbiased loss. The ridge
strength is relative to the gradients' scale (``l2`` × the mean squared feature of the main
fit's samples), so that it means the same for any layer width or warm-up length.

:class:`GradTagProbe` is a probe of the stacked trainer with no per-step work: its ``finish``
runs once, after a chunk's last epoch, on the trained models, and changes nothing in them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .families.mlp import MLPTrunk
from .inputs import SparseBatch

#: Columns the probe adds per model (main task = slot 0, auxiliary = slot 1).
GRADTAG_COLUMNS = ("gradtag_loss_gain", "gradtag_accuracy_gain")
#: Candidate step sizes of the line search: 1, 1/2, ..., 1/512 of the Newton step.
LINE_SEARCH_STEPS = 10


@dataclass(frozen=True)
class GradTagSettings:
    """What decides the estimate besides the warm-up model (all enter the store fingerprint)."""

    projection_dim: int = 8  # k: k·k projected values per shared layer
    l2: float = 1.0  # ridge strength relative to the gradients' scale
    holdout_share: float = 0.3  # share of the main task's training rows held out for scoring
    newton_steps: int = 10
    seed: int = 0  # the projection matrices and the held-out rows

    def __post_init__(self) -> None:
        if int(self.projection_dim) < 1:
            raise ValueError(f"gradtag projection_dim must be >= 1, got {self.projection_dim}")
        if not self.l2 > 0:
            raise ValueError(f"gradtag l2 must be > 0, got {self.l2}")
        if not 0 < self.holdout_share < 1:
            raise ValueError(f"gradtag holdout_share must be in (0, 1), got {self.holdout_share}")
        if int(self.newton_steps) < 1:
            raise ValueError(f"gradtag newton_steps must be >= 1, got {self.newton_steps}")
        if int(self.seed) < 0:
            raise ValueError(f"gradtag seed must be >= 0, got {self.seed}")


def _padded(rows: Sequence[np.ndarray], labels: Sequence[np.ndarray], pad_row: int):
    """(M, R) rows (``pad_row`` on padding) and labels (-1 on padding) of ragged per-model sets."""
    width = max(1, max(len(r) for r in rows))
    out_rows = np.full((len(rows), width), pad_row, dtype=np.int64)
    out_labels = np.full((len(rows), width), -1, dtype=np.int64)
    for m, (r, y) in enumerate(zip(rows, labels, strict=True)):
        out_rows[m, : len(r)] = r
        out_labels[m, : len(y)] = y
    return out_rows, out_labels


class GradTagProbe:
    """The Grad-TAG-style gain estimate of M two-task MLPs, computed once after training."""

    columns = GRADTAG_COLUMNS

    def __init__(self, n_models: int, settings: GradTagSettings) -> None:
        self.n_models = n_models
        self.settings = settings
        self.values: np.ndarray | None = None

    def observe(self, *args, **kwargs) -> None:
        """Nothing per training step: the estimate needs only the trained (warm-up) model."""

    # ------------------------------------------------------------------ the data of a chunk
    def _split(self, jobs, pad_row: int):
        """Per model: the main task's rows fitted on and held out (seeded by the settings' seed
        and the model's own seed), and the auxiliary task's rows; labelled rows only."""
        fit, fit_y, hold, hold_y, aux, aux_y = [], [], [], [], [], []
        for job in jobs:
            main, other = job.tasks
            keep = main.train_labels >= 0
            rows, labels = main.train_rows[keep], main.train_labels[keep]
            order = np.random.default_rng([int(self.settings.seed), int(job.random_seed)])
            order = order.permutation(len(rows))
            n_hold = min(len(rows) - 1, max(1, round(self.settings.holdout_share * len(rows))))
            hold.append(rows[order[:n_hold]])
            hold_y.append(labels[order[:n_hold]])
            fit.append(rows[order[n_hold:]])
            fit_y.append(labels[order[n_hold:]])
            # a held-out row is unseen by both fits, also as an auxiliary sample (the same
            # document under another task's label would leak it)
            keep = (other.train_labels >= 0) & ~np.isin(other.train_rows, hold[-1])
            aux.append(other.train_rows[keep])
            aux_y.append(other.train_labels[keep])
        return (
            _padded(fit, fit_y, pad_row),
            _padded(hold, hold_y, pad_row),
            _padded(aux, aux_y, pad_row),
        )

    def _projections(self, net) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per shared layer, (A, B): (d_in + 1, k) and (d_out, k) Gaussians of variance 1/k,
        drawn on the CPU from the settings' seed (the same on every device and for every
        model), so that the projected inner products estimate the full gradients' ones."""
        k = int(self.settings.projection_dim)
        generator = torch.Generator(device="cpu").manual_seed(int(self.settings.seed))
        weight = net.weights[0]
        out = []
        for w in net.weights:
            d_in, d_out = w.shape[1], w.shape[2]
            a = torch.randn(d_in + 1, k, generator=generator, dtype=torch.float64) / k**0.5
            b = torch.randn(d_out, k, generator=generator, dtype=torch.float64) / k**0.5
            out.append((a.to(weight.device, weight.dtype), b.to(weight.device, weight.dtype)))
        return out

    @staticmethod
    def _project_inputs(x, dim: int, a: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
        """[x, 1]·A for a batch of input rows (sparse bags or dense), (M, R, k)."""
        if isinstance(x, SparseBatch):
            flat = F.embedding_bag(
                x.cols % dim, a[:dim], x.offsets, mode="sum", per_sample_weights=x.vals
            )
            projected = flat.view(*shape, -1)
        else:
            projected = torch.matmul(x, a[:dim])
        return projected + a[dim]

    def _features(self, net, inp, rows_host: np.ndarray, slot: int, projections):
        """Base margins (M, R) of task ``slot``'s head and the projected gradients (M, R, D) of
        those margins with respect to the shared layers, for the rows ``rows_host``."""
        M, R = rows_host.shape
        rows = torch.as_tensor(rows_host, device=net.weights[0].device)
        x = inp.gather(rows, inp.nnz_of(rows_host))
        with torch.enable_grad():
            h0 = net.first_layer(x)  # the detached weight: no graph through the inputs
            pre = (h0 + net.biases[0].detach().unsqueeze(1)).requires_grad_(True)
            pre_activations = [pre]
            layer_inputs = [self._project_inputs(x, inp.dim, projections[0][0], (M, R))]
            h = net.act(pre)
            for i in range(1, len(net.weights)):
                a = projections[i][0]
                layer_inputs.append(torch.matmul(h.detach(), a[:-1]) + a[-1])
                pre = torch.baddbmm(net.biases[i].detach().unsqueeze(1), h, net.weights[i].detach())
                pre_activations.append(pre)
                h = net.act(pre)
            logits = net.heads(h, None)[slot]
            margin = logits[..., 1] - logits[..., 0]
            # one sample's margin depends on its own activations only: the gradient of the sum
            # with respect to the (M, R, H) activations holds every sample's own gradient
            deltas = torch.autograd.grad(margin.sum(), pre_activations)
        parts = [
            (inputs.unsqueeze(-1) * torch.matmul(delta, b).unsqueeze(-2)).flatten(2)
            for inputs, delta, (_, b) in zip(layer_inputs, deltas, projections, strict=True)
        ]
        return margin.detach().to(torch.float64), torch.cat(parts, dim=-1).to(torch.float64)

    # ------------------------------------------------------------------ the estimate
    def finish(self, net, inp, jobs) -> None:
        """Compute the estimate of every model of the chunk from its trained state."""
        if not isinstance(net.trunk, MLPTrunk) or net.trunk.n_trunks != 1:
            raise ValueError("the Grad-TAG estimate needs hard-sharing MLP models")
        for job in jobs:
            if len(job.tasks) != 2 or any(t.n_classes != 2 for t in job.tasks):
                raise ValueError(
                    f"the Grad-TAG estimate needs two two-class tasks; model {job.model_id!r} "
                    f"has classes {[t.n_classes for t in job.tasks]}"
                )
        projections = self._projections(net)
        (fit, fit_y), (hold, hold_y), (aux, aux_y) = self._split(jobs, inp.pad_row)
        was_training = net.training
        net.eval()
        try:
            fit_m, fit_g = self._features(net, inp, fit, 0, projections)
            hold_m, hold_g = self._features(net, inp, hold, 0, projections)
            aux_m, aux_g = self._features(net, inp, aux, 1, projections)
        finally:
            net.train(was_training)
        device = fit_g.device
        fit_y, hold_y, aux_y = (torch.as_tensor(y, device=device) for y in (fit_y, hold_y, aux_y))
        fit_w, aux_w = _mean_weights(fit_y), _mean_weights(aux_y)
        scale = ((fit_g**2).sum(-1) * fit_w).sum(1)  # mean squared gradient norm, (M,)
        ridge = float(self.settings.l2) * scale.clamp(min=1e-30) / fit_g.shape[-1]
        steps = int(self.settings.newton_steps)
        alone = _fit_logistic(fit_g, fit_m, fit_y, fit_w, ridge, steps)
        joint = _fit_logistic(
            torch.cat([fit_g, aux_g], 1),
            torch.cat([fit_m, aux_m], 1),
            torch.cat([fit_y, aux_y], 1),
            torch.cat([fit_w, aux_w], 1),
            ridge,
            steps,
        )
        loss_a, acc_a = _scores(hold_g, hold_m, hold_y, alone)
        loss_b, acc_b = _scores(hold_g, hold_m, hold_y, joint)
        self.values = torch.stack([loss_a - loss_b, acc_b - acc_a], 1).cpu().numpy()

    def result(self) -> np.ndarray:
        """(M, 2) estimates (NaN before ``finish``)."""
        if self.values is None:
            return np.full((self.n_models, len(GRADTAG_COLUMNS)), np.nan)
        return self.values


def _mean_weights(labels: torch.Tensor) -> torch.Tensor:
    """Per-sample weights that average a loss over each model's labelled rows (0 on padding)."""
    mask = (labels >= 0).to(torch.float64)
    return mask / mask.sum(1, keepdim=True).clamp(min=1)


def _objective(g, offsets, labels, weights, ridge, deltas):
    """Weighted logistic loss + ridge of candidate ``deltas`` (M, C, D) → (M, C)."""
    z = offsets.unsqueeze(1) + torch.einsum("mnd,mcd->mcn", g, deltas)
    y = labels.clamp(min=0).to(z.dtype).unsqueeze(1)
    loss = (weights.unsqueeze(1) * (F.softplus(z) - y * z)).sum(-1)
    return loss + 0.5 * ridge.unsqueeze(1) * (deltas**2).sum(-1)


def _fit_logistic(g, offsets, labels, weights, ridge, steps: int) -> torch.Tensor:
    """argmin_δ Σ_n w_n·BCE(y_n, m_n + g_n·δ) + ridge/2·|δ|², per model: Newton steps, each
    shortened (1, 1/2, ..., 1/512) to the first that lowers the objective (kept otherwise)."""
    M, _, D = g.shape
    delta = torch.zeros((M, D), dtype=g.dtype, device=g.device)
    eye = torch.eye(D, dtype=g.dtype, device=g.device)
    y = labels.clamp(min=0).to(g.dtype)
    shrink = 0.5 ** torch.arange(LINE_SEARCH_STEPS, dtype=g.dtype, device=g.device)
    for _ in range(steps):
        z = offsets + torch.einsum("mnd,md->mn", g, delta)
        p = torch.sigmoid(z)
        gradient = torch.einsum("mnd,mn->md", g, weights * (p - y)) + ridge[:, None] * delta
        curvature = weights * p * (1 - p)
        hessian = torch.einsum("mnd,mn,mne->mde", g, curvature, g) + ridge[:, None, None] * eye
        step = torch.linalg.solve(hessian, gradient)
        candidates = delta.unsqueeze(1) - shrink[None, :, None] * step.unsqueeze(1)
        now = _objective(g, offsets, labels, weights, ridge, delta.unsqueeze(1))
        tried = _objective(g, offsets, labels, weights, ridge, candidates)
        better = tried < now
        first = torch.where(better.any(1), better.to(torch.int64).argmax(1), -1)
        chosen = candidates[torch.arange(M, device=g.device), first.clamp(min=0)]
        delta = torch.where((first >= 0).unsqueeze(1), chosen, delta)
    return delta


def _scores(g, offsets, labels, delta) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean logistic loss and accuracy (M,) of the linearised model on the labelled rows."""
    z = offsets + torch.einsum("mnd,md->mn", g, delta)
    mask = labels >= 0
    y = labels.clamp(min=0).to(z.dtype)
    n = mask.sum(1).clamp(min=1).to(z.dtype)
    loss = torch.where(mask, F.softplus(z) - y * z, 0.0).sum(1) / n
    correct = ((z > 0).to(z.dtype) == y) & mask
    return loss, correct.to(z.dtype).sum(1) / n
