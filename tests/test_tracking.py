"""Run tracking (kedro-mlflow, guarded by mtl_pipeline.tracking): what a run records, and that no
tracking failure ever stops a run.

The e2e tests run `kedro run` as a user does, in one copy of the project: one quick `tweets` run
(checked record: run name, parameters, metrics, artefacts), then the cheap report nodes of that
run again under each broken store: one warning, exit 0, the outputs saved.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mtl_pipeline.tracking import guard_dataset_logging, prepare_tracking_uri, run_name
from tests.conftest import copy_project
from tests.pipelines.kedro_run import load, tracked_artifacts, tracked_runs

WARNING = "Run tracking failed"
# Nodes that read the stored fold scores and ablation and write the metric and figure datasets.
REPORT_NODES = (
    "report.summarise_tweet_results,report.track_tweet_results,report.plot_tweet_aux_ablation"
)


def test_run_name_says_pipeline_env_and_what_selected_the_nodes():
    full = {"pipeline_names": ["meta"], "env": "quick", "node_names": [], "tags": []}
    assert run_name(full) == "meta --env quick (full)"
    partial = {**full, "node_names": ["training.compute_mtl_gains"], "namespaces": ["report"]}
    assert run_name(partial) == (
        "meta --env quick (partial: --nodes=training.compute_mtl_gains --namespaces=report)"
    )
    assert run_name({"pipeline_names": None, "env": None}) == "__default__ --env local (full)"
    assert run_name({**full, "only_missing_outputs": True}).endswith(
        "(partial: --only-missing-outputs)"
    )


def test_relative_sqlite_store_is_made_absolute_and_gets_its_folder(tmp_path):
    uri = prepare_tracking_uri("sqlite:///store/sub/mlflow.db", tmp_path)
    assert uri == f"sqlite:///{tmp_path}/store/sub/mlflow.db"
    assert (tmp_path / "store" / "sub").is_dir()
    assert prepare_tracking_uri("sqlite:////abs/mlflow.db", tmp_path) == "sqlite:////abs/mlflow.db"


def test_a_server_that_never_answers_is_given_up_after_the_probe(tmp_path):
    """A server that accepts the connection and never answers (the worst case for MLflow's
    retries) ends in the probe's bounded wait with an error naming the URL."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    port = silent.getsockname()[1]
    try:
        with pytest.raises(ConnectionError, match=rf"127\.0\.0\.1:{port}/health within 3 s"):
            prepare_tracking_uri(f"http://127.0.0.1:{port}", tmp_path)
    finally:
        silent.close()


def test_a_failed_artefact_upload_is_reported_and_a_failed_local_save_still_raises():
    import mlflow

    failures = []

    class Figure:  # stands in for a kedro-mlflow artefact dataset
        def __init__(self, error):
            self.error = error

        def save(self, data):
            raise self.error

    def raise_inside_mlflow(data):  # an error raised from a frame of the mlflow package
        exec("raise PermissionError('read-only artefact store')", vars(mlflow))

    uploaded = Figure(None)
    uploaded.save = raise_inside_mlflow
    guard_dataset_logging("fig", uploaded, lambda stage, error: failures.append((stage, error)))
    uploaded.save(object())
    assert [(stage, str(error)) for stage, error in failures] == [
        ("logging 'fig'", "read-only artefact store")
    ]

    local = Figure(OSError("disk full"))
    guard_dataset_logging("fig", local, lambda stage, error: failures.append(stage))
    with pytest.raises(OSError, match="disk full"):
        local.save(object())


def _kedro(project: Path, *args: str) -> subprocess.CompletedProcess:
    kedro = str(Path(sys.executable).with_name("kedro"))
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "COLUMNS": "250"}
    return subprocess.run(
        [kedro, *args], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )


def _ok(done: subprocess.CompletedProcess) -> str:
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "Pipeline execution completed successfully" in output
    return output


def _set_store(project: Path, tracking_uri: str, artifact_location: str = "mlruns/artifacts"):
    (project / "conf" / "quick" / "mlflow.yml").write_text(
        f"server:\n  mlflow_tracking_uri: {tracking_uri}\n"
        f"tracking:\n  experiment:\n    create_experiment_kwargs:\n"
        f"      artifact_location: {artifact_location}\n"
    )


@pytest.fixture(scope="module")
def tracked_project(tmp_path_factory, tweets_dir) -> Path:
    project = copy_project(tmp_path_factory.mktemp("tracking") / "project")
    _ok(
        _kedro(
            project,
            "run",
            "--pipelines=tweets",
            "--env=quick",
            f"--params=tweets.data_dir={tweets_dir}",
        )
    )
    return project


@pytest.mark.e2e
def test_a_quick_run_records_run_name_parameters_metrics_and_figures(tracked_project):
    (run,) = tracked_runs(tracked_project)
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "tweets --env quick (full)"
    assert run.data.tags["env"] == "quick"
    assert (
        run.data.tags["run_id"]
        == sorted(
            p.name for p in (tracked_project / "data/08_reporting/tweet_results.parquet").iterdir()
        )[-1]
    )  # the Kedro session id, also every dataset's version folder
    # parameters flattened from the `params:tweets` dict the nodes read
    assert run.data.params["tweets.cv.n_folds"] == "2"
    assert run.data.params["tweets.train.epochs"] == "2"
    results = load(tracked_project, "tweet_results")
    for row in results.itertuples(index=False):
        for column in ("stl_accuracy", "mtl_accuracy", "stl_f1", "mtl_f1"):
            name = f"tweets.{row.pair}.{row.task}.{row.encoder}.{column}"
            assert run.data.metrics[name] == pytest.approx(getattr(row, column)), name
    assert len(run.data.metrics) == results[["stl_accuracy", "mtl_accuracy"]].size * 2
    artefacts = tracked_artifacts(tracked_project, run.info.run_id)
    assert artefacts == {"figures/tweet_aux_ablation.png", "figures/tweet_aux_ablation.pdf"}
    figure_versions = {
        p.name for p in (tracked_project / "data/08_reporting/tweet_aux_ablation.png").iterdir()
    }
    assert run.data.tags["run_id"] in figure_versions  # figures versioned with the run


def _broken_store_cases(project: Path):
    """(name, how to break the store) for each failure; each leaves a store that cannot work."""

    def corrupt_database():
        (project / "broken1").mkdir()
        (project / "broken1" / "mlflow.db").write_bytes(b"not an sqlite database\n" * 200)
        _set_store(project, "sqlite:///broken1/mlflow.db")

    def mlruns_is_a_file():
        (project / "broken2").write_text("a file where the store's folder should be")
        _set_store(project, "sqlite:///broken2/mlflow.db")

    def read_only_disk():
        # /proc refuses new files even to root (chmod would not stop root)
        _set_store(project, "sqlite:////proc/mtl_pipeline_mlflow.db")

    def read_only_artefact_store():
        # the database works, the run starts; then uploading the first figure fails mid-run
        _set_store(project, "sqlite:///broken4/mlflow.db", "/proc/mtl_pipeline_artifacts")

    def unreachable_server():
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        closed.close()  # nothing listens there any more
        _set_store(project, f"http://127.0.0.1:{port}")

    return [
        corrupt_database,
        mlruns_is_a_file,
        read_only_disk,
        read_only_artefact_store,
        unreachable_server,
    ]


@pytest.mark.e2e
@pytest.mark.parametrize("case", range(5))
def test_a_broken_store_is_one_warning_and_the_run_completes(tracked_project, case):
    project = tracked_project
    breaker = _broken_store_cases(project)[case]
    breaker()
    try:
        before = {p.name for p in (project / "data/08_reporting/tweet_results.parquet").iterdir()}
        output = _ok(
            _kedro(project, "run", "--pipelines=tweets", "--env=quick", f"--nodes={REPORT_NODES}")
        )
        assert output.count(WARNING) == 1, (breaker.__name__, output[-4000:])
        assert "Traceback" not in output
        after = {p.name for p in (project / "data/08_reporting/tweet_results.parquet").iterdir()}
        assert len(after - before) == 1  # the node's outputs were saved as usual
    finally:
        (project / "conf" / "quick" / "mlflow.yml").unlink()


@pytest.mark.e2e
def test_two_runs_racing_on_a_fresh_store_both_complete(tracked_project):
    project = tracked_project
    _set_store(project, "sqlite:///race/mlflow.db")
    try:
        results: list[subprocess.CompletedProcess] = []
        args = ("run", "--pipelines=tweets", "--env=quick", f"--nodes={REPORT_NODES}")
        racers = [
            threading.Thread(target=lambda: results.append(_kedro(project, *args)))
            for _ in range(2)
        ]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join()
        outputs = [_ok(done) for done in results]
        # each run is tracked, or says in one warning that it is not
        assert all(output.count(WARNING) <= 1 for output in outputs)
    finally:
        (project / "conf" / "quick" / "mlflow.yml").unlink()
