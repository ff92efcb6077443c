"""End to end: the `meta` and `tweets` pipelines with `--env quick` on the real shared data."""

import pytest

from tests.pipelines.kedro_run import load, run_pipeline

pytestmark = pytest.mark.e2e


def test_meta_quick_run_produces_every_report_entry(project_copy, newsgroups_archive):
    run_pipeline(project_copy, "meta", params={"newsgroups": {"archive": str(newsgroups_archive)}})

    pairs = load(project_copy, "task_pairs")
    meta_features = load(project_copy, "meta_features")
    assert len(meta_features) == len(pairs) * 2  # one meta-example per pair row × seed
    for name in ("dataset_features", "curve_features", "meta_scores", "meta_coefficients"):
        assert len(load(project_copy, name)) > 0, name
    scores = load(project_copy, "meta_scores")
    assert set(scores["problem"]) == {"related", "unrelated"}
    comparison = load(project_copy, "paper_comparison")
    assert {0.834, 0.843, 0.893, 0.897}.issubset(set(comparison.select_dtypes("number").stack()))
    for figure in ("fig_f1_over_epochs", "fig_relative_gains", "fig_meta_coefficients"):
        pngs = list((project_copy / "data/08_reporting" / f"{figure}.png").rglob("*.png"))
        assert len(pngs) == 1 and pngs[0].stat().st_size > 1000, figure
    _check_kedro_viz_sees_the_run(project_copy)


def _check_kedro_viz_sees_the_run(project):
    """kedro-viz's API (no server): named nodes, and previews of a table and a figure."""
    from fastapi.testclient import TestClient
    from kedro_viz.api.apps import create_api_app_from_project
    from kedro_viz.server import load_and_populate_data

    load_and_populate_data(project, env="quick")
    client = TestClient(create_api_app_from_project(project))
    graph = client.get("/api/pipelines/meta").json()
    by_name = {node["name"]: node for node in graph["nodes"]}
    assert {"train_mtl_models", "fit_meta_model", "compare_with_paper"} <= set(by_name)
    for dataset, preview_type in (
        ("paper_comparison", "TablePreview"),
        ("fig_relative_gains", "ImagePreview"),
    ):
        meta = client.get(f"/api/nodes/{by_name[dataset]['id']}").json()
        assert meta.get("preview_type") == preview_type, (dataset, meta)
        assert meta.get("preview"), dataset


def test_tweets_quick_run_on_the_shared_tweets(project_copy, tweets_dir):
    run_pipeline(project_copy, "tweets", params={"tweets": {"data_dir": str(tweets_dir)}})

    report = load(project_copy, "rehydration_report")
    assert len(report) > 0
    related = load(project_copy, "tweets_lamb_related")
    assert related["tweet_id"].map(type).eq(str).all()
    results = load(project_copy, "tweet_results")
    assert len(results) == 2 * 3  # flu pair: 2 tasks × 3 encoders (quick)
    assert set(results["encoder"]) == {"bilstm", "cnn", "bilstm_cnn"}
    assert (results["n_folds"] == 2).all()
    scores = ["stl_accuracy", "mtl_accuracy", "stl_f1", "mtl_f1"]
    assert results[scores].stack().between(0, 1).all()
    assert results["delta_accuracy"].equals(results["mtl_accuracy"] - results["stl_accuracy"])
    significance = load(project_copy, "tweet_significance")
    assert len(significance) == len(results) * 2  # accuracy and F1 per row
    assert set(significance["better"]) <= {"mtl", "stl", "none"}
    ablation = load(project_copy, "tweet_aux_ablation")
    assert sorted(ablation["aux_share"].unique()) == [0.0, 0.5, 1.0]  # quick shares
    assert set(ablation["encoder"]) == {"cnn"}
    pngs = list((project_copy / "data/08_reporting").rglob("*.png"))
    assert pngs and all(p.stat().st_size > 1000 for p in pngs), "the ablation figure is saved"
