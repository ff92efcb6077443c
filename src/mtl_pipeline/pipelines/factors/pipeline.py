"""Wiring of the ``factors`` pipeline: ingest and TF-IDF (the ``newsgroups`` nodes) → sweep
pairs and samples → sweep models (shard store) → gains → effects, verdict, meta-examples,
figures. Every ``factors`` node is in the ``factors`` namespace (kedro-viz draws one box)."""

from kedro.pipeline import Pipeline, node, pipeline

from mtl_pipeline.pipelines.factors import nodes
from mtl_pipeline.pipelines.newsgroups.pipeline import create_pipeline as newsgroups_pipeline
from mtl_pipeline.pipelines.stages import staged

PARAMS = ["params:newsgroups", "params:factors"]


def factors_stage() -> Pipeline:
    return pipeline(
        [
            node(
                nodes.build_factor_pairs,
                inputs=["newsgroups_documents", *PARAMS],
                outputs="factor_pairs",
                name="build_factor_pairs",
            ),
            node(
                nodes.build_factor_samples,
                inputs=["newsgroups_documents", "factor_pairs", "params:newsgroups"],
                outputs="factor_task_samples",
                name="build_factor_samples",
            ),
            node(
                nodes.train_factor_models,
                inputs=["tfidf_matrix", "factor_pairs", "factor_task_samples", *PARAMS],
                outputs=["factor_runs", "factor_model_scores"],
                name="train_factor_models",
            ),
            node(
                nodes.compute_factor_gains,
                inputs=["factor_runs", "factor_model_scores"],
                outputs="factor_gains",
                name="compute_factor_gains",
            ),
            node(
                nodes.estimate_factor_effects,
                inputs=["factor_gains", *PARAMS],
                outputs=[
                    "factor_effects",
                    "factor_trends",
                    "factor_relatedness",
                    "factors_verdict",
                ],
                name="estimate_factor_effects",
            ),
            node(
                nodes.build_factor_meta_examples,
                inputs=[
                    "factor_gains",
                    "factor_pairs",
                    "factor_task_samples",
                    "newsgroups_documents",
                    *PARAMS,
                ],
                outputs="factor_meta_examples",
                name="build_factor_meta_examples",
            ),
            node(
                nodes.evaluate_factor_signal,
                inputs=["factor_meta_examples", *PARAMS],
                outputs="factor_feature_signal",
                name="evaluate_factor_signal",
            ),
            node(
                nodes.plot_factor_gains,
                inputs=["factor_effects", "factor_trends"],
                outputs=["fig_factor_gains", "fig_factor_gains_pdf", "fig_factor_gains_plotly"],
                name="plot_factor_gains",
            ),
        ],
        tags=["factors"],
    )


@staged
def create_pipeline(**kwargs) -> Pipeline:
    """Ingest and TF-IDF as in ``newsgroups`` (same nodes, same outputs), then the sweeps."""
    ingest = newsgroups_pipeline().to_outputs("newsgroups_documents", "tfidf_matrix")
    return ingest + factors_stage()
