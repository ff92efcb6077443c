"""Per-step cost of Adam over per-model views: the private ``torch._fused_adam_`` on cached
lists (what ``training.optim.StackedAdam`` does) vs the public ``torch.optim.Adam(fused=True)``.

Why StackedAdam keeps the private kernel: the public optimizer walks every parameter in Python
on every step (state lookup, grad check), which for M models x P tensors views grows with M.
Shapes: an MLP 100 -> 100 -> 100 with two 2-class heads per model, no compute in the way.

  OMP_NUM_THREADS=1 python benchmarks/adam_public_vs_private.py --models 64
"""

import argparse
import time

import torch


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=64)
    ap.add_argument("--steps", type=int, default=50)
    M = ap.parse_args().models
    shapes = [(M, 100, 100), (M, 100), (M, 100, 100), (M, 100)] + [(M, 100, 2), (M, 2)] * 2
    torch.manual_seed(0)

    def per_model(tensors):
        return [v for t in tensors for v in t.unbind(0)]

    params = [torch.randn(s) for s in shapes]
    grads = [torch.randn(s) for s in shapes]
    exp_avg = [torch.zeros_like(p) for p in params]
    exp_avg_sq = [torch.zeros_like(p) for p in params]
    steps = torch.zeros(len(shapes), M)
    lists = (per_model(params), per_model(grads), per_model(exp_avg), per_model(exp_avg_sq))
    step_views = per_model([steps[i] for i in range(len(shapes))])

    def private() -> None:
        steps.add_(1)
        torch._fused_adam_(
            *lists, [], step_views, amsgrad=False, lr=1e-3, beta1=0.9, beta2=0.999,
            weight_decay=0.0, eps=1e-8, maximize=False, grad_scale=None, found_inf=None,
        )  # fmt: skip

    views = per_model([torch.randn(s) for s in shapes])
    for view, grad in zip(views, per_model([torch.randn(s) for s in shapes]), strict=True):
        view.grad = grad
    public = torch.optim.Adam(views, lr=1e-3, fused=True).step

    for name, step in (
        ("private torch._fused_adam_", private),
        ("public Adam(fused=True)", public),
    ):
        step()
        t0 = time.perf_counter()
        for _ in range(ap.parse_args().steps):
            step()
        ms = (time.perf_counter() - t0) / ap.parse_args().steps * 1e3
        print(f"{name:28s} {ms:7.2f} ms/step over {len(views)} per-model tensors")


if __name__ == "__main__":
    main()
