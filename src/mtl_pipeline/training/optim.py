"""Adam over stacked parameters with per-model (and per-head) step counts and update masks.

Same maths as ``torch.optim.Adam`` with its defaults (betas 0.9/0.999, eps 1e-8, no weight
decay, no amsgrad). Each (model, group) has its own step count; a (model, group) whose update
mask is False on a step is left exactly as it was (weights, both moments, step count), which is
what a padded step or an unscheduled head needs: it behaves like a parameter whose ``.grad`` is
None in PyTorch.

Two implementations:
* ``fused`` (default): ``torch._fused_adam_`` — PyTorch's own single-pass Adam kernel (CPU and
  CUDA). When every model of a group steps and all have taken the same number of steps (the
  usual case: equal epochs, no masked step so far), the group's stacked tensors are passed
  whole, one list entry per parameter with one shared step count; otherwise per-model views,
  each with its own step tensor, masked-out models left out of the lists. Either way one
  multi-tensor launch updates every model, with the same per-element arithmetic.
* ``vectorised``: plain tensor ops with ``torch.where`` masks over the stacked tensors; used
  where no fused kernel exists and as an independent check in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn


class StackedAdam:
    """Adam for parameters whose leading dim is the model index M."""

    def __init__(
        self,
        params: Sequence[tuple[nn.Parameter, int]],
        n_models: int,
        n_groups: int,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        impl: str = "auto",
    ) -> None:
        if impl not in ("auto", "fused", "vectorised"):
            raise ValueError(f"impl must be 'auto', 'fused' or 'vectorised', got {impl!r}")
        self.params = [p for p, _ in params]
        self.groups = [g for _, g in params]
        self.M, self.G = n_models, n_groups
        self.lr, self.betas, self.eps = float(lr), betas, float(eps)
        device = self.params[0].device
        if impl == "auto":
            impl = "fused" if device.type in ("cpu", "cuda") else "vectorised"
        self.impl = impl
        for p in self.params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.steps = torch.zeros((n_models, n_groups), device=device, dtype=torch.float32)
        # host mirror of the step counts: which groups can be passed whole (no device sync)
        self._steps_host = np.zeros((n_models, n_groups), dtype=np.int64)
        # per-model views (stable: the stacked tensors and grad buffers are never re-allocated)
        self._views = []  # per param: (p views, g views, m views, v views, step views)
        for p, g, m, v, grp in zip(
            self.params, self.grads, self.exp_avg, self.exp_avg_sq, self.groups, strict=True
        ):
            self._views.append(
                (
                    p.detach().unbind(0),
                    g.unbind(0),
                    m.unbind(0),
                    v.unbind(0),
                    self.steps[:, grp].unbind(0),
                )
            )
        # parameters the fused kernel may take whole: on CUDA all; on the CPU, whose kernel
        # rounds its vectorised body and its scalar tail differently, only those whose per-model
        # block is whole vectors (numel a multiple of 64), so that every element takes the same
        # path as in a per-model view and results stay bit for bit those of per-model views
        self._can_stack = np.array(
            [device.type != "cpu" or p[0].numel() % 64 == 0 for p in self.params], dtype=bool
        )
        self._cache: dict[bytes, tuple[list, ...]] = {}

    @property
    def grads(self) -> list[torch.Tensor]:
        return [p.grad for p in self.params]

    def zero_grad(self, skip: Sequence[torch.Tensor] = ()) -> None:
        """Zero the persistent gradient buffers (except those written whole by hand)."""
        skip_ids = {id(t) for t in skip}
        torch._foreach_zero_([p.grad for p in self.params if id(p) not in skip_ids])

    def _lists(self, update: np.ndarray | None, whole: np.ndarray) -> tuple[list, ...]:
        """Tensor lists for the fused kernel; ``whole``: (G,) bool, groups passed stacked."""
        key = (b"all" if update is None else update.tobytes()) + whole.tobytes()
        if key not in self._cache:
            if len(self._cache) > 256:
                self._cache.clear()
            P, Gs, Ms, Vs, Ss = [], [], [], [], []
            for i, ((pv, gv, mv, vv, sv), grp) in enumerate(
                zip(self._views, self.groups, strict=True)
            ):
                if whole[grp] and self._can_stack[i]:  # every model, one step count
                    P.append(self.params[i].detach())
                    Gs.append(self.params[i].grad)
                    Ms.append(self.exp_avg[i])
                    Vs.append(self.exp_avg_sq[i])
                    Ss.append(sv[0])
                    continue
                sel = range(self.M) if update is None else np.flatnonzero(update[:, grp])
                for m in sel:
                    P.append(pv[m])
                    Gs.append(gv[m])
                    Ms.append(mv[m])
                    Vs.append(vv[m])
                    Ss.append(sv[m])
            self._cache[key] = (P, Gs, Ms, Vs, Ss)
        return self._cache[key]

    @torch.no_grad()
    def step(
        self, update: torch.Tensor | None = None, update_host: np.ndarray | None = None
    ) -> None:
        """One Adam step. update: (M, G) bool on device (None = all); update_host: same, numpy."""
        if update is not None and update_host is None:
            raise ValueError("StackedAdam.step: an update mask needs its host copy update_host")
        if update is None:
            self.steps += 1.0
        else:
            self.steps += update.to(self.steps.dtype)
        host = None if update is None or update_host.all() else np.asarray(update_host, bool)
        self._steps_host += 1 if host is None else host
        if self.impl == "fused":
            counts = self._steps_host
            stepped = np.ones(self.G, bool) if host is None else host.all(axis=0)
            whole = stepped & (counts == counts[:1]).all(axis=0)
            P, Gs, Ms, Vs, Ss = self._lists(host, whole)
            if not P:
                return
            torch._fused_adam_(
                P, Gs, Ms, Vs, [], Ss,
                amsgrad=False, lr=self.lr, beta1=self.betas[0], beta2=self.betas[1],
                weight_decay=0.0, eps=self.eps, maximize=False, grad_scale=None, found_inf=None,
            )  # fmt: skip
            return
        b1, b2 = self.betas
        for p, g, m, v, grp in zip(
            self.params, self.grads, self.exp_avg, self.exp_avg_sq, self.groups, strict=True
        ):
            shape = (self.M,) + (1,) * (p.dim() - 1)
            step = self.steps[:, grp].to(p.dtype).view(shape)
            mask = (
                torch.ones(shape, dtype=torch.bool, device=p.device)
                if update is None
                else update[:, grp].view(shape)
            )
            m_new = torch.lerp(m, g, 1 - b1)
            v_new = v * b2 + (1 - b2) * g * g
            bc1 = 1 - b1**step
            bc2_sqrt = (1 - b2**step).sqrt()
            denom = v_new.sqrt() / bc2_sqrt + self.eps
            p_new = p - (self.lr / bc1) * m_new / denom
            m.copy_(torch.where(mask, m_new, m))
            v.copy_(torch.where(mask, v_new, v))
            p.copy_(torch.where(mask, p_new, p))
