"""Every command in README.md, conf/README.md, conf/kerinec_code/README.md and the notebooks runs
as written: each `kedro run` is parsed by Kedro's own `run` command and its names checked against
the project (pipelines, environments, node names, namespaces, parameter keys, datasets); the
cheap other commands are run (`kedro registry describe`, `kedro catalog describe-datasets`,
`--help` of the commands that would start a server or rewrite the README). Commands that install
software or start a cluster are listed as such, never silently skipped.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

DOCUMENTS = ("README.md", "conf/README.md", "conf/kerinec_code/README.md")
NOTEBOOKS = (
    "notebooks/newsgroups_study.ipynb",
    "notebooks/tweets_study.ipynb",
    "notebooks/factors_study.ipynb",
)
# An environment the README asks the reader to create (conf/my_study/parameters_tweets.yml).
USER_ENVS = {"my_study"}
# Commands that set up software or a cluster: documented, not run by a test.
NOT_RUN = ("python3 -m venv", ". .venv/bin/activate", "pip install", "dask ", "ls ")
# Values the reader fills in (`<version>`, `…`): replaced by a stand-in before parsing.
PLACEHOLDER = re.compile(r"<[^>]+>|…")
SHELL_WORDS = ("kedro", "python", "python3", "mlflow", "pip", "dask", "ls", ".")


def _markdown_texts() -> dict[str, str]:
    texts = {name: (PROJECT_ROOT / name).read_text() for name in DOCUMENTS}
    for name in NOTEBOOKS:
        cells = json.loads((PROJECT_ROOT / name).read_text())["cells"]
        texts[name] = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return texts


def _code_blocks(text: str) -> tuple[list[str], str]:
    """The lines of every fenced block whose language is bash or none, and the prose around."""
    lines, prose, language = [], [], None
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            language = line.strip()[3:] if language is None else None
            continue
        if language is None:
            prose.append(line)
        elif language in ("bash", "sh", ""):
            lines.append(line.strip())
    return lines, "\n".join(prose)


def documented_commands() -> list[tuple[str, str]]:
    """(document, command) for each shell command: the lines of ```bash and plain ``` blocks that
    start with a command, and inline code spans that do (joined across line breaks); a line with
    `&&` gives one command per part."""
    found: list[tuple[str, str]] = []
    for document, text in _markdown_texts().items():
        block_lines, prose = _code_blocks(text)
        spans = [
            re.sub(r"\s+", " ", span.strip())
            for span in re.findall(r"`([^`]+)`", prose.replace("\n", " "))
            if re.match(r"(kedro|python -m|mlflow) ", span)
        ]
        for line in [*block_lines, *spans]:
            for part in line.split("&&"):
                if part.split()[:1] and part.split()[0] in SHELL_WORDS:
                    found.append((document, shlex.join(shlex.split(part, comments=True))))
    return list(dict.fromkeys(found))


@cache
def _project():
    from kedro.framework.project import pipelines
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(PROJECT_ROOT)
    return {name: pipelines[name] for name in pipelines}


@cache
def _config(env: str) -> tuple[dict, dict]:
    from kedro.config import OmegaConfigLoader

    from mtl_pipeline.settings import CONFIG_LOADER_ARGS

    loader = OmegaConfigLoader(
        conf_source=str(PROJECT_ROOT / "conf"), env=env, **CONFIG_LOADER_ARGS
    )
    return loader["parameters"], loader["catalog"]


def _has_key(params: dict, dotted: str) -> bool:
    value = params
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


def check_kedro_run(args: list[str]) -> None:
    """Parse ``kedro run`` arguments with Kedro's own command and check every name they use."""
    from kedro.framework.cli.project import run

    context = run.make_context("run", list(args))
    options = context.params
    env = options["env"] or "local"
    assert env in USER_ENVS or (PROJECT_ROOT / "conf" / env).is_dir(), f"no environment {env}"
    registered = _project()
    names = list(options["pipelines"] or ("__default__",))
    assert set(names) <= set(registered), f"unknown pipeline in {names}"
    pipeline = sum((registered[n] for n in names[1:]), registered[names[0]])
    node_names = {n.name for n in pipeline.nodes}
    for option in ("node_names", "from_nodes", "to_nodes"):
        for name in options[option] or ():
            assert name in node_names, f"{option}={name}: no such node"
    namespaces = {n.namespace for n in pipeline.nodes}
    for namespace in options.get("namespaces") or ():
        assert namespace in namespaces, f"--namespaces={namespace}: no such namespace"
    if env in USER_ENVS:
        return
    parameters, catalog = _config(env)
    for key in _flatten(options["params"] or {}):
        assert _has_key(parameters, key), f"--params {key}: no such parameter (env {env})"
    for dataset in options["load_versions"] or {}:
        assert dataset in catalog, f"--load-versions={dataset}: no such dataset"


def _flatten(params: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in params.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _run(command: list[str], project: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "COLUMNS": "200"}
    return subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=300
    )


def _kedro(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("kedro")), *args]


def how_to_check(command: str) -> tuple[str, list[str] | None]:
    """What the test does with a documented command: ``("parse", args)`` for `kedro run`,
    ``("run", argv)`` for a cheap command run as written (or its ``--help``), ``("not run",
    None)`` for installs and cluster commands."""
    words = shlex.split(command)
    if command.startswith(NOT_RUN) or words[:2] == ["kedro", "airflow"]:
        return "not run (installs software, starts a cluster or lists a folder)", None
    if words[:2] == ["kedro", "run"]:
        return "parsed by kedro run, names checked", words[2:]
    if words[:2] in (["kedro", "registry"], ["kedro", "catalog"]):
        return "run as written", _kedro(*words[1:])
    if words[:3] == ["kedro", "mlflow", "init"]:
        return "--help (writes conf/local/mlflow.yml)", _kedro(*words[1:], "--help")
    if words[:1] == ["kedro"]:  # viz run, jupyter lab, mlflow ui: they start a server
        return "--help (starts a server)", _kedro(*words[1:], "--help")
    if words[:3] == ["python", "-m", "pytest"]:
        return "not run (it is this test suite)", None
    if words[:2] == ["python", "-m"]:  # readme_tables rewrites the README, store migrate a store
        writes = "README.md" if words[2].endswith("readme_tables") else "the files it names"
        return f"--help (writes {writes})", [sys.executable, "-m", words[2], "--help"]
    if words[:2] == ["mlflow", "ui"]:
        return "--help (starts a server)", [
            str(Path(sys.executable).with_name("mlflow")),
            "ui",
            "--help",
        ]
    raise AssertionError(f"a documented command the test does not know how to check: {command}")


COMMANDS = documented_commands()


def test_the_documents_hold_the_commands_this_test_knows():
    commands = [command for _, command in COMMANDS]
    assert len(commands) >= 25
    assert any(c.startswith("kedro run --pipelines=predict") for c in commands)
    assert "kedro jupyter lab --allow-root" in commands
    for document, command in COMMANDS:
        how, _ = how_to_check(command)
        print(f"{document}: {command}\n    -> {how}")


@pytest.mark.parametrize(
    ("document", "command"), [c for c in COMMANDS if c[1].startswith("kedro run")]
)
def test_documented_kedro_run_parses_and_names_what_exists(document, command):
    _, args = how_to_check(command)
    check_kedro_run([PLACEHOLDER.sub("PLACEHOLDER", a) for a in args])


def test_cheap_documented_commands_run(project_copy):
    seen = set()
    for _, command in COMMANDS:
        how, argv = how_to_check(command)
        if argv is None or command.startswith("kedro run") or tuple(argv) in seen:
            continue
        seen.add(tuple(argv))
        done = _run(argv, project_copy)
        assert done.returncode == 0, (
            f"{command} ({how}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )


def test_the_checks_catch_a_wrong_command():
    with pytest.raises(AssertionError, match="no such node"):
        check_kedro_run(["--pipelines=meta", "--env", "quick", "--nodes=training.nonexistent"])
    with pytest.raises(AssertionError, match="no such parameter"):
        check_kedro_run(["--pipelines=meta", "--params", "newsgroups.training.stl_epoch=3"])
    with pytest.raises(AssertionError, match="no environment"):
        check_kedro_run(["--pipelines=meta", "--env", "quik"])
    import click

    with pytest.raises(click.UsageError):
        check_kedro_run(["--pipeline-names=meta"])


def test_readme_predict_example_is_the_shipped_parameters_file():
    import yaml

    readme = (PROJECT_ROOT / "README.md").read_text()
    example = re.search(r"```yaml\n(predict:.*?)```", readme, flags=re.S).group(1)
    shipped = (PROJECT_ROOT / "conf/base/parameters_predict.yml").read_text()
    assert yaml.safe_load(example) == yaml.safe_load(shipped)
    assert example.strip() == shipped[shipped.index("predict:") :].strip()  # comments too


# A Python warning on the console: the rich handler's `WARNING … warnings.py:NN` line (warnings
# captured into logging) or a bare `…Warning:` line printed before logging is set up.
PYTHON_WARNING_LINE = re.compile(r"WARNING .*warnings\.py:\d+|\b[A-Z]\w*Warning\b")


def test_a_kedro_command_prints_no_python_warning(project_copy):
    """The project's config, kedro-mlflow and MLflow imports leave the console clean: no
    OmegaConf deprecation, no MLflow "Add type hints to the `predict` method" (caught at the import
    in mtl_pipeline.tracking), nothing else."""
    done = _run(_kedro("registry", "describe", "meta"), project_copy)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    console = done.stdout + done.stderr
    assert "- meta_model.evaluate_meta_goal" in console  # the command did its work
    warned = [line for line in console.splitlines() if PYTHON_WARNING_LINE.search(line)]
    assert not warned, "\n".join(warned)
