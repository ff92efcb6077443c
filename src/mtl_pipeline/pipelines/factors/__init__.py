"""Controlled sweeps of the three MTL effectiveness factors on 20 Newsgroups."""

from mtl_pipeline.pipelines.factors.pipeline import create_pipeline

__all__ = ["create_pipeline"]
