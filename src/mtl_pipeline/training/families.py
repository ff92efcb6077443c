"""Model families by name: what the trainer needs to know about each (no torch import here, so
that ``specs`` can validate ``ModelSpec.encoder`` against it).

A family owns its input kind (float features, dense or sparse, vs int64 token ids), whether it
needs an embedding table, and its activation allowance for the memory estimate (every family
draws its initial weights on the CPU: ``trainer.init_generators``). To add a family: register it
here and teach ``StackedNetwork`` to build its trunk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mtl_pipeline.params import choose

FEATURES = "features"  # float matrix, dense or scipy.sparse (bag-of-words first layer)
TOKENS = "tokens"  # int64 (N, L) token ids, 0 = padding


@dataclass(frozen=True)
class ModelFamily:
    name: str
    input_kind: str
    needs_embedding: bool
    #: activation values per input row (for the memory estimate), from the spec and input width
    activation_width: Callable[[Any, int], int]


def _mlp_width(model: Any, in_dim: int) -> int:
    return sum(model.hidden_sizes)


def _sequence_width(model: Any, in_dim: int) -> int:
    return 4 * model.units * in_dim  # gates/feature maps per token, token count = in_dim


def _soft_mlp_width(model: Any, in_dim: int) -> int:
    return 2 * sum(model.hidden_sizes)  # one trunk per task; pairs (two tasks) in this project


FAMILIES: dict[str, ModelFamily] = {
    "mlp": ModelFamily("mlp", FEATURES, False, _mlp_width),
    # soft parameter sharing: one MLP trunk per task, pulled toward their mean by an l2 penalty
    # (ModelSpec.soft_sharing_lambda); the first layers of the T trunks are one T-times wider layer
    "mlp_soft": ModelFamily("mlp_soft", FEATURES, False, _soft_mlp_width),
    **{
        name: ModelFamily(name, TOKENS, True, _sequence_width)
        for name in ("bilstm", "cnn", "bilstm_cnn")
    },
}


def family_of(encoder: str) -> ModelFamily:
    return choose(FAMILIES, encoder, "ModelSpec.encoder")
