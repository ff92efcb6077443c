"""The 20 Newsgroups study up to the MTL gains: ingest → TF-IDF → pairs → samples → training."""

from mtl_pipeline.pipelines.newsgroups.pipeline import create_pipeline

__all__ = ["create_pipeline"]
