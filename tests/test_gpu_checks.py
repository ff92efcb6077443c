"""benchmarks/gpu_checks.sh rehearsed on the CPU (GPU_CHECKS_DRY_RUN=1, tiny sizes): every
step runs under its limit, writes its result as it ends, and the summary table reports them;
the kedro study really trains and its rerun really trains nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import copy_project

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT.parent / "shared" / "data" / "20news-bydate.tar.gz"
STEPS = ("gpu_tests", "stacked_vs_alone", "study", "study_rerun", "rerun_trains_nothing")


def test_gpu_checks_dry_run_on_cpu(tmp_path):
    # In a copy: the script's kedro runs write data/, mlruns/ and .viz/ where they run.
    project = copy_project(tmp_path / "project")
    env = {**os.environ, "GPU_CHECKS_DRY_RUN": "1", "OMP_NUM_THREADS": "1"}
    # this interpreter, whether or not its virtual environment is activated
    env.update(PYTHON=sys.executable, KEDRO=f"{sys.executable} -m kedro")
    env["PYTHONPATH"] = os.pathsep.join([str(project / "src"), env.get("PYTHONPATH", "")])
    out = tmp_path / "results"
    run = subprocess.run(
        ["bash", "benchmarks/gpu_checks.sh", str(ARCHIVE), str(out)],
        cwd=project, env=env, capture_output=True, text=True, timeout=1500,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    summary = (out / "summary.md").read_text()
    for step in STEPS:
        status, _seconds, figure = (out / f"{step}.result").read_text().rstrip("\n").split("\t")
        assert status == "ok", f"{step}: {status} {figure}\n{summary}"
        assert f"| {step} | ok |" in summary
    assert "speedup=" in (out / "stacked_vs_alone.result").read_text()
    study = (out / "study.result").read_text()
    assert "models: trained=" in study and "models: trained=0 reused=" not in study
    rerun = (out / "study_rerun.result").read_text()
    assert rerun.count("models: trained=0 reused=") == 2, (
        rerun
    )  # STL and MTL: nothing trained again
