"""Inter-task affinity and gradient cosine of two-task models, measured while they train.

TAG (Fifty et al. 2021, "Efficiently identifying task groupings in multi-task learning"): the
affinity of task *j* onto task *i* at a step is the relative change of task *i*'s loss on the
step's batch after a lookahead SGD step on task *j*'s gradient in the shared layers only,

    Z_{j→i} = 1 − L_i(θ_s − η ∇_{θ_s} L_j, θ_i) / L_i(θ_s, θ_i),

positive when a step for *j* also lowers *i*'s loss. Averaged over the steps of a short joint
warm-up. The cosine between the two tasks' shared-layer gradients (all shared parameters
flattened into one vector per model) is averaged over the same steps.

:class:`TaskAffinityProbe` is handed to the stacked trainer (``train_stacked(probe=...)``),
which calls it at every training step with the step's batch, before the optimizer step: all
quantities are computed for every model of a chunk at once (the shared parameters carry the
model dimension first), and the lookahead substitutes the stepped parameters without writing them, so that training
with the probe gives the same curves as without it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .losses import masked_cross_entropy

#: Columns a probe adds per model (``train_stacked(...).probes``): main task = slot 0.
AFFINITY_COLUMNS = ("affinity_aux_to_main", "affinity_main_to_aux", "grad_cosine")


class TaskAffinityProbe:
    """Accumulates TAG affinities and gradient cosines of M two-task models over steps."""

    columns = AFFINITY_COLUMNS

    def __init__(self, n_models: int, lookahead_lr: float) -> None:
        if lookahead_lr <= 0:
            raise ValueError(f"lookahead_lr must be > 0, got {lookahead_lr}")
        self.lookahead_lr = float(lookahead_lr)
        self.n_models = n_models
        # accumulated on the training device (made at the first step): no host sync per step
        self.sums: torch.Tensor | None = None
        self.counts: torch.Tensor | None = None

    def _task_gradients(self, net, trunk, losses: Sequence[torch.Tensor]) -> list[list]:
        """Per task, the shared-layer gradients of its loss (summed over models: each model's
        slice is its own gradient, the models being independent)."""
        first = net.trunk  # the MLP's first-layer gradient is written by hand from these
        h0, x = getattr(first, "_h0", None), getattr(first, "_x", None)
        grads = []
        for loss in losses:
            for p in trunk:
                p.grad.zero_()
            if h0 is not None:
                h0.grad = None
            loss.sum().backward(retain_graph=True)
            net.finish_backward()
            first._h0, first._x = h0, x  # kept for the trainer's own backward
            grads.append([p.grad.detach().clone() for p in trunk])
        if h0 is not None:
            h0.grad = None
        return grads

    @torch.no_grad()
    def _lookahead_loss(self, net, trunk, step_grads, x, labels, task, epoch, step):
        """Task ``task``'s loss after an SGD step on ``step_grads`` in the shared layers. The
        stepped parameters are substituted (torch.func.functional_call), never written in
        place: the step's graph is still needed by the trainer's own backward."""
        names = {id(p): n for n, p in net.named_parameters()}
        stepped = {
            names[id(p)]: p.detach() - self.lookahead_lr * g
            for p, g in zip(trunk, step_grads, strict=True)
        }
        logits = torch.func.functional_call(
            net, stepped, (x,), {"epoch": epoch, "step": step}, strict=False
        )  # same dropout masks as the measured step
        loss, _ = masked_cross_entropy(logits[task], labels[task])
        return loss

    def observe(
        self,
        net,
        x,
        losses: Sequence[torch.Tensor],
        counts: Sequence[torch.Tensor],
        labels: Sequence[torch.Tensor],
        epoch: int,
        step: int,
    ) -> None:
        """Measure one step: ``losses``/``counts``/``labels`` per task slot, (M,) / (M, R)."""
        if len(losses) != 2:
            raise ValueError(f"task affinity needs two-task models, got {len(losses)} task(s)")
        trunk = [p for p, group in net.param_groups() if group == 0]
        g_main, g_aux = self._task_gradients(net, trunk, losses)
        dot = sum((a * b).flatten(1).sum(1) for a, b in zip(g_main, g_aux, strict=True))
        n_main = torch.sqrt(sum((a * a).flatten(1).sum(1) for a in g_main))
        n_aux = torch.sqrt(sum((b * b).flatten(1).sum(1) for b in g_aux))
        both = (counts[0] > 0) & (counts[1] > 0) & (n_main > 0) & (n_aux > 0)
        cosine = dot / (n_main * n_aux).clamp(min=torch.finfo(dot.dtype).tiny)
        base = [loss.detach() for loss in losses]
        main_after = self._lookahead_loss(net, trunk, g_aux, x, labels, 0, epoch, step)
        aux_after = self._lookahead_loss(net, trunk, g_main, x, labels, 1, epoch, step)
        values = torch.stack(
            [
                1 - main_after / base[0].clamp(min=1e-12),
                1 - aux_after / base[1].clamp(min=1e-12),
                cosine,
            ],
            dim=1,
        )
        valid = (both & (base[0] > 0) & (base[1] > 0)).unsqueeze(1)
        v = values.detach().to(torch.float64)
        if self.sums is None:
            self.sums = torch.zeros(
                (self.n_models, len(AFFINITY_COLUMNS)), dtype=v.dtype, device=v.device
            )
            self.counts = torch.zeros_like(self.sums)
        self.sums += torch.where(valid, v, 0.0)
        self.counts += valid.to(v.dtype)

    def result(self) -> np.ndarray:
        """(M, 3) means over the observed steps (NaN for a model never observed)."""
        if self.sums is None:
            return np.full((self.n_models, len(AFFINITY_COLUMNS)), np.nan)
        sums, counts = self.sums.cpu().numpy(), self.counts.cpu().numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)

    @staticmethod
    def bytes_per_model(n_shared_params: int, itemsize: int) -> int:
        """Memory a model's probe adds to a training step: each task's shared-layer gradient
        (two clones) and the lookahead's stepped copy of the shared layers."""
        return 3 * n_shared_params * itemsize


def warmup_affinities(
    features: object,
    jobs: Sequence,
    model,
    warmup,
    lookahead_lr: float,
    device: str = "auto",
    chunk_size: int | None = None,
    progress: bool = False,
):
    """TAG affinities and gradient cosines of two-task jobs over a short joint warm-up.

    Trains the jobs for ``warmup.epochs`` epochs with the stacked trainer (the same models,
    initialisation and batches as the first epochs of their full training) with a
    :class:`TaskAffinityProbe` on every step. Returns one row per job: ``model_id``, ``seed``,
    the job's ``meta`` and :data:`AFFINITY_COLUMNS`.
    """
    from functools import partial

    from .trainer import train_stacked

    result = train_stacked(
        features,
        jobs,
        model,
        warmup,
        device=device,
        chunk_size=chunk_size,
        progress=progress,
        probe_factory=partial(TaskAffinityProbe, lookahead_lr=lookahead_lr),
    )
    return result.probes
