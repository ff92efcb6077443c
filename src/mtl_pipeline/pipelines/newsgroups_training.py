"""Wiring shared by the nodes that train or sample the 20NG study's models (``newsgroups``,
``meta``'s warm-up, ``predict``, ``factors``): the task samples, the jobs and the curves, from
the specs of :mod:`mtl_pipeline.specs.newsgroups` (parsed there once; errors name the
parameter as written).
"""

from __future__ import annotations

import pandas as pd
import scipy.sparse as sp

from mtl_pipeline.params import check_degenerate
from mtl_pipeline.provenance import frame_fingerprint
from mtl_pipeline.specs.newsgroups import NewsgroupsTrain, NewsgroupsTraining
from mtl_pipeline.tasks.hierarchy import task_seeds
from mtl_pipeline.tasks.jobs import mtl_jobs, stl_jobs
from mtl_pipeline.tasks.samples import SampleSpec, degenerate_samples
from mtl_pipeline.training.executor import WorkGroup, train_durably


def draw_task_samples(
    documents: pd.DataFrame, task_pairs: pd.DataFrame, spec: SampleSpec
) -> pd.DataFrame:
    """Seeded training samples and test sets of every task the pairs use.

    A task whose training or test sample holds one class (e.g. a newsgroup without test
    documents) stops the run: its F1 would be reported as a finding.
    """
    samples = spec.draw(documents, task_seeds(task_pairs))
    check_degenerate(degenerate_samples(samples))  # no switch: a one-class sample stops
    return samples


def mtl_model_jobs(task_pairs: pd.DataFrame, task_samples: pd.DataFrame, train: NewsgroupsTrain):
    """One MTL job per distinct pair and seed."""
    return mtl_jobs(
        task_pairs, task_samples, train.cut_mtl_test_to_shorter_task, train.random_draws
    )


def stl_model_jobs(task_pairs: pd.DataFrame, task_samples: pd.DataFrame, train: NewsgroupsTrain):
    """One STL job per task and seed."""
    return stl_jobs(task_pairs, task_samples, train.random_draws)


def train_curves(
    tfidf_matrix: sp.csr_matrix,
    jobs: list,
    task_samples: pd.DataFrame,
    training: NewsgroupsTraining,
    kind: str,
) -> pd.DataFrame:
    """The learning curves of the ``kind`` (stl | mtl) jobs, trained or reused from the shard
    store, with the fingerprints of the samples and of the training they were made from."""
    group = WorkGroup(kind, jobs, training.model, training.train.schedule_of(kind))
    (result,), summary = train_durably(tfidf_matrix, [group], training.execution)
    return result.curves.assign(
        task_samples_fingerprint=frame_fingerprint(task_samples),
        training_fingerprint=training.fingerprint(summary.features_fingerprint),
    )
