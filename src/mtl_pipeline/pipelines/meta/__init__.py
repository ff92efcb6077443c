"""Kerinec et al. (2018) end to end: the newsgroups pipeline, then meta-features, the meta-model
and the comparison with the paper."""

from kedro.pipeline import Pipeline


def create_pipeline(**kwargs) -> Pipeline:
    """See :func:`mtl_pipeline.pipelines.meta.pipeline.create_pipeline`.

    Imported on call so that ``mtl_pipeline.pipelines.meta.nodes`` can be imported (and tested)
    without importing the whole newsgroups pipeline and its training dependencies.
    """
    from mtl_pipeline.pipelines.meta.pipeline import create_pipeline as _create_pipeline

    return _create_pipeline(**kwargs)


__all__ = ["create_pipeline"]
