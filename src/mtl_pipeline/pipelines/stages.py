"""The stages of a study, as Kedro namespaces, so the lineage graph reads like the study.

Every node is tagged with one stage in its ``pipeline.py``; :func:`by_stage` moves each node into
the namespace of its stage, which kedro-viz draws as one collapsible box (ingest → features →
training → meta_model → report; the meta-model stage holds the meta-features it is fit on, as
Kedro requires a namespace to be one unbroken stretch of the graph). The ``predict`` pipeline is
a stage of its own, after them (and so is ``factors``, the effectiveness-factor sweeps, which
read only ingest and TF-IDF outputs): its nodes read the fitted meta-model, so in the ``features`` or
``meta_model`` box they would break those namespaces once all pipelines are loaded together
(kedro-viz, ``__default__``). Dataset and parameter names are not prefixed
(``prefix_datasets_with_namespace=False``): catalog names stay the public contract. Node names
do get the prefix (``training.compute_mtl_gains``), and a stage runs on its own with
``kedro run --namespaces=training`` or ``--tags=training``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from kedro.pipeline import Pipeline, pipeline

STAGES: tuple[str, ...] = (
    "ingest",
    "features",
    "training",
    "meta_model",
    "report",
    "predict",
    "factors",
)


def by_stage(nodes: Pipeline) -> Pipeline:
    """``nodes`` with every node in the namespace of its stage tag (exactly one per node).

    Nodes already in their stage's namespace (a staged pipeline inside another) stay as they are.
    """
    grouped: dict[str, list] = {stage: [] for stage in STAGES}
    placed = []
    for node in nodes.nodes:
        stages = sorted(set(node.tags) & set(STAGES))
        if len(stages) != 1:
            raise ValueError(
                f"node '{node.name}' must be tagged with exactly one stage of {list(STAGES)}, "
                f"has {stages or 'none'} (tags={sorted(node.tags)})"
            )
        (placed if node.namespace == stages[0] else grouped[stages[0]]).append(node)
    return Pipeline(placed) + sum(
        (
            pipeline(members, namespace=stage, prefix_datasets_with_namespace=False)
            for stage, members in grouped.items()
            if members
        ),
        Pipeline([]),
    )


def staged(create_pipeline: Callable[..., Pipeline]) -> Callable[..., Pipeline]:
    """Decorator for a ``create_pipeline``: its nodes go into their stages' namespaces."""

    @wraps(create_pipeline)
    def create_staged_pipeline(*args, **kwargs) -> Pipeline:
        return by_stage(create_pipeline(*args, **kwargs))

    return create_staged_pipeline
