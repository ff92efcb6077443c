"""End to end: the `meta` and `tweets` pipelines with `--env quick` on the real shared data.

Both run once, in one temporary copy of the project, and the study notebooks are then executed
on those outputs (so the notebooks cannot rot without a failing test).
"""

from pathlib import Path

import pytest

from mtl_pipeline.data.tweets import split_tweet_datasets
from mtl_pipeline.readme_tables import render_tweets
from tests.conftest import copy_project
from tests.pipelines.kedro_run import (
    check_kedro_viz_previews,
    load,
    run_pipeline,
    tracked_artifacts,
    tracked_runs,
)
from tests.reporting.test_reporting import pdf_font_types

pytestmark = pytest.mark.e2e

NOTEBOOKS = ("newsgroups_study.ipynb", "tweets_study.ipynb")


@pytest.fixture(scope="module")
def quick_project(tmp_path_factory, newsgroups_archive, tweets_dir) -> Path:
    """One project copy holding a quick `meta` run and a quick `tweets` run."""
    project = copy_project(tmp_path_factory.mktemp("quick") / "project")
    run_pipeline(project, "meta", params={"newsgroups": {"archive": str(newsgroups_archive)}})
    run_pipeline(project, "tweets", params={"tweets": {"data_dir": str(tweets_dir)}})
    return project


def _tracked_run(project, pipeline_name):
    (run,) = [
        r for r in tracked_runs(project) if r.data.tags["pipeline_names"] == f"['{pipeline_name}']"
    ]
    return run


def test_meta_quick_run_produces_every_report_entry(quick_project):
    project_copy = quick_project
    pairs = load(project_copy, "task_pairs")
    meta_features = load(project_copy, "meta_features")
    assert len(meta_features) == len(pairs) * 2  # one meta-example per pair row × seed
    for name in ("dataset_features", "curve_features", "meta_scores", "meta_coefficients"):
        assert len(load(project_copy, name)) > 0, name
    scores = load(project_copy, "meta_scores")
    assert set(scores["problem"]) == {"related", "unrelated"}
    reliability = load(project_copy, "gain_reliability")  # 3 pairs per problem: no finding
    assert set(reliability["problem"]) == {"related", "unrelated"}
    assert (reliability["status"] == "degenerate").all()
    assert not load(project_copy, "meta_targets")["reached"].any()
    comparison = load(project_copy, "paper_comparison")
    assert {0.834, 0.843, 0.893, 0.897}.issubset(set(comparison.select_dtypes("number").stack()))
    for figure in ("fig_f1_over_epochs", "fig_relative_gains", "fig_meta_coefficients"):
        for fmt, magic in (("png", b"\x89PNG"), ("pdf", b"%PDF")):
            files = list((project_copy / "data/08_reporting" / f"{figure}.{fmt}").rglob(f"*.{fmt}"))
            assert len(files) == 1 and files[0].read_bytes().startswith(magic), (figure, fmt)
    for pdf in (project_copy / "data/08_reporting").rglob("*.pdf/*/*.pdf"):  # as saved
        assert pdf_font_types(pdf.read_bytes()) <= {"Type0", "CIDFontType2", "TrueType"}, pdf
    assert load(project_copy, "fig_relative_gains_plotly").data
    coefficients = load(project_copy, "fig_meta_coefficients_plotly")
    degenerate = [a.text for a in coefficients.layout.annotations if "degenerate" in a.text]
    assert coefficients.data or degenerate  # bars, or the reason there are none (quick run)
    _check_kedro_viz_sees_the_run(project_copy)
    _check_the_run_is_tracked(project_copy, comparison)
    _check_predict_applies_the_fitted_meta_model(project_copy, pairs)
    _check_the_gradtag_estimate_is_a_compared_predictor(meta_features, project_copy)


def test_a_rerun_reuses_every_warmup_model_and_a_changed_lookahead_retrains(
    quick_project, monkeypatch
):
    """The warm-up models are in the shard store: rerunning the warm-up node trains none and
    returns identical features; another lookahead step size retrains every one."""
    import pandas as pd

    from mtl_pipeline.training import executor

    trained = []
    real_train_shard = executor.train_shard

    def counting_train_shard(features, jobs, *args, **kwargs):
        trained.extend(job.model_id for job in jobs)
        return real_train_shard(features, jobs, *args, **kwargs)

    monkeypatch.setattr(executor, "train_shard", counting_train_shard)
    before = load(quick_project, "warmup_features")
    node = ["meta_model.compute_warmup_features"]
    run_pipeline(quick_project, "meta", nodes=node)
    assert trained == []
    pd.testing.assert_frame_equal(load(quick_project, "warmup_features"), before)
    n_models = len(before.drop_duplicates(["pair_id", "seed"]))
    run_pipeline(
        quick_project, "meta", nodes=node, params={"meta": {"warmup": {"lookahead_lr": 0.2}}}
    )
    assert len(trained) == n_models
    changed = load(quick_project, "warmup_features")
    assert not changed["cross_affinity_aux_to_main"].equals(before["cross_affinity_aux_to_main"])
    run_pipeline(quick_project, "meta", nodes=node)  # back to the run's own features, reused
    assert len(trained) == n_models
    pd.testing.assert_frame_equal(load(quick_project, "warmup_features"), before)


def _check_the_gradtag_estimate_is_a_compared_predictor(meta_features, project):
    """The Grad-TAG columns are meta-features, and meta_targets scores them as a predictor."""
    columns = ["cross_gradtag_loss_gain", "cross_gradtag_accuracy_gain"]
    assert meta_features[columns].notna().all().all()
    targets = load(project, "meta_targets")
    assert "gradtag" in set(targets["predictor"])


def _check_the_run_is_tracked(project, comparison):
    """The MLflow run record (kedro-mlflow): name, parameters, Table 1/2 numbers, every figure."""
    run = _tracked_run(project, "meta")
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "meta --env quick (full)" and run.data.tags["env"] == "quick"
    assert run.data.params["newsgroups.train.stl_epochs"] == "8"
    table1 = comparison.loc[(comparison["table"] == "Table 1") & comparison["ours"].notna()]
    assert set(table1["problem"]) == {"related", "unrelated"}
    for row in table1.itertuples(index=False):
        name = f"table1.{row.problem}.{row.metric}.epoch{row.stl_epoch}.{row.quantity}"
        assert run.data.metrics[name] == pytest.approx(row.ours), name
    logged1 = [k for k in run.data.metrics if k.startswith("table1.")]
    assert len(logged1) == len(table1)  # one metric per number of ours, none for NaN
    table2 = comparison.loc[comparison["table"] == "Table 2"]
    expected2 = table2["ours"].notna().sum() + table2["ours_baseline"].notna().sum()
    assert len([k for k in run.data.metrics if k.startswith("table2.")]) == expected2
    artefacts = tracked_artifacts(project, run.info.run_id)
    for figure in ("fig_f1_over_epochs", "fig_relative_gains", "fig_meta_coefficients"):
        assert {f"figures/{figure}.png", f"figures/{figure}.pdf"} <= artefacts, figure
    assert {"figures/fig_relative_gains.json", "figures/fig_meta_coefficients.json"} <= artefacts


def _check_predict_applies_the_fitted_meta_model(project, trained_pairs):
    """`predict` on one trained pair and one never trained: no MTL model, a probability each."""
    model = load(project, "fitted_meta_model")
    assert set(model.problems) == {"related", "unrelated"}
    assert not any("curve_" in c for m in model.problems.values() for c in m.features)
    trained = trained_pairs.iloc[0]
    pairs = [
        {"main_task": trained["main_task"], "aux_task": trained["aux_task"]},
        {
            "main_task": "rec.autos vs rec.sport.baseball",
            "aux_task": "rec.motorcycles vs rec.sport.hockey",
        },
    ]
    run_pipeline(project, "predict", params={"predict": {"pairs": pairs, "seeds": [0]}})
    predicted = load(project, "predicted_gains")
    assert len(predicted) == 2
    assert predicted["probability_improved"].between(0, 1).all()
    assert predicted["predicted_gain"].notna().all()
    assert predicted["top_features"].str.len().gt(0).all()
    assert predicted.loc[0, "pair_id"] == trained["pair_id"]
    assert predicted.loc[1, "problem"] == "related"
    # the quick meta-model is fitted on 6 examples with no CV score: answered, but qualified
    assert not predicted["reliable"].any()
    assert predicted["unreliable_reasons"].str.contains("predict.min_training_examples").all()


def _check_kedro_viz_sees_the_run(project):
    """kedro-viz's API (no server): named nodes, and previews of a table and a figure."""
    previews = {
        "paper_comparison": "TablePreview",
        "fig_relative_gains": "ImagePreview",
        "tfidf_matrix": "TablePreview",
        "fig_relative_gains_plotly": "PlotlyPreview",
    }
    stages, names = check_kedro_viz_previews(project, "meta", previews)
    assert stages == {"ingest", "features", "training", "meta_model", "report"}
    assert {"train_mtl_models", "fit_meta_model", "compare_with_paper"} <= names


def test_tweets_quick_run_on_the_shared_tweets(quick_project):
    project_copy = quick_project
    report = load(project_copy, "rehydration_report")
    # quick runs the flu pair only: the report covers the datasets it uses, not vader
    assert report["dataset"].tolist() == ["lamb_related", "lamb_awareness"]
    related = split_tweet_datasets(load(project_copy, "tweet_datasets"))["lamb_related"]
    assert related.columns.tolist() == ["tweet_id", "text", "related"]
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
    comparison = load(project_copy, "tweet_paper_comparison")
    assert len(comparison) == len(results)
    assert comparison["delta_f1"].tolist() == pytest.approx(results["delta_f1"].tolist())
    assert set(comparison["paper_f1_direction"]) == {1, -1}
    # the README's tweets section renders from exactly these entries
    tables = render_tweets(project_copy, "quick")
    assert tables.count("| flu |") == 2 * len(results) + 1  # results, comparison; ablation: 1 row
    assert "aux share 0.5" in tables and "Joshi et al." in tables
    metrics = _tracked_run(project_copy, "tweets").data.metrics
    row = results.iloc[0]
    key = f"tweets.{row['pair']}.{row['task']}.{row['encoder']}.mtl_accuracy"
    assert metrics[key] == pytest.approx(row["mtl_accuracy"])
    assert len([k for k in metrics if k.startswith("tweets.")]) == 4 * len(results)
    for fmt in ("png", "pdf"):
        files = list((project_copy / "data/08_reporting").rglob(f"tweet_aux_ablation.{fmt}"))
        files = [f for f in files if f.is_file()]
        assert len(files) == 1 and files[0].stat().st_size > 1000, f"ablation figure ({fmt})"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_study_notebook_runs_on_the_quick_outputs(quick_project, name):
    """Each notebook executes top to bottom against the catalog (nbclient, a real kernel)."""
    import nbformat
    from nbclient import NotebookClient

    folder = quick_project / "notebooks"
    notebook = nbformat.read(folder / name, as_version=4)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()
    images = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert images, f"{name} drew no figure"


@pytest.mark.parametrize(("name", "pipeline"), [("tweets_study.ipynb", "tweets")])
def test_a_notebook_before_its_run_names_the_pipeline_to_run(project_copy, name, pipeline):
    """A fresh project (no run yet): the notebook's first code cell stops with one message."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    folder = project_copy / "notebooks"
    notebook = nbformat.read(folder / name, as_version=4)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    with pytest.raises(CellExecutionError) as failed:
        client.execute()
    assert failed.value.ename == "MissingRunError", failed.value
    assert failed.value.evalue.startswith(f"The `{pipeline}` pipeline has not been run")
    assert f"kedro run --pipelines={pipeline}" in failed.value.evalue
