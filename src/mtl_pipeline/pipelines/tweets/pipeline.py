"""Wiring of the ``tweets`` pipeline.

One ingestion node per dataset name in ``TWEET_DATASETS`` (each with a ``tweets_<name>`` catalog
entry and a ``tweets.datasets.<name>`` parameter block): to add a dataset, add its name here, its
parameters, and its catalog entry.
"""

from functools import partial, update_wrapper

from kedro.pipeline import Pipeline, node, pipeline

from mtl_pipeline.pipelines.stages import staged
from mtl_pipeline.pipelines.tweets import nodes

TWEET_DATASETS: tuple[str, ...] = ("lamb_related", "lamb_awareness", "vader")


def _bound(func, **kwargs):
    bound = partial(func, **kwargs)
    update_wrapper(bound, func)
    return bound


@staged
def create_pipeline(datasets: tuple[str, ...] = TWEET_DATASETS, **kwargs) -> Pipeline:
    ingest = [
        node(
            _bound(nodes.ingest_tweet_dataset, name=ds),
            inputs=["params:tweets.data_dir", f"params:tweets.datasets.{ds}"],
            outputs=[f"tweets_{ds}", f"rehydration_report_{ds}"],
            name=f"ingest_tweets_{ds}",
            tags=["ingest"],
        )
        for ds in datasets
    ]
    return pipeline(
        [
            *ingest,
            node(
                nodes.combine_rehydration_reports,
                inputs=[f"rehydration_report_{ds}" for ds in datasets],
                outputs="rehydration_report",
                name="combine_rehydration_reports",
                tags=["ingest"],
            ),
            node(
                _bound(nodes.build_tweet_examples, names=tuple(datasets)),
                inputs=["params:tweets", *[f"tweets_{ds}" for ds in datasets]],
                outputs="tweet_examples",
                name="build_tweet_examples",
                tags=["ingest"],
            ),
            node(
                nodes.build_tweet_vocabulary,
                inputs=["tweet_examples", "params:tweets.text"],
                outputs="tweet_vocabulary",
                name="build_tweet_vocabulary",
                tags=["features"],
            ),
            node(
                nodes.encode_tweet_sequences,
                inputs=["tweet_examples", "tweet_vocabulary", "params:tweets.text"],
                outputs="tweet_sequences",
                name="encode_tweet_sequences",
                tags=["features"],
            ),
            node(
                nodes.build_tweet_embeddings,
                inputs=["tweet_vocabulary", "params:tweets.embedding"],
                outputs=["tweet_embedding_matrix", "embedding_coverage"],
                name="build_tweet_embeddings",
                tags=["features"],
            ),
            node(
                nodes.evaluate_tweet_pairs,
                inputs=["tweet_sequences", "tweet_embedding_matrix", "params:tweets"],
                outputs=["tweet_fold_scores", "tweet_curves"],
                name="evaluate_tweet_pairs",
                tags=["training"],
            ),
            node(
                nodes.summarise_tweet_results,
                inputs=["tweet_fold_scores", "params:tweets.significance"],
                outputs=["tweet_results", "tweet_significance"],
                name="summarise_tweet_results",
                tags=["report"],
            ),
            node(
                nodes.run_tweet_aux_ablation,
                inputs=["tweet_sequences", "tweet_embedding_matrix", "params:tweets"],
                outputs="tweet_aux_ablation",
                name="run_tweet_aux_ablation",
                tags=["training"],
            ),
            node(
                nodes.plot_tweet_aux_ablation,
                inputs="tweet_aux_ablation",
                outputs=["tweet_aux_ablation_figure", "tweet_aux_ablation_figure_pdf"],
                name="plot_tweet_aux_ablation",
                tags=["report"],
            ),
        ]
    )
