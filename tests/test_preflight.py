"""Checks before the work, and one message for every refusal: each class of user error ends a
real `kedro run` with one line naming the parameter, file or command, and no traceback."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from kedro.config import OmegaConfigLoader

from mtl_pipeline import preflight
from mtl_pipeline.pipelines.checks import PARAMETER_CHECKS, check_parameters
from mtl_pipeline.preflight import UnwritableError, check_writable
from mtl_pipeline.settings import CONFIG_LOADER_ARGS
from tests.conftest import PROJECT_ROOT, copy_project


@pytest.mark.parametrize("env", ["local", "quick", "kerinec_code"])
def test_every_shipped_configuration_passes_the_checks(env):
    loader = OmegaConfigLoader(
        conf_source=str(PROJECT_ROOT / "conf"),
        env=env,
        **{k: v for k, v in CONFIG_LOADER_ARGS.items() if k != "default_run_env"},
    )
    parameters = loader["parameters"]
    read = [f"params:{block}" for block in PARAMETER_CHECKS]
    assert check_parameters(parameters, read) == sorted(PARAMETER_CHECKS)


def test_an_unwritable_folder_and_a_full_disk_are_named(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(UnwritableError, match=rf"parameter x: cannot write to {blocker}/store"):
        check_writable(str(blocker / "store"), "parameter x")

    class Usage:
        free = 3 * 2**20

    monkeypatch.setattr(preflight.shutil, "disk_usage", lambda path: Usage)
    with pytest.raises(UnwritableError) as error:
        check_writable(str(tmp_path / "out"), "catalog entry y")
    assert str(error.value) == (
        f"catalog entry y: only 3.0 MiB free at {tmp_path / 'out'} (at least 64 MiB needed); "
        "free some space or point it elsewhere before the run (nothing has been trained yet)"
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return copy_project(tmp_path_factory.mktemp("preflight") / "project")


def _kedro(project: Path, *args: str) -> tuple[int, str]:
    # The copy's own logging (console + its logs/info.log, where an input error's full
    # traceback goes), not the tests' console-only one: the copy is a temporary folder.
    env = {
        **os.environ,
        "PYTHONPATH": str(project / "src"),
        "COLUMNS": "250",
        "KEDRO_LOGGING_CONFIG": str(project / "conf" / "logging.yml"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "kedro", "run", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, done.stdout + done.stderr


ARCHIVE = "newsgroups.archive=/nowhere/20news-bydate.tar.gz"  # never read: the checks come first

CASES = {
    "shard_size=0": (
        [
            "--pipelines=newsgroups",
            "--env=quick",
            "--params",
            f"{ARCHIVE},newsgroups.training.shard_size=0",
        ],
        "Error: parameter newsgroups.training.shard_size is 0; expected an integer >= 1",
    ),
    "shard_size=ten": (
        [
            "--pipelines=newsgroups",
            "--env=quick",
            "--params",
            f"{ARCHIVE},newsgroups.training.shard_size=ten",
        ],
        "Error: parameter newsgroups.training.shard_size is 'ten'; expected an integer >= 1",
    ),
    "executor=spark": (
        [
            "--pipelines=newsgroups",
            "--env=quick",
            "--params",
            f"{ARCHIVE},newsgroups.training.executor=spark",
        ],
        "Error: parameter newsgroups.training.executor is 'spark'; expected one of ['dask', 'local']",
    ),
    "chunk_size=0": (
        [
            "--pipelines=newsgroups",
            "--env=quick",
            "--params",
            f"{ARCHIVE},newsgroups.training.chunk_size=0",
        ],
        "Error: parameter newsgroups.training.chunk_size is 0; expected an integer >= 1",
    ),
    "stl_epochs=0 (meta)": (
        [
            "--pipelines=meta",
            "--env=quick",
            "--params",
            f"{ARCHIVE},newsgroups.train.stl_epochs=0",
        ],
        "Error: parameter newsgroups.train.stl_epochs is 0; expected an integer >= 1",
    ),
    "tweets epochs": (
        ["--pipelines=tweets", "--env=quick", "--params", "tweets.train.epochs=ten"],
        "Error: parameter tweets.train.epochs is 'ten'; expected an integer >= 1",
    ),
    "store is a file": (
        [
            "--pipelines=newsgroups",
            "--env=quick",
            "--params",
            f"{ARCHIVE},newsgroups.training.shard_store=README.md",
        ],
        "Error: parameter newsgroups.training.shard_store: cannot write to README.md",
    ),
    "no stored curves": (
        ["--pipelines=meta", "--env=quick", "--nodes=training.compute_mtl_gains"],
        "Error: catalog entry learning_curves has no saved version",
    ),
    "no fitted meta-model": (
        ["--pipelines=predict", "--env=quick"],
        "Error: no fitted meta-model at ",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refusal_is_one_message_without_traceback(project, case):
    args, expected = CASES[case]
    code, output = _kedro(project, *args)
    assert code != 0
    assert "Traceback" not in output and "╭" not in output, output[-3000:]
    last = output.rstrip().splitlines()[-1]
    assert last.startswith(expected), output[-3000:]
    if case == "no fitted meta-model":
        assert last.endswith(
            "data/06_models/fitted_meta_model.json (catalog entry fitted_meta_model): fit it "
            "first with `kedro run --pipelines=meta` (the whole 20NG study), or, when "
            "meta_features exist, `kedro run --pipelines=meta --nodes=meta_model.fit_meta_predictor`"
        )
    assert "Running node" not in output  # refused before the first node


def test_cuda_without_a_gpu_is_refused_before_the_run(project):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: device=cuda is valid here")
    code, output = _kedro(
        project,
        "--pipelines=newsgroups",
        "--env=quick",
        "--params",
        f"{ARCHIVE},newsgroups.training.device=cuda",
    )
    assert code != 0 and "Traceback" not in output
    assert "parameter newsgroups.training.device is 'cuda' but torch" in output.splitlines()[-1]


def test_a_pickled_store_is_refused_before_the_run_and_runs_nothing(project, tmp_path):
    store = tmp_path / "store"
    (store / "ab").mkdir(parents=True)
    marker = tmp_path / "code_ran"
    (store / "ab" / ("ab" + "0" * 30 + ".pkl")).write_bytes(pickle.dumps(_MakesFile(str(marker))))
    code, output = _kedro(
        project,
        "--pipelines=newsgroups",
        "--env=quick",
        "--params",
        f"{ARCHIVE},newsgroups.training.shard_store={store}",
    )
    assert code != 0 and "Traceback" not in output and not marker.exists()
    assert (
        output.rstrip()
        .splitlines()[-1]
        .startswith(f"Error: the shard store {store} holds 1 record(s) in the former pickle format")
    )
    assert "Input error (full traceback)" not in output
    assert "full traceback" in (project / "logs" / "info.log").read_text()


class _MakesFile:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))
