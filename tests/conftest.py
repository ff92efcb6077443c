"""Shared fixtures: where the real data lives, and a throw-away copy of the project."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Set before anything imports Kedro (which reads it once), and inherited by every `kedro`
# subprocess: the tests log to the console only, never into the checkout's logs/info.log.
os.environ["KEDRO_LOGGING_CONFIG"] = str(PROJECT_ROOT / "tests" / "logging.yml")
# What a run writes into the project it runs in (git-ignored): the tests run in copies, so
# these must be the same after the session as before it.
RUN_OUTPUTS = ("logs", "data", "mlruns", ".viz", "notebooks/.ipynb_checkpoints")
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
NEWSGROUPS_ARCHIVE = SHARED_DATA / "20news-bydate.tar.gz"
TWEETS_DIR = SHARED_DATA / "tweets"


def require_shared_data(path: Path) -> Path:
    """The real data is part of the test set-up: its absence is an error, never a silent skip."""
    if not path.exists():
        pytest.fail(f"Real test data missing: {path} (expected ../shared/data beside the project)")
    return path


@pytest.fixture(scope="session")
def newsgroups_archive() -> Path:
    return require_shared_data(NEWSGROUPS_ARCHIVE)


@pytest.fixture(scope="session")
def tweets_dir() -> Path:
    return require_shared_data(TWEETS_DIR)


def _run_outputs() -> dict[str, tuple[int, int]]:
    found = {}
    for folder in RUN_OUTPUTS:
        for path in (PROJECT_ROOT / folder).rglob("*"):
            if path.is_file():
                stat = path.stat()
                found[str(path.relative_to(PROJECT_ROOT))] = (stat.st_size, stat.st_mtime_ns)
    return found


@pytest.fixture(scope="session", autouse=True)
def checkout_left_untouched():
    """Fails the session when a test wrote into the checkout (a log line, a dataset, a run)."""
    before = _run_outputs()
    yield
    after = _run_outputs()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"tests wrote into the checkout {PROJECT_ROOT}: {changed[:20]}"


def copy_project(destination: Path) -> Path:
    """Copy the project's tracked and untracked-not-ignored files (no data/, no .venv)."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = PROJECT_ROOT / name.decode()
        if source.is_file():
            target = destination / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A temporary copy of the project, so end-to-end runs never touch the checkout's data/."""
    return copy_project(tmp_path / "project")
