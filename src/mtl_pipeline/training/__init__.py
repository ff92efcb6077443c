"""The stacked trainer: every model family (STL/MTL MLPs, sequence encoders) as batched tensors.

Kedro-free. Public API: TaskSplit, ModelJob, ModelSpec, TrainSpec, TrainingResult, train_stacked,
resolve_device; durable training over shards in ``executor`` (store in ``store``).
"""

from .specs import ModelJob, ModelSpec, TaskSplit, TrainingResult, TrainSpec
from .trainer import resolve_device, train_stacked

__all__ = [
    "ModelJob",
    "ModelSpec",
    "TaskSplit",
    "TrainSpec",
    "TrainingResult",
    "resolve_device",
    "train_stacked",
]
