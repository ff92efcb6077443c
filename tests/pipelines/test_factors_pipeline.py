"""End to end: `kedro run --pipelines=factors --env quick` on the real 20NG archive, then the base
study's training on the same shard store (which must find the sweep's base-point models), the
README renderer, kedro-viz previews and the factors notebook on those outputs."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from mtl_pipeline.readme_tables import render_factors
from mtl_pipeline.training.store import ShardStore
from tests.conftest import copy_project
from tests.pipelines.kedro_run import check_kedro_viz_previews, load, run_pipeline
from tests.reporting.test_reporting import pdf_font_types

pytestmark = pytest.mark.e2e
STORE = "data/06_models/shard_store"


@pytest.fixture(scope="module")
def factors_project(tmp_path_factory, newsgroups_archive) -> Path:
    project = copy_project(tmp_path_factory.mktemp("factors") / "project")
    run_pipeline(project, "factors", params={"newsgroups": {"archive": str(newsgroups_archive)}})
    return project


def test_factors_quick_run_writes_its_tables_and_figures(factors_project):
    project = factors_project
    runs = load(project, "factor_runs")
    pairs = load(project, "factor_pairs")
    assert pairs["group"].value_counts().to_dict() == {"related": 3, "unrelated": 3}
    # quick: 2 seeds × (main 25/200, aux 25/200, ratios 0.5/0.1) per pair
    assert len(runs) == 6 * 2 * 6 and (runs["status"] == "ok").all()
    ratio = runs[(runs["sweep"] == "main_ratio") & (runs["value"] == 0.1)]
    assert (ratio[["main_positive", "main_negative"]] == [20, 180]).all().all()
    gains = load(project, "factor_gains")
    assert gains["gain"].equals(gains["mtl_score"] - gains["stl_score"])
    assert gains["stl_score"].between(0, 1).all()
    effects = load(project, "factor_effects")
    judged = set(zip(effects["sweep"], effects["metric"], strict=True))
    assert judged == {("main_size", "f1"), ("aux_size", "f1"),
                      ("main_ratio", "balanced_accuracy"), ("main_ratio", "minority_f1")}  # fmt: skip
    ok = effects[effects["status"] == "ok"]
    assert (ok["ci_low"] <= ok["gain_mean"]).all() and (ok["gain_mean"] <= ok["ci_high"]).all()
    verdict = load(project, "factors_verdict")
    assert set(verdict["claim"]) == {
        "data_balance_main", "data_balance_aux", "label_distribution", "relatedness"
    }  # fmt: skip
    assert set(verdict["verdict"]) <= {"holds", "fails", "inconclusive", "degenerate"}
    examples = load(project, "factor_meta_examples")
    assert len(examples) == len(runs)  # one per run, on the signal metric
    assert examples["main_label_entropy"].nunique() > 1  # the ratio sweep varies it
    signal = load(project, "factor_feature_signal")
    aux_entropy = signal[(signal["feature"] == "aux_label_entropy")]
    assert (aux_entropy["status"] == "degenerate").all()  # balanced at every point
    for fmt, magic in (("png", b"\x89PNG"), ("pdf", b"%PDF"), ("json", b"{")):
        (saved,) = [p for p in (project / "data/08_reporting").rglob(f"fig_factor_gains.{fmt}/*/*")]
        assert saved.read_bytes().startswith(magic), fmt
        if fmt == "pdf":
            assert pdf_font_types(saved.read_bytes()) <= {"Type0", "CIDFontType2", "TrueType"}
    tables = render_factors(project, "quick")
    assert tables.startswith("3 related + 3 unrelated-only pairs × seeds [0, 1]")
    assert tables.count("| data balance: a main task with fewer labels gains more |") == 2


def test_the_base_studys_training_finds_the_sweeps_base_point_models(
    factors_project, newsgroups_archive
):
    """Same jobs, same fingerprints: the quick `newsgroups` run's related pairs are the sweep's
    (same selection seed), so their STL and MTL models come from the store, not training."""
    project = factors_project
    runs = load(project, "factor_runs")
    store = ShardStore(str(project / STORE))
    before = store.count()
    bootstrap_project(project)
    params = {"newsgroups": {"archive": str(newsgroups_archive)}}
    with (
        contextlib.chdir(project),
        KedroSession.create(project_path=project, env="quick", runtime_params=params) as session,
    ):
        session.run(pipeline_names=["newsgroups"], from_nodes=["ingest.build_task_pairs"])
    curves = load(project, "learning_curves")
    fingerprint = dict(zip(curves["model_id"], curves["fingerprint"], strict=True))
    at_base = runs[runs["base_point"] & (runs["group"] == "related")]
    assert len(at_base) == 3 * 2 * 2  # 3 pairs × 2 seeds × (main_size 200, aux_size 200)
    for kind in ("stl", "mtl"):
        ids, fps = at_base[f"{kind}_model_id"], at_base[f"{kind}_fingerprint"]
        assert [fingerprint[i] for i in ids] == fps.tolist()
    shared = set(curves["fingerprint"]) & (
        set(runs["stl_fingerprint"]) | set(runs["mtl_fingerprint"])
    )
    assert len(shared) >= 12  # 6 MTL + the related main tasks' STL models
    assert store.count() - before == curves["fingerprint"].nunique() - len(shared)


def test_kedro_viz_previews_the_factors_outputs(factors_project):
    previews = {
        "factors_verdict": "TablePreview",
        "fig_factor_gains": "ImagePreview",
        "fig_factor_gains_plotly": "PlotlyPreview",
    }
    stages, names = check_kedro_viz_previews(factors_project, "factors", previews)
    assert "factors" in stages and "train_factor_models" in names


def test_the_factors_notebook_runs_on_the_quick_outputs(factors_project):
    import nbformat
    from nbclient import NotebookClient

    folder = factors_project / "notebooks"
    notebook = nbformat.read(folder / "factors_study.ipynb", as_version=4)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()
    assert any(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    ), "the factors notebook drew no figure"
