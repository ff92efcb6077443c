"""Run tracking: kedro-mlflow's hook, guarded so that tracking never decides whether a run happens.

kedro-mlflow (``conf/base/mlflow.yml``) opens one MLflow run per ``kedro run``, logs the
parameters every node reads (flattened: ``newsgroups.train.stl_epochs``), and the catalog's
``kedro_mlflow`` datasets log Tables 1/2 as metrics and the figures as artefacts. Its own hook is
switched off (``DISABLE_HOOKS_FOR_PLUGINS`` in ``settings.py``) and registered here as
:class:`TrackingHook`, which adds three things the plugin lacks:

- **Any tracking failure is one warning, and the run goes on untracked**: a corrupt or locked
  store, ``mlruns`` being a file, a read-only disk, two runs migrating a fresh store at once, an
  unreachable server. Every hook call is guarded, and a failure switches the catalog's MLflow
  datasets to local saving only (their local files are still written). A failure while logging
  a dataset mid-run is caught the same way (:func:`guard_dataset_logging`).
- **An unreachable server costs seconds, not MLflow's ~7 minutes of retries**: an ``http(s)``
  tracking URI is probed once (:data:`SERVER_PROBE_SECONDS`) before the plugin talks to it, and
  MLflow's own retries are capped (unless you set ``MLFLOW_HTTP_REQUEST_*`` yourself).
- **Run names say what ran**: ``meta --env quick (full)`` or
  ``meta --env quick (partial: --nodes=training.compute_mtl_gains)``, plus tags for the git
  commit, package versions and device. A relative ``sqlite:///`` store gets its folder created.
"""

from __future__ import annotations

import logging
import os
import platform
import subprocess
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

# Importing kedro-mlflow defines its KedroPipelineModel, an MLflow PythonModel whose `predict` has
# no type hints, and MLflow warns about that class (~12 console lines before every command's
# output; the project logs no models). A warnings filter cannot silence it: MLflow emits it under
# its own `simplefilter("once", UserWarning)`, which overrides any filter set before. So the
# import's warnings are recorded, and every one but that one is emitted again as it came.
UNTYPED_PREDICT_WARNING = "Add type hints to the `predict` method"
with warnings.catch_warnings(record=True) as _import_warnings:
    from kedro_mlflow.framework.hooks.mlflow_hook import MlflowHook
    from kedro_mlflow.io.catalog.switch_catalog_logging import switch_catalog_logging
for _caught in _import_warnings:
    if not (
        issubclass(_caught.category, UserWarning)
        and UNTYPED_PREDICT_WARNING in str(_caught.message)
    ):
        warnings.warn_explicit(_caught.message, _caught.category, _caught.filename, _caught.lineno)
del _import_warnings

logger = logging.getLogger(__name__)

# How long an http(s) tracking server may take to answer its health check before the run goes on
# untracked, and MLflow's own request limits for the run's later calls (defaults: 7 retries with
# back-off and a 120 s timeout, i.e. minutes per call on a dead server).
SERVER_PROBE_SECONDS = 3.0
SERVER_REQUEST_LIMITS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_TIMEOUT": "5"}

# The kedro run options that select part of a pipeline (run_params key → CLI flag).
PARTIAL_RUN_OPTIONS = {
    "node_names": "--nodes",
    "from_nodes": "--from-nodes",
    "to_nodes": "--to-nodes",
    "from_inputs": "--from-inputs",
    "to_outputs": "--to-outputs",
    "namespaces": "--namespaces",
    "tags": "--tags",
    "only_missing_outputs": "--only-missing-outputs",
}


def run_name(run_params: Mapping[str, Any]) -> str:
    """``meta --env quick (full)``, or ``(partial: --nodes=a,b)`` naming what selected the nodes."""
    pipelines = ",".join(run_params.get("pipeline_names") or ["__default__"])
    env = run_params.get("env") or "local"
    selected = []
    for key, flag in PARTIAL_RUN_OPTIONS.items():
        value = run_params.get(key)
        if value is True:
            selected.append(flag)
        elif value:
            selected.append(f"{flag}={','.join(map(str, value))}")
    scope = f"partial: {' '.join(selected)}" if selected else "full"
    return f"{pipelines} --env {env} ({scope})"


def _git_commit(project_path: Path) -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=project_path,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def environment_tags(project_path: Path) -> dict[str, str]:
    """What the run ran on, beyond kedro-mlflow's own tags (env, pipeline, kedro_command, …)."""
    import torch

    import mtl_pipeline

    return {
        "git_commit": _git_commit(project_path),
        "mtl_pipeline_version": mtl_pipeline.__version__,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
    }


def prepare_tracking_uri(uri: str | None, project_path: Path) -> str | None:
    """The configured store as a URI that works from any working directory, made reachable, or
    an error saying why it is not.

    A relative ``sqlite:///dir/file.db`` is made absolute under the project root (MLflow would
    resolve it against the working directory, and caches one store per URI text, so two projects
    in one process would share the first one's database) and gets its folder created (SQLite
    creates the file, not its folder). An ``http(s)`` server is asked for its health once, for at
    most :data:`SERVER_PROBE_SECONDS`.
    """
    if not uri:
        return uri
    sqlite = "sqlite:///"
    if uri.startswith(sqlite) and not uri[len(sqlite) :].startswith("/"):
        database = project_path / uri[len(sqlite) :]
        database.parent.mkdir(parents=True, exist_ok=True)
        return f"{sqlite}{database}"
    if uri.startswith(("http://", "https://")):
        for name, value in SERVER_REQUEST_LIMITS.items():
            os.environ.setdefault(name, value)
        health = uri.rstrip("/") + "/health"
        try:
            with urllib.request.urlopen(health, timeout=SERVER_PROBE_SECONDS):
                pass
        except (OSError, urllib.error.URLError) as error:
            raise ConnectionError(
                f"no answer from {health} within {SERVER_PROBE_SECONDS:g} s ({error})"
            ) from error
    return uri


def _raised_in_mlflow(error: BaseException | None) -> bool:
    """Whether ``error``, or an error it was raised from, came out of MLflow (not out of a
    dataset's local save). Kedro re-raises a versioned dataset's ``FileNotFoundError`` as a
    ``DatasetError`` from it, so the chain of causes is followed."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        tb = error.__traceback__
        while tb is not None:
            if str(tb.tb_frame.f_globals.get("__name__", "")).startswith("mlflow"):
                return True
            tb = tb.tb_next
        error = error.__cause__ or error.__context__
    return False


def guard_dataset_logging(
    name: str, dataset: Any, on_failure: Callable[[str, BaseException], None]
) -> None:
    """Make a kedro-mlflow dataset's MLflow logging unable to fail its save.

    The artefact datasets save their local file first and log it after; an error raised inside
    MLflow is reported through ``on_failure`` (which switches tracking off), while an error of the
    local save itself still fails the node as it should.
    """
    save = dataset.save

    def save_then_log(data: Any) -> None:
        try:
            save(data)
        except Exception as error:
            if not _raised_in_mlflow(error):
                raise
            on_failure(f"logging '{name}'", error)

    dataset.save = save_then_log


class TrackingHook(MlflowHook):
    """kedro-mlflow's ``MlflowHook``; every call guarded: a tracking failure is one warning."""

    def __init__(self) -> None:
        super().__init__()
        self._failure: str | None = None
        self._catalog = None
        self._project_path = Path.cwd()

    def _fail(self, stage: str, error: BaseException) -> None:
        """Tracking off for the rest of this run; says so once."""
        if self._failure is None:
            while error.__cause__ is not None:  # the root cause, not Kedro's wrapping of it
                error = error.__cause__
            self._failure = f"{stage}: {type(error).__name__}: {error}"
            logger.warning(
                "Run tracking failed (%s); this run goes on untracked, its outputs are saved as "
                "usual. Check the store in conf/*/mlflow.yml (server.mlflow_tracking_uri).",
                self._failure,
            )
        self._is_mlflow_enabled = False
        self.run_id = None
        if self._catalog is not None:
            switch_catalog_logging(self._catalog, False)
        try:
            import mlflow

            while mlflow.active_run():
                mlflow.end_run("FAILED")
        except Exception:  # noqa: BLE001 - the store is broken; nothing more to close
            pass

    def _end_leftover_run(self) -> None:
        """End the run this hook started in an earlier session of this process, if it is still
        active (that session stopped between starting its run and running its pipeline, e.g. on
        a parameter error in another hook). Left active, kedro-mlflow would log the next session
        into it. A run started by someone else (an orchestrator) is left alone, as the plugin
        does."""
        try:
            import mlflow

            active = mlflow.active_run()
            if active is not None and self.run_id and active.info.run_id == self.run_id:
                mlflow.end_run("KILLED")
        except Exception as error:  # noqa: BLE001 - a broken store: nothing to end
            logger.debug("could not end the earlier run %s: %s", self.run_id, error)
        self.run_id = None

    def _guarded(self, stage: str, call: Callable[[], None]) -> None:
        if self._failure is not None:
            return
        try:
            call()
        except Exception as error:  # noqa: BLE001 - no tracking error may stop a run
            self._fail(stage, error)

    @hook_impl
    def after_context_created(self, context) -> None:
        self._end_leftover_run()
        self._failure = None
        self._catalog = None
        self._project_path = Path(context.project_path)

        def set_up() -> None:
            try:
                configured = context.config_loader["mlflow"]
            except Exception:  # noqa: BLE001 - no mlflow.yml: the plugin's defaults apply
                configured = {}
            configured = dict(configured or {})
            server = dict(configured.get("server") or {})
            uri = prepare_tracking_uri(server.get("mlflow_tracking_uri"), self._project_path)
            if uri:
                # the plugin reads this key again; an explicitly set key bypasses the files
                configured["server"] = {**server, "mlflow_tracking_uri": uri}
                context.config_loader["mlflow"] = configured
            MlflowHook.after_context_created(self, context)

        self._guarded("setting up the store", set_up)

    @hook_impl
    def after_catalog_created(
        self, catalog, conf_catalog, conf_creds, parameters, save_version, load_versions
    ) -> None:
        self._catalog = catalog
        self._guarded(
            "preparing the catalog",
            lambda: MlflowHook.after_catalog_created(
                self, catalog, conf_catalog, conf_creds, parameters, save_version, load_versions
            ),
        )
        for name, dataset in catalog.items():
            if type(dataset).__name__.startswith("Mlflow"):
                guard_dataset_logging(name, dataset, self._fail)
        if self._failure is not None:
            switch_catalog_logging(catalog, False)

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:
        self._catalog = catalog
        if self._failure is not None:
            switch_catalog_logging(catalog, False)
            return

        def start() -> None:
            if self.mlflow_config.tracking.run.name is None:
                self.mlflow_config.tracking.run.name = run_name(run_params)
            MlflowHook.before_pipeline_run(self, run_params, pipeline, catalog)
            if self._is_mlflow_enabled:
                import mlflow

                mlflow.set_tags(environment_tags(self._project_path))

        self._guarded("starting the run", start)

    @hook_impl
    def before_node_run(self, node, catalog, inputs: dict[str, Any], is_async: bool) -> None:
        self._guarded(
            f"logging the parameters of node '{node.name}'",
            lambda: MlflowHook.before_node_run(self, node, catalog, inputs, is_async),
        )

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:
        self._guarded(
            "ending the run",
            lambda: MlflowHook.after_pipeline_run(self, run_params, pipeline, catalog),
        )

    @hook_impl
    def on_pipeline_error(self, error: Exception, run_params: dict[str, Any], pipeline, catalog):
        self._guarded(
            "closing the failed run",
            lambda: MlflowHook.on_pipeline_error(self, error, run_params, pipeline, catalog),
        )
