"""Running the real pipelines through a KedroSession, in a temporary copy of the project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project


def run_pipeline(
    project: Path, pipeline: str, env: str = "quick", params: dict[str, Any] | None = None
) -> None:
    bootstrap_project(project)
    with KedroSession.create(project_path=project, env=env, runtime_params=params or {}) as session:
        session.run(pipeline_names=[pipeline])


def load(project: Path, name: str, env: str = "quick", version: str | None = None) -> Any:
    """Load a catalog entry (latest version unless ``version`` is given)."""
    bootstrap_project(project)
    with KedroSession.create(project_path=project, env=env) as session:
        catalog = session.load_context().catalog
        if version is None:
            return catalog.load(name)
        return catalog.load(name, version=version)


def versions(project: Path, relative_path: str) -> list[str]:
    """The version folders of a versioned dataset, oldest first."""
    return sorted(path.name for path in (project / relative_path).iterdir() if path.is_dir())
