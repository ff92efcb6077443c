"""Project hooks: run tracking with MLflow, and input errors shown as one message.

Run tracking with MLflow: every ``kedro run`` becomes an MLflow run.

Each run records its environment (Kedro env, pipeline, versions of Python, Kedro, torch and
this package, the git commit, the device), the parameters its pipeline reads, the numbers of
Tables 1 and 2 and of the tweets table as metrics (:mod:`mtl_pipeline.reporting.run_metrics`),
and every figure as an artefact. Settings: ``conf/base/mlflow.yml`` (default: a local SQLite
file under ``mlruns/``, no server; browse with ``mlflow ui --backend-store-uri
sqlite:///mlruns/mlflow.db``).

kedro-mlflow was the first choice; it is not used because its newest release (2.0.3) defaults
to the ``./mlruns`` file store that MLflow 3.17 refuses to open (``MlflowException: The
filesystem tracking backend ... is in maintenance mode``), and, once installed, it registers
its hooks in every Kedro project of the environment. This hook calls the MLflow API directly.
MLflow is optional (the ``tracking`` extra, part of ``dev``): without it, runs are not tracked
and one log line says so.

Input errors: an ``InputError`` (a file or parameter the user can fix) carries the whole story in
its message; Kedro's runner already logs it once ("Node ... failed with error: ..."), and the
rich traceback printed after it (hundreds of lines) only hides it. ``InputErrorHooks`` makes the
run end with the message alone; any other exception is a bug and keeps its full traceback.
"""

from __future__ import annotations

import logging
import os
import platform
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from kedro.framework.hooks import hook_impl

from mtl_pipeline.params import InputError
from mtl_pipeline.reporting.run_metrics import METRIC_TABLES

logger = logging.getLogger(__name__)

MAX_PARAM_LENGTH = 500


def flatten_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested parameters as ``{"newsgroups.training.stl_epochs": "100"}`` (values as text)."""
    out: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten_params(value, f"{name}."))
        else:
            out[name] = str(value)[:MAX_PARAM_LENGTH]
    return out


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


def _class_name(value: Any) -> str:
    """``SequentialRunner`` for a runner object or its repr (Kedro passes either)."""
    if not isinstance(value, str):
        return type(value).__name__
    found = re.match(r"<([\w.]+) object at ", value)
    return found.group(1).rsplit(".", 1)[-1] if found else value


def _environment(run_params: Mapping[str, Any], project_path: Path) -> dict[str, str]:
    import kedro
    import torch

    import mtl_pipeline

    return {
        "kedro_env": str(run_params.get("env") or "local"),
        "kedro_pipelines": ",".join(run_params.get("pipeline_names") or ["__default__"]),
        # The session id is also the version folder name of every dataset this run saved.
        "kedro_run_id": str(run_params.get("run_id")),
        "kedro_runner": _class_name(run_params.get("runner")),
        "kedro_version": kedro.__version__,
        "mtl_pipeline_version": mtl_pipeline.__version__,
        "python_version": platform.python_version(),
        "torch_version": torch.__version__,
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "platform": platform.platform(),
        "git_commit": _git_commit(project_path),
    }


class MlflowTrackingHook:
    """Opens an MLflow run per pipeline run; logs environment, parameters, metrics, figures."""

    def __init__(self) -> None:
        self._settings: dict[str, Any] = {}
        self._params: dict[str, Any] = {}
        self._project_path = Path.cwd()
        self._mlflow = None

    @hook_impl
    def after_context_created(self, context) -> None:
        try:
            settings = context.config_loader["mlflow"]
        except KeyError:  # no mlflow*.yml in conf: tracking off
            settings = {}
        self._settings = dict(settings.get("tracking") or {})
        self._params = context.params
        self._project_path = Path(context.project_path)

    def _tracking_uri(self) -> str:
        uri = str(self._settings.get("tracking_uri", "sqlite:///mlruns/mlflow.db"))
        prefix = "sqlite:///"
        if uri.startswith(prefix) and not uri[len(prefix) :].startswith("/"):
            database = self._project_path / uri[len(prefix) :]
            database.parent.mkdir(parents=True, exist_ok=True)
            return f"{prefix}{database}"
        return uri

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:
        if not self._settings.get("enabled", False):
            return
        try:
            import mlflow
        except ImportError:
            logger.info("mlflow is not installed (pip install -e '.[tracking]'): run not tracked")
            return
        mlflow.set_tracking_uri(self._tracking_uri())
        name = str(self._settings.get("experiment_name", "mtl_pipeline"))
        if mlflow.get_experiment_by_name(name) is None:
            artifacts = self._project_path / str(
                self._settings.get("artifacts", "mlruns/artifacts")
            )
            mlflow.create_experiment(name, artifact_location=artifacts.as_uri())
        mlflow.set_experiment(name)
        environment = _environment(run_params, self._project_path)
        run = mlflow.start_run(
            run_name=f"{environment['kedro_pipelines']} --env {environment['kedro_env']}",
            tags=environment,
        )
        self._mlflow = mlflow
        used = {
            name.removeprefix("params:") for name in pipeline.inputs() if name.startswith("params:")
        }
        params: dict[str, str] = {}
        for key in sorted(used):
            value = self._params
            for part in key.split("."):
                value = value.get(part, {}) if isinstance(value, Mapping) else {}
            params.update(
                flatten_params(value, f"{key}.")
                if isinstance(value, Mapping)
                else {key: str(value)[:MAX_PARAM_LENGTH]}
            )
        mlflow.log_params(params)
        mlflow.log_dict({k: str(v) for k, v in run_params.items()}, "run_params.json")
        logger.info(
            "MLflow run %s in experiment '%s' (%s)", run.info.run_id, name, self._tracking_uri()
        )

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node) -> None:
        if self._mlflow is None:
            return
        if dataset_name in METRIC_TABLES:
            try:
                metrics = METRIC_TABLES[dataset_name](data)
            except (KeyError, ValueError) as error:
                logger.warning("MLflow: no metrics from '%s': %s", dataset_name, error)
                return
            self._mlflow.log_metrics(metrics)
            self._mlflow.log_table(data, f"tables/{dataset_name}.json")
        elif _is_figure(data):
            self._mlflow.log_figure(data, f"figures/{_figure_file(dataset_name, data)}")

    @hook_impl
    def after_pipeline_run(self) -> None:
        self._end("FINISHED")

    @hook_impl
    def on_pipeline_error(self) -> None:
        self._end("FAILED")

    def _end(self, status: str) -> None:
        if self._mlflow is not None:
            self._mlflow.end_run(status=status)
            self._mlflow = None


def _is_figure(data: Any) -> bool:
    from matplotlib.figure import Figure

    if isinstance(data, Figure):
        return True
    try:
        import plotly.graph_objects as go
    except ImportError:  # pragma: no cover - plotly is a dependency
        return False
    return isinstance(data, go.Figure)


def _figure_file(dataset_name: str, data: Any) -> str:
    """``fig_relative_gains_pdf`` → ``fig_relative_gains.pdf``; plotly figures as HTML."""
    from matplotlib.figure import Figure

    if not isinstance(data, Figure):
        return f"{dataset_name.removesuffix('_plotly')}.html"
    for fmt in ("pdf", "svg"):
        if dataset_name.endswith(f"_{fmt}"):
            return f"{dataset_name.removesuffix(f'_{fmt}')}.{fmt}"
    return f"{dataset_name}.png"


#: Set to 1 to see the full traceback of an input error on the terminal too.
TRACEBACK_VARIABLE = "MTL_PIPELINE_TRACEBACK"


def user_error(exc: BaseException | None) -> InputError | None:
    """The ``InputError`` that caused ``exc`` (itself, or one in its ``__cause__`` /
    ``__context__`` chain: Kedro wraps errors raised while loading a dataset), else None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, InputError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _log_to_files(exc_type, exc, tb) -> None:
    """The full traceback to the file handlers only (logs/info.log), not to the terminal."""
    record = logging.LogRecord(
        __name__,
        logging.ERROR,
        __file__,
        0,
        "input error (full traceback)",
        None,
        (exc_type, exc, tb),
    )
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)


def input_error_excepthook(previous):
    """``sys.excepthook`` that prints an ``InputError`` (or an error caused by one) as one
    message, its traceback going to the log file only (and to the terminal too with
    ``MTL_PIPELINE_TRACEBACK=1``); any other exception goes to ``previous``."""

    def excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        found = user_error(exc)
        if found is None or os.environ.get(TRACEBACK_VARIABLE) == "1":
            previous(exc_type, exc, tb)
            return
        _log_to_files(exc_type, exc, tb)
        print(f"\nError: {found}", file=sys.stderr)

    excepthook.wraps_input_errors = True  # type: ignore[attr-defined]
    return excepthook


class InputErrorHooks:
    @hook_impl
    def after_context_created(self, context) -> None:  # noqa: ARG002 (hook signature)
        # Installed here, after Kedro's logging set-up installed rich's traceback handler.
        if not getattr(sys.excepthook, "wraps_input_errors", False):
            sys.excepthook = input_error_excepthook(sys.excepthook)
