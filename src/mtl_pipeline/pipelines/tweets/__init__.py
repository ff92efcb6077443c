"""The ``tweets`` pipeline: Joshi et al. (2019) on labelled tweets (STL vs. MTL, 10-fold CV)."""

from mtl_pipeline.pipelines.tweets.pipeline import TWEET_DATASETS, create_pipeline

__all__ = ["TWEET_DATASETS", "create_pipeline"]
