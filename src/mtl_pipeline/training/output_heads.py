"""Output layers of the task heads by name (``ModelSpec.output_head``).

Every head hands the trainer C logits per row, so the loss (softmax cross-entropy over
labelled rows), the predictions (argmax) and the metrics are the same code for every head:

- ``softmax``: C output units, the logits themselves (this project's default).
- ``sigmoid``: one output unit z for a two-class task, handed on as the logits (0, z). Softmax
  cross-entropy of (0, z) is exactly binary cross-entropy of sigmoid(z) (softmax((0, z))₁ =
  sigmoid(z)), and argmax predicts class 1 iff sigmoid(z) > 0.5: the released code of Kerinec
  et al. (``models.py``: ``Dense(1)`` + ``Activation('sigmoid')``, ``binary_crossentropy``).
  Unlike two free logits, it has one output weight vector and bias, trained at the optimizer's
  learning rate (two logits behave like one unit whose weights move twice as fast).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mtl_pipeline.params import choose


@dataclass(frozen=True)
class OutputHead:
    name: str
    #: output units for a task of n classes (raises ValueError when the head cannot serve it)
    units: Callable[[int], int]
    #: (M, R, units) raw outputs → (M, R, n_classes) logits
    logits: Callable[[Any], Any]
    source: str


def _softmax_units(n_classes: int) -> int:
    return n_classes


def _identity(z: Any) -> Any:
    return z


def _sigmoid_units(n_classes: int) -> int:
    if n_classes != 2:
        raise ValueError(
            f"ModelSpec.output_head 'sigmoid' serves two-class tasks only, got a task of "
            f"{n_classes} classes"
        )
    return 1


def _sigmoid_logits(z: Any) -> Any:
    import torch

    return torch.cat([torch.zeros_like(z), z], dim=-1)


OUTPUT_HEADS: dict[str, OutputHead] = {
    "softmax": OutputHead("softmax", _softmax_units, _identity, "C logits, softmax"),
    "sigmoid": OutputHead(
        "sigmoid",
        _sigmoid_units,
        _sigmoid_logits,
        "investigationMTL models.py:31-36,57-58 Dense(1) + sigmoid; models.py:40,60 "
        "loss='binary_crossentropy'",
    ),
}


def output_head(name: str) -> OutputHead:
    return choose(OUTPUT_HEADS, name, "ModelSpec.output_head")
