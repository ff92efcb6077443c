"""The ``predict`` pipeline: will MTL help these pairs? Answered before training MTL."""

from mtl_pipeline.pipelines.predict.pipeline import create_pipeline

__all__ = ["create_pipeline"]
