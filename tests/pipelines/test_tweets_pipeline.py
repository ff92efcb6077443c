"""The tweets pipeline object: stable node names, inputs/outputs consistent with the catalog."""

from __future__ import annotations

from pathlib import Path

import yaml

from mtl_pipeline.pipelines.tweets import create_pipeline

ROOT = Path(__file__).resolve().parents[2]
CATALOG = yaml.safe_load((ROOT / "conf/base/catalog_tweets.yml").read_text())
PARAMS = yaml.safe_load((ROOT / "conf/base/parameters_tweets.yml").read_text())
QUICK = yaml.safe_load((ROOT / "conf/quick/parameters_tweets.yml").read_text())

EXPECTED_NODES = {
    "ingest_tweet_datasets",
    "build_tweet_examples",
    "build_tweet_vocabulary",
    "encode_tweet_sequences",
    "build_tweet_embeddings",
    "evaluate_tweet_pairs",
    "summarise_tweet_results",
    "compare_tweets_with_paper",
    "run_tweet_aux_ablation",
    "plot_tweet_aux_ablation",
    "track_tweet_results",
}
# in-memory hand-overs between nodes (not worth persisting): none
MEMORY: set[str] = set()


def _param_exists(name: str, params: dict) -> bool:
    node = params
    for part in name.removeprefix("params:").split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_node_names_are_explicit_and_stable():
    nodes = create_pipeline().nodes
    assert {n.name for n in nodes} == {f"{n.namespace}.{n.name.split('.')[-1]}" for n in nodes}
    assert {n.name.split(".")[-1] for n in nodes} == EXPECTED_NODES  # names within their stage


def test_every_output_is_a_versioned_catalog_entry():
    pipe = create_pipeline()
    outputs = pipe.all_outputs()
    assert set(CATALOG) == outputs - MEMORY
    for name in outputs - MEMORY:
        entry = CATALOG[name]
        if name == "tweet_results_metrics":  # logged to the MLflow run, which is its version
            assert entry["type"] == "kedro_mlflow.io.metrics.MlflowMetricsHistoryDataset"
            continue
        assert entry["versioned"] is True, name
        if name.startswith("tweet_aux_ablation_figure"):  # saved, and logged to the MLflow run
            assert entry["type"] == "mtl_pipeline.datasets.TrackedArtifactDataset"
            assert entry["dataset"]["type"] == "matplotlib.MatplotlibDataset"
        else:
            assert entry["type"].endswith("ParquetDataset"), name
    for name in (
        "tweet_datasets",
        "rehydration_report",
        "embedding_coverage",
        "tweet_results",
        "tweet_significance",
        "tweet_aux_ablation",
    ):
        assert name in outputs


def test_inputs_are_parameters_that_exist_or_produced_datasets():
    pipe = create_pipeline()
    free = pipe.inputs()
    assert all(i.startswith("params:") for i in free)
    for name in free:
        assert _param_exists(name, PARAMS), name
    assert PARAMS["tweets"]["data_dir"] == "data/01_raw/tweets"
    assert set(PARAMS["tweets"]["datasets"]) == {"lamb_related", "lamb_awareness", "vader"}


def test_quick_parameters_override_only_existing_keys():
    def walk(q, b, path):
        for k, v in q.items():
            assert k in b, f"{path}.{k} not in conf/base"
            if isinstance(v, dict) and k in b:
                walk(v, b[k], f"{path}.{k}")

    walk(QUICK["tweets"], PARAMS["tweets"], "tweets")
    assert QUICK["tweets"]["cv"]["n_folds"] < PARAMS["tweets"]["cv"]["n_folds"]
    for pair in QUICK["tweets"]["run_pairs"]:
        assert pair in PARAMS["tweets"]["pairs"]
