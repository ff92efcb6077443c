"""Classification metrics vectorised over stacked models (torch, on the training device).

Computed on-device so that per-epoch evaluation of thousands of models needs no host sync.
F1 follows sklearn.metrics.f1_score with zero_division=0: binary F1 of the positive class, and
macro F1 averaged over the classes present in y_true or y_pred.
"""

from __future__ import annotations

import torch


def confusion_counts(
    pred: torch.Tensor, labels: torch.Tensor, n_classes: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """tp, fp, fn per model and class, shape (M, C); rows with label -1 are ignored."""
    valid = labels >= 0
    classes = torch.arange(n_classes, device=pred.device).view(1, 1, n_classes)
    p = (pred.unsqueeze(-1) == classes) & valid.unsqueeze(-1)
    y = (labels.unsqueeze(-1) == classes) & valid.unsqueeze(-1)
    tp = (p & y).sum(dim=1)
    fp = (p & ~y).sum(dim=1)
    fn = (~p & y).sum(dim=1)
    return tp, fp, fn


def f1_scores(
    pred: torch.Tensor, labels: torch.Tensor, n_classes: int, positive_class: torch.Tensor | int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(accuracy, binary F1 of positive_class, macro F1), each (M,), float64.

    pred, labels: (M, N) int64; labels -1 = padding. positive_class: int or (M,) int64.
    """
    tp, fp, fn = (x.to(torch.float64) for x in confusion_counts(pred, labels, n_classes))
    denom = 2 * tp + fp + fn
    f1 = torch.where(denom > 0, 2 * tp / denom.clamp(min=1), torch.zeros_like(tp))
    present = denom > 0
    macro = (f1 * present).sum(dim=1) / present.sum(dim=1).clamp(min=1)
    if isinstance(positive_class, int):
        binary = f1[:, positive_class]
    else:
        binary = f1.gather(1, positive_class.view(-1, 1).to(f1.device)).squeeze(1)
    valid = (labels >= 0).sum(dim=1).to(torch.float64)
    acc = ((pred == labels) & (labels >= 0)).sum(dim=1).to(torch.float64) / valid.clamp(min=1)
    return acc, binary, macro
