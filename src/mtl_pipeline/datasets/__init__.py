"""Custom Kedro datasets that kedro-datasets lacks (the one engine folder that imports Kedro)."""

from mtl_pipeline.datasets.atomic_parquet import AtomicParquetDataset
from mtl_pipeline.datasets.meta_model import MetaModelDataset
from mtl_pipeline.datasets.sparse_matrix import SparseMatrixDataset
from mtl_pipeline.datasets.tracked_artifact import TrackedArtifactDataset

__all__ = [
    "AtomicParquetDataset",
    "MetaModelDataset",
    "SparseMatrixDataset",
    "TrackedArtifactDataset",
]
