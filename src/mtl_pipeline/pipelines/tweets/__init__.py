"""The ``tweets`` pipeline: Joshi et al. (2019) on labelled tweets (STL vs. MTL, 10-fold CV)."""

from mtl_pipeline.pipelines.tweets.pipeline import create_pipeline

__all__ = ["create_pipeline"]
