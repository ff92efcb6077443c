"""Counter-based (hashed) dropout masks: model m's mask depends only on its own seed and step.

A stateful RNG shared by a chunk would give model m different masks depending on which other
models are stacked with it; drawing per model from its own torch.Generator costs one kernel per
model per layer per step. Hashing (seed, epoch, step, layer, element) instead is one vectorised
integer expression over the whole (M, R, H) tensor, device-agnostic and reproducible.
"""

from __future__ import annotations

import numpy as np
import torch

_MASK32 = 0xFFFFFFFF
_MUL = 0x45D9F3B  # < 2**27, so x * _MUL < 2**59 never overflows int64 for x < 2**32


def mix32(x: torch.Tensor) -> torch.Tensor:
    """32-bit integer avalanche hash on int64 tensors holding values in [0, 2**32)."""
    x = x ^ (x >> 16)
    x = (x * _MUL) & _MASK32
    x = x ^ (x >> 16)
    x = (x * _MUL) & _MASK32
    return x ^ (x >> 16)


def _mix32_int(x: int) -> int:
    x &= _MASK32
    x ^= x >> 16
    x = (x * _MUL) & _MASK32
    x ^= x >> 16
    x = (x * _MUL) & _MASK32
    return x ^ (x >> 16)


def seed_keys(seeds: np.ndarray | list[int], device: torch.device) -> torch.Tensor:
    """Per-model 32-bit keys (M,) int64 derived from the models' seeds."""
    keys = [_mix32_int(_mix32_int(int(s)) ^ _mix32_int((int(s) >> 32) + 0x9E3779B9)) for s in seeds]
    return torch.tensor(keys, dtype=torch.int64, device=device)


def step_keys(keys: torch.Tensor, epoch: int, step: int, layer: int) -> torch.Tensor:
    """Keys for one (epoch, step-in-epoch, layer); identical for a model alone or stacked."""
    salt = _mix32_int(_mix32_int(_mix32_int(epoch) ^ (step + 0x632BE5AB)) ^ (layer + 0x85157AF5))
    return mix32(keys ^ salt)


class HashedDropout:
    """Applies dropout with p to (M, R, H) activations using hashed per-model masks."""

    def __init__(self, p: float) -> None:
        self.p = float(p)
        self.threshold = int(round(self.p * 2**32))
        self._idx_cache: dict[tuple[int, str], torch.Tensor] = {}

    def _element_hash(self, n: int, device: torch.device) -> torch.Tensor:
        key = (n, str(device))
        if key not in self._idx_cache:
            self._idx_cache[key] = mix32(torch.arange(n, dtype=torch.int64, device=device))
        return self._idx_cache[key]

    def __call__(self, h: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        if self.p == 0.0:
            return h
        M = h.shape[0]
        n = h[0].numel()
        u = mix32(self._element_hash(n, h.device).unsqueeze(0) ^ keys.view(M, 1))
        keep = (u >= self.threshold).view(h.shape)
        return h * keep.to(h.dtype) * (1.0 / (1.0 - self.p))
