"""Wiring of the ``newsgroups`` pipeline."""

from kedro.pipeline import Pipeline, node, pipeline

from mtl_pipeline.pipelines.newsgroups import nodes


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                nodes.ingest_newsgroups,
                inputs="params:newsgroups",
                outputs="newsgroups_documents",
                name="ingest_newsgroups",
            ),
            node(
                nodes.build_tfidf,
                inputs=["newsgroups_documents", "params:newsgroups.tfidf"],
                outputs=["tfidf_matrix", "tfidf_vocabulary"],
                name="build_tfidf",
            ),
            node(
                nodes.build_task_pairs,
                inputs=["newsgroups_documents", "params:newsgroups"],
                outputs="task_pairs",
                name="build_task_pairs",
            ),
            node(
                nodes.build_task_samples,
                inputs=["newsgroups_documents", "task_pairs", "params:newsgroups"],
                outputs="task_samples",
                name="build_task_samples",
            ),
        ]
    )
