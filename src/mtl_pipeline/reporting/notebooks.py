"""What the study notebooks check before they read the catalog.

A notebook opened before its pipeline has run would otherwise stop at its first ``catalog.load``
with Kedro's error for a versioned dataset without versions, which does not say what to run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class MissingRunError(RuntimeError):
    """The catalog entries a notebook reads have not been written by a run yet."""


def require_run(catalog: Any, names: Iterable[str], pipeline: str, command: str) -> None:
    """Raise one message naming the pipeline to run (and how) when any of ``names`` has no saved
    version in ``catalog`` (a Kedro ``DataCatalog``, or anything with ``exists(name)``)."""
    missing = [name for name in names if not catalog.exists(name)]
    if missing:
        raise MissingRunError(
            f"The `{pipeline}` pipeline has not been run in this project yet: no saved "
            f"{', '.join(missing)}. Run it first from the project root, e.g.\n    {command}\n"
            "then run this notebook again."
        )
