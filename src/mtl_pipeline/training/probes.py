"""Several probes of the stacked trainer as one, and the warm-up's probe.

A probe (``train_stacked(probe_factory=...)``) has ``columns``, ``observe(...)`` (called at every
training step), an optional ``finish(net, inp, jobs)`` (called once after a chunk's last epoch)
and ``result()`` ((M, len(columns)) values). :class:`ProbeSet` runs several on the same models
and concatenates their columns; :func:`warmup_probe` is the one the warm-up of the ``meta``
pipeline trains with, :func:`warmup_probe_settings` what its results depend on (the shard
store keys the warm-up models by it), and :func:`train_warmup_probes` the warm-up itself.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from functools import partial

import numpy as np
import pandas as pd

from .affinity import TaskAffinityProbe
from .executor import ExecutionSpec, WorkGroup, train_durably
from .gradtag import GradTagProbe, GradTagSettings
from .specs import ModelJob, ModelSpec, TrainSpec

logger = logging.getLogger(__name__)

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


@dataclasses.dataclass(frozen=True)
class WarmupSpec:
    """A short joint warm-up of each pair's MTL model: how it trains (the model is hard
    sharing: the affinity is defined on shared layers) and what its probe measures."""

    model: ModelSpec
    schedule: TrainSpec
    execution: ExecutionSpec
    lookahead_lr: float
    gradtag: GradTagSettings | None = None


def train_warmup_probes(features, jobs: Sequence[ModelJob], spec: WarmupSpec) -> pd.DataFrame:
    """TAG affinities and gradient cosines of every MTL model of ``jobs`` over the warm-up's
    epochs, and with ``spec.gradtag`` the Grad-TAG-style gain estimate from the warmed-up
    model; one row per model (``pair_id``, ``seed``, the probe's columns).

    The warm-up models are kept in the shard store like every other model, keyed by their
    model, schedule, data, seed and probe settings: a rerun reuses them (and logs
    ``models: trained=<n> reused=<k> ...``)."""
    group = WorkGroup(
        "warmup",
        jobs,
        spec.model,
        spec.schedule,
        probe_factory=partial(warmup_probe, lookahead_lr=spec.lookahead_lr, gradtag=spec.gradtag),
        probe_settings=warmup_probe_settings(spec.lookahead_lr, spec.gradtag),
    )
    logger.info(
        "warm-up: %d MTL models, %d epoch(s), TAG affinity%s",
        len(jobs),
        spec.schedule.epochs,
        " + Grad-TAG estimate" if spec.gradtag is not None else "",
    )
    (result,), _ = train_durably(features, [group], spec.execution)
    return result.probes
