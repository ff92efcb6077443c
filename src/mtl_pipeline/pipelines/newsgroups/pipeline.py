"""Wiring of the ``newsgroups`` pipeline."""

from kedro.pipeline import Pipeline, node, pipeline

from mtl_pipeline.pipelines.newsgroups import nodes
from mtl_pipeline.pipelines.stages import staged

#: The model, its training schedule, and where it trains (specs.newsgroups.training).
TRAINING = ["params:newsgroups.model", "params:newsgroups.train", "params:newsgroups.training"]


@staged
def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                nodes.ingest_newsgroups,
                inputs="params:newsgroups",
                outputs="newsgroups_documents",
                name="ingest_newsgroups",
                tags=["ingest"],
            ),
            node(
                nodes.build_tfidf,
                inputs=["newsgroups_documents", "params:newsgroups.tfidf"],
                outputs=["tfidf_matrix", "tfidf_vocabulary"],
                name="build_tfidf",
                tags=["features"],
            ),
            node(
                nodes.build_task_pairs,
                inputs=["newsgroups_documents", "params:newsgroups"],
                outputs="task_pairs",
                name="build_task_pairs",
                tags=["ingest"],
            ),
            node(
                nodes.build_task_samples,
                inputs=["newsgroups_documents", "task_pairs", "params:newsgroups"],
                outputs="task_samples",
                name="build_task_samples",
                tags=["ingest"],
            ),
            node(
                nodes.train_stl_models,
                inputs=["tfidf_matrix", "task_pairs", "task_samples", *TRAINING],
                outputs="stl_learning_curves",
                name="train_stl_models",
                tags=["training"],
            ),
            node(
                nodes.train_mtl_models,
                inputs=["tfidf_matrix", "task_pairs", "task_samples", *TRAINING],
                outputs="mtl_learning_curves",
                name="train_mtl_models",
                tags=["training"],
            ),
            node(
                nodes.combine_learning_curves,
                inputs=["stl_learning_curves", "mtl_learning_curves"],
                outputs="learning_curves",
                name="combine_learning_curves",
                tags=["training"],
            ),
            node(
                nodes.compute_mtl_gains,
                inputs=["task_pairs", "learning_curves", "params:newsgroups.gain"],
                outputs=["mtl_gains", "mtl_gains_summary"],
                name="compute_mtl_gains",
                tags=["training"],
            ),
        ]
    )
