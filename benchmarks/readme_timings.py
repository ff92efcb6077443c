"""The README's timings of cheap commands, as the median and range of repeated runs.

Each command is run ``--repeats`` times as a child process, exactly as the README writes it
(the data paths made absolute), each repetition in a fresh ``git clone`` of the project's
current commit in a temporary folder, so that every run starts from what a new user has: no
``data/``, an empty shard store (**cold**), no MLflow store. A command marked *warm* runs again in
the clone its cold run left, i.e. with every model already in the shard store. For each run it
takes the child's wall time (``time.perf_counter``) and its CPU time, user + system of the child
and its waited-for children (``resource.getrusage(RUSAGE_CHILDREN)`` before and after), and the
1-minute load average when it started: on a shared machine the wall time says what a user waits
and the CPU time what the command costs.

The child inherits this process's environment (run it as the README's benchmarks say, e.g.
``OMP_NUM_THREADS=1 nice -n 19``; both are recorded) with ``PYTHONPATH`` set to the clone's
``src``. The results are printed and written into benchmarks/README.md between the
``readme_timings`` markers (the rest of that file is left as it is).

    OMP_NUM_THREADS=1 nice -n 19 python benchmarks/readme_timings.py --repeats 3
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS_README = PROJECT_ROOT / "benchmarks" / "README.md"
START_MARKER = "<!-- readme_timings:start (written by benchmarks/readme_timings.py) -->"
END_MARKER = "<!-- readme_timings:end -->"
ARCHIVE = "../shared/data/20news-bydate.tar.gz"
TWEETS = "../shared/data/tweets"


@dataclass(frozen=True)
class TimedCommand:
    """A README command; ``warm_after`` names the cold command whose clone it reruns in."""

    name: str
    command: str
    warm_after: str | None = None


COMMANDS = (
    TimedCommand("list the meta pipeline's nodes", "kedro registry describe meta"),
    TimedCommand(
        "quick meta run, cold store",
        f"kedro run --pipelines=meta --env quick --params newsgroups.archive={ARCHIVE}",
    ),
    TimedCommand(
        "quick meta rerun, warm store",
        f"kedro run --pipelines=meta --env quick --params newsgroups.archive={ARCHIVE}",
        warm_after="quick meta run, cold store",
    ),
    TimedCommand(
        "quick predict, after the quick meta run",
        "kedro run --pipelines=predict --env quick",
        warm_after="quick meta run, cold store",
    ),
    TimedCommand(
        "quick tweets run, cold store",
        f"kedro run --pipelines=tweets --env quick --params tweets.data_dir={TWEETS}",
    ),
)


@dataclass
class Timing:
    wall_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)


def current_commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def fresh_clone(destination: Path, commit: str) -> Path:
    """A ``git clone`` of the project at ``commit`` (what a new user checks out)."""
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(PROJECT_ROOT), str(destination)],
        check=True,
    )
    subprocess.run(["git", "checkout", "--quiet", commit], cwd=destination, check=True)
    return destination


def absolute_data_paths(command: str) -> list[str]:
    """The command's words with the README's ``../shared/data`` paths made absolute (a clone in a
    temporary folder has no ``../shared`` beside it)."""
    shared = str((PROJECT_ROOT / "../shared/data").resolve())
    return [word.replace("../shared/data", shared) for word in shlex.split(command)]


def run_once(command: str, project: Path) -> tuple[float, float, float]:
    """(wall seconds, child CPU seconds, 1-min load average at the start); fails loudly."""
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    argv = absolute_data_paths(command)
    argv[0] = str(Path(sys.executable).with_name(argv[0]))  # this environment's `kedro`
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(
            f"`{command}` failed in {project} (exit {done.returncode}):\n"
            f"{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, load


def measure(repeats: int, names: set[str] | None, commit: str) -> dict[str, Timing]:
    chosen = [c for c in COMMANDS if names is None or c.name in names]
    timings = {c.name: Timing() for c in chosen}
    with tempfile.TemporaryDirectory(prefix="readme_timings_") as scratch:
        for repeat in range(repeats):
            clones: dict[str, Path] = {}
            for timed in chosen:
                if timed.warm_after is not None:
                    if timed.warm_after not in clones:
                        raise SystemExit(f"{timed.name!r} needs {timed.warm_after!r} selected")
                    project = clones[timed.warm_after]
                else:
                    project = fresh_clone(Path(scratch) / f"r{repeat}_{len(clones)}", commit)
                    clones[timed.name] = project
                wall, cpu, load = run_once(timed.command, project)
                timing = timings[timed.name]
                timing.wall_s.append(wall)
                timing.cpu_s.append(cpu)
                timing.load.append(load)
                print(
                    f"[{repeat + 1}/{repeats}] {timed.name}: wall {wall:.1f} s, "
                    f"CPU {cpu:.1f} s (load {load:.1f})",
                    flush=True,
                )
    return timings


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"


def report(timings: dict[str, Timing], repeats: int, commit: str) -> str:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    by_name = {c.name: c for c in COMMANDS}
    lines = [
        f"Commit {commit[:7]}, {when}, {os.cpu_count()} CPU cores shared with other jobs, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
        f"nice {os.nice(0)}; {repeats} runs each, median (min–max) in seconds; each cold run "
        "in a fresh `git clone` (empty shard store), each warm one in the clone its cold run "
        "left (every model stored).",
        "",
        "| command | store | wall s | CPU s (user + sys) | load average at start |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, timing in timings.items():
        timed = by_name[name]
        store = "warm" if timed.warm_after else "cold"
        if timed.command.startswith("kedro registry"):
            store = "none (no run)"
        lines.append(
            f"| `{timed.command}` | {store} | {_spread(timing.wall_s)} | "
            f"{_spread(timing.cpu_s)} | {_spread(timing.load)} |"
        )
    return "\n".join(lines)


def write_into_benchmarks_readme(table: str) -> None:
    text = BENCHMARKS_README.read_text()
    section = f"{START_MARKER}\n{table}\n{END_MARKER}"
    if START_MARKER in text:
        head, rest = text.split(START_MARKER, 1)
        text = head + section + rest.split(END_MARKER, 1)[1]
    else:
        raise SystemExit(f"{BENCHMARKS_README} has no {START_MARKER!r} marker to write under")
    BENCHMARKS_README.write_text(text)
    print(f"wrote the table into {BENCHMARKS_README.relative_to(PROJECT_ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--only",
        action="append",
        choices=[c.name for c in COMMANDS],
        help="time only this command (repeatable); a warm one needs its cold one too",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    commit = current_commit()  # every clone checks out this one, whatever is committed meanwhile
    timings = measure(args.repeats, set(args.only) if args.only else None, commit)
    table = report(timings, args.repeats, commit)
    print(table)
    if not args.no_write:
        write_into_benchmarks_readme(table)


if __name__ == "__main__":
    main()
