"""Wiring of the ``tweets`` pipeline.

Datasets, tasks and pairs are configuration only (``tweets.datasets``/``tasks``/``pairs`` in
``conf/*/parameters_tweets.yml``): one ingestion node reads every dataset the run's pairs use
into ``tweet_datasets`` (one versioned table, a ``dataset`` column, labels ``<dataset>:<column>``),
so adding a dataset needs no Python and no catalog entry.
"""

from kedro.pipeline import Pipeline, node, pipeline

from mtl_pipeline.pipelines.stages import staged
from mtl_pipeline.pipelines.tweets import nodes


@staged
def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                nodes.ingest_tweet_datasets,
                inputs="params:tweets",
                outputs=["tweet_datasets", "rehydration_report"],
                name="ingest_tweet_datasets",
                tags=["ingest"],
            ),
            node(
                nodes.build_tweet_examples,
                inputs=["params:tweets", "tweet_datasets"],
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
                nodes.compare_tweets_with_paper,
                inputs=["tweet_results", "tweet_significance", "params:tweets.significance"],
                outputs="tweet_paper_comparison",
                name="compare_tweets_with_paper",
                tags=["report"],
            ),
            node(
                nodes.track_tweet_results,
                inputs="tweet_results",
                outputs="tweet_results_metrics",
                name="track_tweet_results",
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
