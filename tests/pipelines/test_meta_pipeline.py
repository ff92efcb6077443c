"""The Kedro face of the meta stage: node names, catalog entries, and a run on synthetic tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import yaml
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from matplotlib.figure import Figure

from mtl_pipeline.pipelines.meta import nodes
from mtl_pipeline.settings import project_parameters
from mtl_pipeline.specs import meta as meta_params

ROOT = Path(__file__).resolve().parents[2]
# Our Table 1 / Table 2 numbers as metrics of the run (kedro-mlflow's metric datasets).
RUN_METRICS = {"table1_metrics", "table2_metrics"}
OUTPUTS = RUN_METRICS | {
    "dataset_features",
    "curve_features",
    "meta_features",
    "meta_scores",
    "meta_coefficients",
    "paper_comparison",
    "fig_f1_over_epochs",
    "fig_f1_over_epochs_pdf",
    "fig_relative_gains",
    "fig_relative_gains_pdf",
    "fig_relative_gains_plotly",
    "fig_meta_coefficients",
    "fig_meta_coefficients_pdf",
    "fig_meta_coefficients_plotly",
    "fitted_meta_model",
    "meta_ablation",
    "meta_goal",
    "warmup_features",
    "gain_reliability",
    "meta_targets",
    "meta_calibration",
}


@pytest.fixture
def meta_stage():
    """Only the meta nodes (the newsgroups stage in front of them is tested elsewhere)."""
    from mtl_pipeline.pipelines.meta.pipeline import meta_stage

    return meta_stage()


class _KeptDataset(MemoryDataset):
    """A memory dataset the runner does not release after its last use, to inspect outputs."""

    def _release(self) -> None:
        pass


def _params(env: str = "base", section: str = "meta") -> dict:
    """The parameters of ``section`` as a run with ``--env env`` sees them (the project's merge)."""
    return project_parameters(env)[section]


def _with_meta_model(params: dict, **meta_model) -> dict:
    return {**params, "meta_model": {**params["meta_model"], **meta_model}}


def test_nodes_are_named_and_every_output_is_a_versioned_catalog_entry(meta_stage):
    names = {n.name for n in meta_stage.nodes}
    assert names == {
        "compute_dataset_features",
        "compute_curve_features",
        "join_meta_features",
        "compute_warmup_features",
        "fit_meta_model",
        "fit_meta_predictor",
        "evaluate_meta_goal",
        "evaluate_gain_reliability",
        "evaluate_meta_targets",
        "compare_with_paper",
        "plot_f1_over_epochs",
        "plot_relative_gains",
        "plot_meta_coefficients",
        "track_paper_comparison",
    }
    assert set().union(*(n.outputs for n in meta_stage.nodes)) == OUTPUTS
    catalog = yaml.safe_load((ROOT / "conf/base/catalog_meta.yml").read_text())
    assert set(catalog) == OUTPUTS
    for name, entry in catalog.items():
        if name in RUN_METRICS:  # logged to the MLflow run, which is their version
            assert entry["type"] == "kedro_mlflow.io.metrics.MlflowMetricsHistoryDataset", name
            continue
        assert entry["versioned"] is True, name
        if name.startswith("fig_"):  # saved locally and logged to the MLflow run
            assert entry["type"] == "mtl_pipeline.datasets.TrackedArtifactDataset", name
            figure_type = (
                "plotly.JSONDataset" if name.endswith("_plotly") else "matplotlib.MatplotlibDataset"
            )
            assert entry["dataset"]["type"] == figure_type, name
            continue
        expected = (
            "mtl_pipeline.datasets.MetaModelDataset"
            if name == "fitted_meta_model"
            else "mtl_pipeline.datasets.AtomicParquetDataset"
        )
        assert entry["type"] == expected, name


def test_paper_parameters_and_environment_switches():
    base, quick, code = _params(), _params("quick"), _params("kerinec_code")
    assert base["meta_model"]["repetitions"] == 100 and base["meta_model"]["folds"] == 5
    assert base["curve_features"]["gradient_points"] == [0.1, 0.25, 0.5, 0.75]
    assert quick["meta_model"]["repetitions"] < 100
    assert code["meta_model"]["scaling"] == "all_data"
    assert code["dataset_features"]["jsd_tokenizer"] == "whitespace"
    assert code["dataset_features"]["n_words"] == "types"
    for p in (base, quick, code):  # every setting is one the engine accepts
        nodes.meta_model_config(p)


def test_kerinec_code_is_the_released_code_item_by_item():
    code = _params("kerinec_code")
    c = nodes.meta_model_config(code)
    assert (c.features, c.subset_labels, c.evaluation) == ("released", "as_released", "per_seed")
    assert (c.cv, c.fold_scoring, c.fold_seeds) == ("kfold", "fold_mean", "randint100")
    assert (c.scaler, c.scaling, c.solver, c.repetitions, c.folds) == (
        "standard",
        "all_data",
        "liblinear",
        100,
        5,
    )
    d, k = code["dataset_features"], code["curve_features"]
    assert d["jsd_join"] == "concatenated" and meta_params.jsd_base(d["jsd_base"]) == np.e
    assert (d["vocabulary_tokenizer"], d["oov_rate"], d["cross_jsd_pairing"]) == (
        "nonword_split",
        "types",
        "by_label",
    )
    assert (k["gradient_method"], k["gradient_epochs"]) == ("central_difference", 80)
    assert (k["fit_d"], k["fit_start"], k["fit_bounded"], k["fit_epochs"], k["epoch_origin"]) == (
        None,
        "ones",
        False,
        150,
        0,
    )
    assert code["ratio_when_aux_is_zero"] == "zero"
    # every released setting carries a comment citing the released code
    text = (ROOT / "conf/kerinec_code/parameters_meta.yml").read_text()
    assert text.count("utils.py") >= 8 and "efficiency_prediction.py" in text


def test_unknown_parameter_key_is_named():
    bad = _with_meta_model(_params(), repetitons=3)
    with pytest.raises(ValueError, match="repetitons"):
        nodes.meta_model_config(bad)


def test_targets_and_reliability_parameters_are_checked_before_the_run():
    from mtl_pipeline.pipelines.checks import check_meta

    check_meta(_params())
    targets = _params()["targets"]
    misspelt = {**_params(), "targets": {**targets, "predictors": ["dataset", "warmpu"]}}
    with pytest.raises(
        ValueError, match="meta.targets.predictors .*nearest known value is 'warmup'"
    ):
        check_meta(misspelt)
    with pytest.raises(ValueError, match="calibration_pairs"):
        check_meta({**_params(), "targets": {**targets, "calibration_pairs": [1]}})
    with pytest.raises(
        ValueError, match=r"unknown key\(s\) \['bootstrp'\] in parameter meta.reliability"
    ):
        check_meta({**_params(), "reliability": {"bootstrp": 10}})
    reliability = {**_params()["reliability"], "confidence": 1.5}
    with pytest.raises(ValueError, match="meta.reliability.confidence"):
        check_meta({**_params(), "reliability": reliability})


def _synthetic_inputs(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    groups = ["g.a", "g.b", "g.c", "g.d"]
    words = [f"w{i}" for i in range(30)]
    docs, samples = [], []
    for gi, g in enumerate(groups):
        for split, n in (("train", 6), ("test", 3)):
            for _ in range(n):
                p = np.ones(30)
                p[gi * 7 : gi * 7 + 7] += 4.0
                docs.append(
                    {
                        "split": split,
                        "newsgroup": g,
                        "text": " ".join(rng.choice(words, 12, p=p / p.sum())),
                    }
                )
    documents = pd.DataFrame(docs)
    documents["doc_id"] = [
        f"{d.split}/{d.newsgroup}/{i}" for i, d in enumerate(documents.itertuples())
    ]
    tasks = [("g.a", "g.b"), ("g.c", "g.d"), ("g.a", "g.c"), ("g.b", "g.d")]
    for seed in (0, 1):
        for x, y in tasks:
            for g, label in ((x, 1), (y, 0)):
                for row in documents.index[documents["newsgroup"] == g]:
                    samples.append(
                        {
                            "task": f"{x} vs {y}",
                            "seed": seed,
                            "split": documents.at[row, "split"],
                            "doc_id": documents.at[row, "doc_id"],
                            "row": row,
                            "label": label,
                        }
                    )
    pair_rows = []
    for i, (problem, main, aux) in enumerate(
        [
            ("related", 0, 1),
            ("related", 1, 0),
            ("related", 2, 3),
            ("related", 3, 2),
            ("unrelated", 0, 2),
            ("unrelated", 2, 0),
            ("unrelated", 1, 3),
            ("unrelated", 3, 1),
        ]
    ):
        (a, b), (c, d) = tasks[main], tasks[aux]
        pair_rows.append(
            {
                "pair_id": f"q{i % 4}",
                "problem": problem,
                "main_a": a,
                "main_b": b,
                "aux_c": c,
                "aux_d": d,
                "main_task": f"{a} vs {b}",
                "aux_task": f"{c} vs {d}",
                "seeds": [0, 1],
            }
        )
    pairs = pd.DataFrame(pair_rows)
    epochs = np.arange(1, 11)
    curves, gains = [], []
    for seed in (0, 1):
        for k, (x, y) in enumerate(tasks):
            curves.append(
                pd.DataFrame(
                    {
                        "model_id": f"stl|{x} vs {y}|s{seed}",
                        "kind": "stl",
                        "seed": seed,
                        "task": f"{x} vs {y}",
                        "epoch": epochs,
                        "train_loss": -(0.2 + 0.1 * k) * np.log(0.5 * epochs + 1)
                        + 1.0
                        + 0.01 * seed,
                        "test_f1": 0.6 + 0.02 * epochs,
                        "test_accuracy": 0.6 + 0.021 * epochs,
                        "pair_id": None,
                        "aux_task": None,
                    }
                )
            )
        for r in pairs.itertuples():
            stl, mtl = 0.8, 0.8 + rng.normal(0, 0.02)
            curves.append(
                pd.DataFrame(
                    {
                        "model_id": f"mtl|{r.pair_id}|{r.problem}|s{seed}",
                        "kind": "mtl",
                        "seed": seed,
                        "task": r.main_task,
                        "epoch": epochs,
                        "train_loss": 1.0 / epochs,
                        "test_f1": 0.6 + 0.025 * epochs,
                        "test_accuracy": 0.6 + 0.02 * epochs + 0.001 * seed,
                        "pair_id": r.pair_id,
                        "aux_task": r.aux_task,
                    }
                )
            )
            gains.append(
                {
                    "pair_id": r.pair_id,
                    "problem": r.problem,
                    "seed": seed,
                    "main_task": r.main_task,
                    "aux_task": r.aux_task,
                    "metric": "test_f1",
                    "stl_epoch": 10,
                    "mtl_epoch": 10,
                    "stl_score": stl,
                    "mtl_score": mtl,
                    "gain": mtl - stl,
                    "improved": mtl > stl,
                }
            )
    return {
        "newsgroups_documents": documents,
        "task_samples": pd.DataFrame(samples),
        "task_pairs": pairs,
        "learning_curves": pd.concat(curves, ignore_index=True),
        "mtl_gains": pd.DataFrame(gains),
    }


@pytest.mark.parametrize("env", ["quick", "kerinec_code"])
def test_meta_stage_runs_on_tiny_synthetic_tables(meta_stage, env):
    inputs = _synthetic_inputs(np.random.default_rng(0))
    params = _with_meta_model(_params(env), repetitions=2)
    catalog = DataCatalog({k: MemoryDataset(v) for k, v in inputs.items()})
    catalog["params:meta"] = params
    catalog["params:newsgroups"] = _params(env, "newsgroups")
    catalog["params:newsgroups.model"] = _params(env, "newsgroups")["model"]
    catalog["params:newsgroups.train"] = _params(env, "newsgroups")["train"]
    catalog["params:newsgroups.training"] = {
        **_params(env, "newsgroups")["training"],
        "progress": False,
        "shard_store": None,  # the warm-up trains through the store: none in the checkout
    }
    n_docs = len(inputs["newsgroups_documents"])
    catalog["tfidf_matrix"] = MemoryDataset(
        sp.random(n_docs, 30, density=0.3, format="csr", random_state=0)
    )
    for name in OUTPUTS:
        catalog[name] = _KeptDataset()
    SequentialRunner().run(meta_stage, catalog)
    meta_features = catalog.load("meta_features")
    assert len(meta_features) == 16  # 8 pair rows x 2 seeds, one meta-example each
    cross = "cross_jsd_a_c" if env == "quick" else "cross_jsd_first_classes"
    assert {"main_jsd_classes", "ratio_curve_fit_a", cross} <= set(meta_features.columns)
    warmup = {"cross_affinity_aux_to_main", "cross_affinity_main_to_aux", "cross_grad_cosine"}
    if env == "quick":  # the released code has no warm-up
        assert warmup <= set(meta_features.columns)
        assert meta_features[sorted(warmup)].notna().all().all()
    else:
        assert not warmup & set(meta_features.columns)
    scores = catalog.load("meta_scores")
    assert len(scores) == 2 * 4 and set(scores["problem"]) == {"related", "unrelated"}
    comparison = catalog.load("paper_comparison")
    assert comparison["paper"].notna().sum() >= 14  # every published number is listed
    assert {"metric", "stl_epoch", "mtl_epoch", "ours_baseline", "paper_baseline"} <= set(
        comparison.columns
    )
    assert set(scores["status"]) <= {"ok", "degenerate"}
    for fig in ("fig_f1_over_epochs", "fig_relative_gains", "fig_meta_coefficients"):
        assert isinstance(catalog.load(fig), Figure)
    goal = catalog.load("meta_goal")
    assert set(goal["evaluation"]) == {"grouped_cv", "held_out_pairs"}
    assert set(goal["metric"]) == {"balanced_accuracy", "f1"}
    assert not goal.loc[goal["status"] != "ok", "reached"].any()  # 4 pairs: degenerate, no finding
    assert "all" in set(catalog.load("meta_ablation")["variant"])
    reliability = catalog.load("gain_reliability").set_index("problem")
    assert list(reliability.index) == ["related", "unrelated"]  # 4 pairs each: degenerate
    assert (reliability["status"] == "degenerate").all()
    assert reliability["ceiling_correlation"].isna().all()
    targets = catalog.load("meta_targets")
    assert set(targets["predictor"]) == set(params["targets"]["predictors"])
    assert (targets["status"] == "degenerate").all() and not targets["reached"].any()
    calibration = catalog.load("meta_calibration")
    assert len(calibration) and (calibration["status"] == "degenerate").all()
    model = catalog.load("fitted_meta_model")  # no_curve: predicting needs no training
    assert model.feature_subset == "no_curve" and set(model.problems) == {"related", "unrelated"}
    assert "curve_features" not in model.settings["meta"]
    assert (
        model.settings["newsgroups"]["train_per_class"]
        == _params(env, "newsgroups")["train_per_class"]
    )
