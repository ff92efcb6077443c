"""Kerinec et al. (2018) end to end: the newsgroups pipeline, then meta-features, the meta-model
and the comparison with the paper."""

from mtl_pipeline.pipelines.meta.pipeline import create_pipeline

__all__ = ["create_pipeline"]
