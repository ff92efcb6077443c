"""Wiring of the ``predict`` pipeline: named pairs → cheap features → the fitted meta-model.

It reads ``newsgroups_documents``, ``tfidf_matrix`` and ``fitted_meta_model`` from the catalog (made by
``kedro run --pipelines=meta``) and trains no MTL model.
"""

from kedro.pipeline import Pipeline, node, pipeline

from mtl_pipeline.pipelines.predict import nodes
from mtl_pipeline.pipelines.stages import staged


@staged
def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                nodes.build_prediction_pairs,
                inputs=[
                    "newsgroups_documents",
                    "fitted_meta_model",
                    "params:meta",
                    "params:newsgroups",
                    "params:predict",
                ],
                outputs="prediction_pairs",
                name="build_prediction_pairs",
                tags=["predict"],
            ),
            node(
                nodes.build_prediction_samples,
                inputs=["newsgroups_documents", "prediction_pairs", "params:newsgroups"],
                outputs="prediction_task_samples",
                name="build_prediction_samples",
                tags=["predict"],
            ),
            node(
                nodes.compute_prediction_features,
                inputs=[
                    "prediction_pairs",
                    "prediction_task_samples",
                    "newsgroups_documents",
                    "tfidf_matrix",
                    "fitted_meta_model",
                    "params:meta",
                    "params:newsgroups.model",
                    "params:newsgroups.train",
                    "params:newsgroups.training",
                    "params:predict",
                ],
                outputs="prediction_features",
                name="compute_prediction_features",
                tags=["predict"],
            ),
            node(
                nodes.predict_pair_gains,
                inputs=[
                    "fitted_meta_model",
                    "prediction_features",
                    "params:meta",
                    "params:newsgroups",
                    "params:predict",
                ],
                outputs="predicted_gains",
                name="predict_pair_gains",
                tags=["predict"],
            ),
        ]
    )
