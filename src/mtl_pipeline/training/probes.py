"""Several probes of the stacked trainer as one, and the warm-up's probe.

A probe (``train_stacked(probe_factory=...)``) has ``columns``, ``observe(...)`` (called at every
training step), an optional ``finish(net, inp, jobs)`` (called once after a chunk's last epoch)
and ``result()`` ((M, len(columns)) values). :class:`ProbeSet` runs several on the same models
and concatenates their columns; :func:`warmup_probe` is the one the warm-up of the ``meta``
pipeline trains with, and :func:`warmup_probe_settings` what its results depend on (the shard
store keys the warm-up models by it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from .affinity import TaskAffinityProbe
from .gradtag import GradTagProbe, GradTagSettings

#: Bump when a change of a probe changes its numbers: stored warm-up models are then retrained.
WARMUP_PROBE_VERSION = "1"


class ProbeSet:
    """Probes observing the same models; columns and results side by side, in order."""

    def __init__(self, probes: Sequence[object]) -> None:
        self.probes = tuple(probes)
        self.columns = tuple(c for probe in self.probes for c in probe.columns)

    def observe(self, *args, **kwargs) -> None:
        for probe in self.probes:
            probe.observe(*args, **kwargs)

    def finish(self, net, inp, jobs) -> None:
        for probe in self.probes:
            if hasattr(probe, "finish"):
                probe.finish(net, inp, jobs)

    def result(self) -> np.ndarray:
        return np.hstack([probe.result() for probe in self.probes])

    def bytes_per_model(self, n_shared_params: int, itemsize: int) -> int:
        """Memory the probes add to a training step (those that say)."""
        return sum(
            probe.bytes_per_model(n_shared_params, itemsize)
            for probe in self.probes
            if hasattr(probe, "bytes_per_model")
        )


def warmup_probe(
    n_models: int, lookahead_lr: float, gradtag: GradTagSettings | None = None
) -> ProbeSet:
    """TAG affinity and gradient cosine at every step; with ``gradtag``, the Grad-TAG-style
    gain estimate from the warmed-up model at the end."""
    probes: list[object] = [TaskAffinityProbe(n_models, lookahead_lr)]
    if gradtag is not None:
        probes.append(GradTagProbe(n_models, gradtag))
    return ProbeSet(probes)


def warmup_probe_settings(lookahead_lr: float, gradtag: GradTagSettings | None) -> dict:
    """Everything besides the model, schedule, data and seed that decides a warm-up model's
    probe results (it enters the warm-up models' store fingerprints)."""
    return {
        "probe": "warmup",
        "version": WARMUP_PROBE_VERSION,
        "lookahead_lr": float(lookahead_lr),
        "gradtag": None if gradtag is None else dataclasses.asdict(gradtag),
    }
