"""Project pipelines."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

#: Registered, but left out of ``__default__``: the factor sweeps train ~10 × the base study's
#: models (README, "When does MTL help? The three factors"), so they run only when named:
#: ``kedro run --pipelines=factors``.
OPT_IN = frozenset({"factors"})


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines.

    Returns:
        A mapping from pipeline names to ``Pipeline`` objects.
    """
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(p for name, p in pipelines.items() if name not in OPT_IN)
    return pipelines
