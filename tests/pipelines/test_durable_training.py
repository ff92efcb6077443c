"""End to end, as a user runs it: `kedro run` subprocesses in one copy of the project.

Kill -9 mid-training and resume; a rerun trains nothing; a changed parameter retrains only the
models it affects; the README's old rerun recipe (STL and MTL from different runs) fails with
one clear message. Quick configuration with one pair per problem and one model per shard.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from mtl_pipeline.training.store import RECORD_SUFFIX
from tests.conftest import copy_project
from tests.pipelines.kedro_run import load

pytestmark = pytest.mark.e2e

STORE = "data/06_models/shard_store"
SUMMARY = re.compile(r"models: trained=(\d+) reused=(\d+) rejected=(\d+) seconds=[0-9.]+")
TRAINING_NODES = "training.train_stl_models,training.train_mtl_models"


def _command(archive: Path, *extra_params: str, from_nodes: str | None = None) -> list[str]:
    params = [
        f"newsgroups.archive={archive}",
        "newsgroups.pairs_per_problem=1",
        "newsgroups.training.shard_size=1",
        "newsgroups.training.progress=false",
        *extra_params,
    ]
    kedro = str(Path(sys.executable).with_name("kedro"))
    cmd = [kedro, "run", "--pipelines=newsgroups", "--env=quick", "--params", ",".join(params)]
    return cmd + ([f"--from-nodes={from_nodes}"] if from_nodes else [])


def _env(project: Path) -> dict[str, str]:
    # COLUMNS: Kedro's rich log handler must not wrap the summary line
    return {**os.environ, "PYTHONPATH": str(project / "src"), "COLUMNS": "250"}


def _run(project: Path, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=project, env=_env(project), capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{done.stdout[-4000:]}{done.stderr[-4000:]}")
    return done


def _summaries(done: subprocess.CompletedProcess) -> dict[str, tuple[int, int]]:
    """(trained, reused) per training node, from the summary line each logs."""
    out, found, node = done.stdout + done.stderr, {}, None
    for line in out.splitlines():
        started = re.search(r"Running node: (\w+)", line)
        if started:
            node = started.group(1)
        match = SUMMARY.search(line)
        if match:
            found[node] = (int(match.group(1)), int(match.group(2)))
    return found


def _stored(project: Path) -> list[Path]:
    return (
        sorted((project / STORE).glob(f"*/*{RECORD_SUFFIX}")) if (project / STORE).exists() else []
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory, newsgroups_archive) -> Path:
    return copy_project(tmp_path_factory.mktemp("durable") / "project")


def test_kill_resume_rerun_change_and_mixing(project, newsgroups_archive):
    cmd = _command(newsgroups_archive)

    # 1. kill -9 once the first shard is stored, while the run is still training
    proc = subprocess.Popen(
        cmd, cwd=project, env=_env(project), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while not _stored(project) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before its first shard was stored"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    n_before = len(_stored(project))
    assert n_before >= 1

    # 2. resume: the stored models are reused, the rest trained
    resumed = _summaries(_run(project, cmd))
    assert set(resumed) == {"train_stl_models", "train_mtl_models"}
    assert sum(reused for _, reused in resumed.values()) >= n_before
    n_stl, n_mtl = (sum(resumed[n]) for n in ("train_stl_models", "train_mtl_models"))
    gains_resumed = load(project, "mtl_gains")

    # the same training, uninterrupted, in a fresh store: identical gains
    fresh_store = f"newsgroups.training.shard_store={project / 'fresh_store'}"
    fresh = _summaries(
        _run(project, _command(newsgroups_archive, fresh_store, from_nodes=TRAINING_NODES))
    )
    assert fresh == {"train_stl_models": (n_stl, 0), "train_mtl_models": (n_mtl, 0)}
    pd.testing.assert_frame_equal(load(project, "mtl_gains"), gains_resumed)

    # 3. two runs in a row: the second trains nothing
    again = _summaries(_run(project, cmd))
    assert again == {"train_stl_models": (0, n_stl), "train_mtl_models": (0, n_mtl)}
    pd.testing.assert_frame_equal(load(project, "mtl_gains"), gains_resumed)

    # 4. a changed parameter retrains only the models it affects: the MTL ones
    changed = _summaries(
        _run(project, _command(newsgroups_archive, "newsgroups.train.mtl_epochs=3"))
    )
    assert changed == {"train_stl_models": (0, n_stl), "train_mtl_models": (n_mtl, 0)}

    # 5. the old README recipe: STL from a run with stl_epochs=1, then only MTL rerun with
    # the defaults. combine_learning_curves must refuse to mix them, naming both.
    _run(project, _command(newsgroups_archive, "newsgroups.train.stl_epochs=1"))
    mixed = _run(
        project, _command(newsgroups_archive, from_nodes="training.train_mtl_models"), check=False
    )
    assert mixed.returncode != 0
    output = " ".join((mixed.stdout + mixed.stderr).split())
    assert "stl_learning_curves and mtl_learning_curves come from different runs" in output
    assert re.search(
        r"stl_learning_curves has task samples \w+ and training parameters \w+", output
    )
    assert re.search(
        r"mtl_learning_curves has task samples \w+ and training parameters \w+", output
    )
    # the README's safe recipe: both training nodes from the same parameters
    _run(project, _command(newsgroups_archive, from_nodes=TRAINING_NODES))
    pd.testing.assert_frame_equal(load(project, "mtl_gains"), gains_resumed)
