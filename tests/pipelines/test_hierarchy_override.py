"""A user's tree replaces the shipped one whole, wherever it is given (conf/local, --env,
--params): Kedro deep-merges mappings across environments, so the tree is a list."""

import contextlib
from pathlib import Path

import pytest
import yaml
from kedro.config import OmegaConfigLoader
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from mtl_pipeline.settings import CONFIG_LOADER_ARGS
from tests.pipelines.kedro_run import load

# Same-named fathers ("a", "b") under two tops: identified by full path they are four families.
USER_TREE = [
    {"top": "rec", "father": "a", "newsgroups": ["rec.autos", "rec.motorcycles"]},
    {"top": "rec", "father": "b", "newsgroups": ["rec.sport.baseball", "rec.sport.hockey"]},
    {"top": "sci", "father": "a", "newsgroups": ["sci.crypt", "sci.med"]},
    {"top": "sci", "father": "b", "newsgroups": ["sci.electronics", "sci.space"]},
]


def _params(project: Path, env: str | None = None, runtime: dict | None = None) -> dict:
    loader = OmegaConfigLoader(
        conf_source=str(project / "conf"), env=env, runtime_params=runtime, **CONFIG_LOADER_ARGS
    )
    return loader["parameters"]


def _write(path: Path, tree: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"newsgroups": {"hierarchy": tree}}))


def test_shipped_tree_is_the_default(project_copy):
    tree = _params(project_copy)["newsgroups"]["hierarchy"]
    assert len(tree) == 7 and {"top": "comp", "father": "sys"}.items() <= tree[0].items()


@pytest.mark.parametrize("where", ["conf/local", "--env", "--params"])
def test_a_user_tree_replaces_the_shipped_one_whole(project_copy, where):
    if where == "conf/local":
        _write(project_copy / "conf/local/parameters.yml", USER_TREE)
        params = _params(project_copy)
    elif where == "--env":
        _write(project_copy / "conf/mytree/parameters_newsgroups.yml", USER_TREE)
        params = _params(project_copy, env="mytree")
    else:
        params = _params(project_copy, runtime={"newsgroups": {"hierarchy": USER_TREE}})
    assert params["newsgroups"]["hierarchy"] == USER_TREE
    assert params["newsgroups"]["tfidf"]["max_features"] == 10000  # the rest still merges


@pytest.mark.e2e
def test_conf_local_tree_gives_the_pairs_it_implies(project_copy, newsgroups_archive):
    _write(project_copy / "conf/local/parameters.yml", USER_TREE)
    bootstrap_project(project_copy)
    params = {"newsgroups": {"archive": str(newsgroups_archive), "pairs_per_problem": None}}
    with (
        contextlib.chdir(project_copy),  # where plugins' hooks write (kedro-viz's .viz/stats.json)
        KedroSession.create(project_path=project_copy, runtime_params=params) as session,
    ):
        session.run(node_names=["ingest.ingest_newsgroups", "ingest.build_task_pairs"])
    pairs = load(project_copy, "task_pairs", env="local")
    # 4 families of 2 newsgroups: 6 family pairs × 4 main tasks × 1 auxiliary = 24 unrelated;
    # related = same top: rec a×b and sci a×b, 4 each. Fathers merged by name (two families of
    # four) would give 144 unrelated and 72 related.
    assert pairs["problem"].value_counts().to_dict() == {"unrelated": 24, "related": 8}
    used = set(pairs.main_a) | set(pairs.main_b) | set(pairs.aux_c) | set(pairs.aux_d)
    assert used == {n for father in USER_TREE for n in father["newsgroups"]}
