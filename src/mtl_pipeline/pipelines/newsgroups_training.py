"""The ``newsgroups`` parameters read by more than one pipeline: the task samples and the
trainer's specs and jobs of ``newsgroups.training`` (shared wiring, not nodes).

The ``newsgroups`` nodes train the study's models with them, the ``meta`` nodes the warm-up,
the ``predict`` nodes the samples and STL curves of new pairs, and the ``factors`` nodes the
sweeps; the preflight checks (:mod:`.checks`) parse them the same way. Errors name the
parameter as written.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import scipy.sparse as sp

from mtl_pipeline.params import Params, check_degenerate
from mtl_pipeline.provenance import frame_fingerprint, mapping_fingerprint
from mtl_pipeline.tasks.hierarchy import task_seeds
from mtl_pipeline.tasks.jobs import RANDOM_DRAWS, mtl_jobs, stl_jobs
from mtl_pipeline.tasks.samples import degenerate_samples, sample_tasks
from mtl_pipeline.training import ModelSpec, TrainSpec
from mtl_pipeline.training.executor import ExecutionSpec, WorkGroup, train_durably
from mtl_pipeline.training.families import HARD, SHARING, SOFT
from mtl_pipeline.training.init_schemes import INIT_SCHEMES
from mtl_pipeline.training.output_heads import OUTPUT_HEADS
from mtl_pipeline.training.specs import ACTIVATIONS, SCHEDULES

#: Training parameters that decide where and how fast models train, not what they learn.
EXECUTION_KEYS = frozenset(
    {
        "device",
        "chunk_size",
        "progress",
        "shard_store",
        "shard_size",
        "executor",
        "dask",
        "torch_threads",
    }
)
#: Parameters read after training (by compute_mtl_gains), not by it.
GAIN_KEYS = frozenset({"gain_metric", "stl_eval_epoch", "mtl_eval_epoch"})


def draw_task_samples(
    documents: pd.DataFrame, task_pairs: pd.DataFrame, params: dict[str, Any]
) -> pd.DataFrame:
    """Seeded training samples and test sets of every task the pairs use (``newsgroups``).

    A task whose training or test sample holds one class (e.g. a newsgroup without test
    documents) stops the run: its F1 would be reported as a finding.
    """
    samples = sample_tasks(
        documents,
        task_seeds(task_pairs),
        params["train_per_class"],
        params.get("sampling", "per_class"),
        params.get("test_per_task"),
    )
    check_degenerate(degenerate_samples(samples), "error", None)
    return samples


def model_and_schedule(params: dict[str, Any], epochs_key: str) -> tuple[ModelSpec, TrainSpec]:
    """The trainer's specs from ``newsgroups.training``; errors name the parameter as written."""
    p = Params(params, "newsgroups.training")
    # STL models are the same under both sharing modes (one task, one trunk)
    sharing = p.choice("sharing", SHARING, default=HARD)
    model = ModelSpec(
        encoder="mlp",
        sharing=sharing,
        hidden_sizes=p.integers("hidden_sizes", minimum=1),
        activation=p.choice("activation", ACTIVATIONS),
        dropout=p.number("dropout", minimum=0.0, maximum=1.0, below_maximum=True),
        soft_sharing_lambda=p.number("soft_sharing_lambda", default=1.0, minimum=0.0)
        if sharing == SOFT
        else 0.0,
        weight_init=p.choice("weight_init", tuple(INIT_SCHEMES), default="torch_default"),
        output_head=p.choice("output_head", tuple(OUTPUT_HEADS), default="softmax"),
    )
    schedule = TrainSpec(
        epochs=p.integer(epochs_key, minimum=1),
        batch_size=p.integer("batch_size", minimum=1),
        learning_rate=p.number("learning_rate", positive=True),
        schedule=p.choice("schedule", SCHEDULES),
    )
    return model, schedule


def warmup_model_and_schedule(params: dict[str, Any], epochs: int) -> tuple[ModelSpec, TrainSpec]:
    """The MTL model of ``newsgroups.training`` for a warm-up of ``epochs``: always hard
    sharing (the affinity is defined on shared layers)."""
    return model_and_schedule(
        {**params, "warmup_epochs": epochs, "sharing": "hard"}, "warmup_epochs"
    )


def random_draws(params: dict[str, Any]) -> str:
    """``newsgroups.training.random_draws`` (tasks.jobs.RANDOM_DRAWS; absent = per_seed)."""
    return Params(params, "newsgroups.training").choice(
        "random_draws", RANDOM_DRAWS, default="per_seed"
    )


def mtl_model_jobs(task_pairs: pd.DataFrame, task_samples: pd.DataFrame, params: dict[str, Any]):
    """One MTL job per distinct pair and seed (``newsgroups.training``)."""
    return mtl_jobs(
        task_pairs,
        task_samples,
        bool(params.get("cut_mtl_test_to_shorter_task", False)),
        random_draws(params),
    )


def stl_model_jobs(task_pairs: pd.DataFrame, task_samples: pd.DataFrame, params: dict[str, Any]):
    """One STL job per task and seed (``newsgroups.training``)."""
    return stl_jobs(task_pairs, task_samples, random_draws(params))


def train_curves(
    tfidf_matrix: sp.csr_matrix,
    jobs: list,
    task_samples: pd.DataFrame,
    params: dict[str, Any],
    kind: str,
) -> pd.DataFrame:
    """The learning curves of the ``kind`` (stl | mtl) jobs, trained or reused from the shard
    store, with the fingerprints of the samples and of the training they were made from."""
    model, schedule = model_and_schedule(params, f"{kind}_epochs")
    execution = ExecutionSpec.from_params(params, "newsgroups.training")
    (result,), summary = train_durably(
        tfidf_matrix, [WorkGroup(kind, jobs, model, schedule)], execution
    )
    learned = {k: v for k, v in params.items() if k not in EXECUTION_KEYS | GAIN_KEYS}
    training = mapping_fingerprint({"params": learned, "features": summary.features_fingerprint})
    return result.curves.assign(
        task_samples_fingerprint=frame_fingerprint(task_samples), training_fingerprint=training
    )
