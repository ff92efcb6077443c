"""Running the real pipelines through a KedroSession, in a temporary copy of the project."""

from __future__ import annotations

import contextlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from kedro.framework.context import KedroContext
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project


def run_pipeline(
    project: Path,
    pipeline: str,
    env: str = "quick",
    params: dict[str, Any] | None = None,
    nodes: list[str] | None = None,
) -> None:
    """Like ``kedro run`` from the project root (the working directory, where parameters such as
    ``training.shard_store`` resolve their relative paths); ``nodes`` like ``--nodes``."""
    bootstrap_project(project)
    with (
        contextlib.chdir(project),
        KedroSession.create(project_path=project, env=env, runtime_params=params or {}) as session,
    ):
        session.run(pipeline_names=[pipeline], node_names=nodes)


@lru_cache(maxsize=4)
def _context(project: Path, env: str) -> KedroContext:
    """One project context per (project, env), kept for the loads of the tests that share it.

    Only the context is kept, never a catalog: ``KedroContext.catalog`` builds a new catalog from
    the configuration on every access, so each load gets new dataset instances, which resolve a
    versioned dataset's latest version when they load. (A kept catalog would not do: a dataset
    caches the version it loaded and would keep returning it after a later run saved a newer one.)
    """
    bootstrap_project(project)
    with KedroSession.create(project_path=project, env=env) as session:
        return session.load_context()


def load(project: Path, name: str, env: str = "quick", version: str | None = None) -> Any:
    """Load a catalog entry (latest version unless ``version`` is given)."""
    catalog = _context(Path(project).resolve(), env).catalog
    if version is None:
        return catalog.load(name)
    return catalog.load(name, version=version)


def versions(project: Path, relative_path: str) -> list[str]:
    """The version folders of a versioned dataset, oldest first."""
    return sorted(path.name for path in (project / relative_path).iterdir() if path.is_dir())


def tracked_runs(project: Path) -> list[Any]:
    """The MLflow runs a project's kedro runs recorded (conf/base/mlflow.yml), newest first."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{project / 'mlruns' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("mtl_pipeline")
    assert experiment is not None, "no MLflow experiment 'mtl_pipeline' recorded"
    return client.search_runs([experiment.experiment_id], order_by=["attributes.start_time DESC"])


def tracked_artifacts(project: Path, run_id: str) -> set[str]:
    """Every artefact path of one MLflow run."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{project / 'mlruns' / 'mlflow.db'}")
    found, folders = set(), [None]
    while folders:
        for item in client.list_artifacts(run_id, folders.pop()):
            (folders.append(item.path) if item.is_dir else found.add(item.path))
    return found


def check_kedro_viz_previews(
    project: Path, pipeline: str, previews: dict[str, str], env: str = "quick"
) -> tuple[set[str], set[str]]:
    """kedro-viz's API (no server) on ``pipeline``: each dataset of ``previews`` has its preview
    type and a preview. Returns the pipeline's stage (modular pipeline) names and node names."""
    from fastapi.testclient import TestClient
    from kedro_viz.api.apps import create_api_app_from_project
    from kedro_viz.data_access import data_access_manager
    from kedro_viz.server import load_and_populate_data

    # kedro-viz keeps one module-level store of graph nodes and datasets, meant to be filled
    # once per server: emptied first, or a second project in this process (the factors and the
    # meta e2e tests) would be answered with the first project's datasets
    data_access_manager.reset_fields()
    load_and_populate_data(project, env=env)
    client = TestClient(create_api_app_from_project(project))
    graph = client.get(f"/api/pipelines/{pipeline}").json()
    by_name = {node["name"]: node for node in graph["nodes"]}
    for dataset, preview_type in previews.items():
        meta = client.get(f"/api/nodes/{by_name[dataset]['id']}").json()
        assert meta.get("preview_type") == preview_type, (dataset, meta)
        assert meta.get("preview"), dataset
    stages = {node["name"] for node in graph["nodes"] if node["type"] == "modularPipeline"}
    return stages, set(by_name)
