"""Weight initialisation schemes of the dense layers by name (``ModelSpec.weight_init``).

A scheme says, for the hidden dense layers (the MLP trunk, a head's hidden layer) and for the
output layer of each head, the half-width of the uniform distribution the weight is drawn from
and whether the bias is drawn the same way or starts at zero. It is data only (no torch), so
that ``specs`` can validate the name; ``heads.stacked_linear`` does the drawing. Sequence
encoders (LSTM, CNN) keep their own initialisation; their heads follow the scheme.

- ``torch_default``: every weight and bias U(±1/√fan_in), nn.Linear's default (what this
  project always did; fingerprints of models trained before the registry existed stay valid).
- ``keras_default``: the released code of Kerinec et al. (``models.py``): ``Dense(100)`` with
  Keras 2's defaults (``glorot_uniform`` kernel, U(±√(6/(fan_in+fan_out))), ``zeros`` bias)
  and the output ``Dense(1, init="uniform")`` (Keras 2's ``RandomUniform``: U(±0.05), zero
  bias).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from mtl_pipeline.params import choose


@dataclass(frozen=True)
class LayerInit:
    """How one dense layer (fan_in → fan_out) starts."""

    #: half-width of the uniform weight distribution, from (fan_in, fan_out)
    weight_bound: Callable[[int, int], float]
    #: half-width of the uniform bias distribution, or None: the bias starts at zero
    bias_bound: Callable[[int, int], float] | None


@dataclass(frozen=True)
class InitScheme:
    name: str
    hidden: LayerInit
    output: LayerInit
    source: str


def _fan_in_bound(fan_in: int, fan_out: int) -> float:
    return 1.0 / math.sqrt(fan_in)


def _glorot_bound(fan_in: int, fan_out: int) -> float:
    return math.sqrt(6.0 / (fan_in + fan_out))


def _keras_uniform_bound(fan_in: int, fan_out: int) -> float:
    return 0.05  # keras.initializers.RandomUniform(minval=-0.05, maxval=0.05), Keras 2


TORCH_LAYER = LayerInit(_fan_in_bound, _fan_in_bound)

INIT_SCHEMES: dict[str, InitScheme] = {
    "torch_default": InitScheme(
        "torch_default", TORCH_LAYER, TORCH_LAYER, "torch.nn.Linear.reset_parameters"
    ),
    "keras_default": InitScheme(
        "keras_default",
        hidden=LayerInit(_glorot_bound, None),
        output=LayerInit(_keras_uniform_bound, None),
        source="investigationMTL models.py:15,23,49,53 Dense(100) (Keras defaults); "
        'models.py:31-32,57 Dense(1, init="uniform")',
    ),
}


def init_scheme(name: str) -> InitScheme:
    return choose(INIT_SCHEMES, name, "ModelSpec.weight_init")
