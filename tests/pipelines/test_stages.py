"""Stages as namespaces: kedro-viz collapses them; dataset and parameter names do not change."""

import pytest
from kedro.pipeline import node, pipeline

from mtl_pipeline.pipelines.meta.pipeline import create_pipeline as meta_pipeline
from mtl_pipeline.pipelines.stages import STAGES, by_stage
from mtl_pipeline.pipelines.tweets.pipeline import create_pipeline as tweets_pipeline


def _identity(x):
    return x


def test_every_node_is_in_one_stage_and_catalog_names_are_kept():
    for create in (meta_pipeline, tweets_pipeline):
        staged = create()
        assert {n.namespace for n in staged.nodes} <= set(STAGES)
        for n in staged.nodes:
            assert n.name == f"{n.namespace}.{n.name.split('.')[-1]}"
            assert n.namespace in n.tags  # `--tags=<stage>` selects the same nodes
        # No dataset or parameter got a stage prefix.
        assert not {d for d in staged.datasets() if d.split(".")[0] in STAGES}
    assert "training.compute_mtl_gains" in {n.name for n in meta_pipeline().nodes}
    assert {
        "mtl_gains",
        "params:newsgroups.training",
        "paper_comparison",
    } <= meta_pipeline().datasets()


def test_staging_twice_keeps_names_and_an_untagged_node_is_an_error():
    once = by_stage(pipeline([node(_identity, "a", "b", name="n", tags=["report"])]))
    assert [n.name for n in by_stage(once).nodes] == ["report.n"]
    with pytest.raises(ValueError, match="node 'm' must be tagged with exactly one stage"):
        by_stage(pipeline([node(_identity, "a", "b", name="m")]))


def test_all_pipelines_together_keep_every_stage_one_unbroken_namespace():
    """kedro-viz and `__default__` load every pipeline at once: Kedro warns "Namespace '…' is
    interrupted by nodes …" where a stage's nodes are not one stretch of the combined graph."""
    import warnings

    from mtl_pipeline.pipelines.factors.pipeline import create_pipeline as factors_pipeline
    from mtl_pipeline.pipelines.newsgroups.pipeline import create_pipeline as newsgroups_pipeline
    from mtl_pipeline.pipelines.predict.pipeline import create_pipeline as predict_pipeline

    every = (
        meta_pipeline,
        newsgroups_pipeline,
        predict_pipeline,
        tweets_pipeline,
        factors_pipeline,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sum(create() for create in every)  # as pipeline_registry builds __default__
    assert not [str(w.message) for w in caught if "interrupted" in str(w.message)]
    assert {n.namespace for n in predict_pipeline().nodes} == {"predict"}
    assert {n.namespace for n in factors_pipeline().nodes} == {"ingest", "features", "factors"}
