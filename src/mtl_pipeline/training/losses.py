"""Masked cross-entropy over stacked models (label -1 contributes nothing).

Used for pooled batches (a row unlabelled for a task), padded steps and padded test rows alike;
the mean is taken over labelled rows only so a half-labelled batch is not diluted.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def masked_cross_entropy(
    logits: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-model mean softmax cross-entropy over labelled rows.

    logits: (M, R, C); labels: (M, R) int64 with -1 = masked.
    Returns (loss (M,), n_labelled (M,)); a model with no labelled row gets loss 0 (and zero
    gradient), never NaN.
    """
    if logits.shape[:2] != labels.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and labels {tuple(labels.shape)} disagree")
    M, R, C = logits.shape
    per_row = F.cross_entropy(
        logits.reshape(M * R, C), labels.reshape(M * R), ignore_index=-1, reduction="none"
    ).view(M, R)
    count = (labels >= 0).sum(dim=1)
    loss = per_row.sum(dim=1) / count.clamp(min=1).to(per_row.dtype)
    return loss, count
