"""The sweep plan: nested subsamples, base points that are the base study's jobs, shared models."""

import numpy as np
import pandas as pd
import pytest

from mtl_pipeline.factors.sweeps import (
    plan_sweeps,
    select_factor_pairs,
    subsample,
    sweep_points,
    sweep_task_samples,
)
from mtl_pipeline.specs.factors import factors_spec
from mtl_pipeline.tasks.hierarchy import generate_task_pairs, parse_hierarchy, task_seeds
from mtl_pipeline.tasks.jobs import mtl_jobs, stl_jobs
from mtl_pipeline.tasks.samples import sample_tasks
from mtl_pipeline.training import ModelSpec, TrainSpec
from mtl_pipeline.training.store import model_fingerprint, spec_fingerprint

BASE = 20  # documents per class of the "base study"
HIERARCHY = [
    {"top": "t", "father": "f", "newsgroups": ["a1", "a2"]},
    {"top": "t", "father": "g", "newsgroups": ["b1", "b2"]},
    {"top": "u", "father": "h", "newsgroups": ["c1", "c2"]},
]


def _documents() -> pd.DataFrame:
    rows = []
    for leaf in HIERARCHY:
        for group in leaf["newsgroups"]:
            rows += [(f"train/{group}/{i}", "train", group) for i in range(30)]
            rows += [(f"test/{group}/{i}", "test", group) for i in range(8)]
    return pd.DataFrame(rows, columns=["doc_id", "split", "newsgroup"])


def _params(**changes) -> dict:
    params = {
        "seeds": [0, 1],
        "related_pairs": None,
        "unrelated_pairs": 2,
        "data_balance": {"per_class": [5, 10, BASE]},
        "label_distribution": {"total": BASE, "minority_shares": [0.5, 0.25]},
    }
    params.update(changes)
    return params


def _study(**changes):
    documents = _documents()
    spec = factors_spec(_params(**changes), BASE)
    pairs = select_factor_pairs(generate_task_pairs(parse_hierarchy(HIERARCHY)), spec)
    samples = sample_tasks(documents, task_seeds(pairs), BASE)
    return spec, pairs, samples


def test_pairs_are_related_ones_and_unrelated_only_ones():
    _, pairs, _ = _study()
    related = pairs[pairs["group"] == "related"]
    unrelated = pairs[pairs["group"] == "unrelated"]
    assert len(related) == 4 and len(unrelated) == 2  # 4 main tasks × 1 auxiliary task each
    assert not set(related["pair_id"]) & set(unrelated["pair_id"])
    assert (unrelated["problem"] == "unrelated").all()
    assert all(list(s) == [0, 1] for s in pairs["seeds"])


def test_subsamples_are_nested_and_keep_the_test_set():
    _, pairs, samples = _study()
    split = mtl_jobs(pairs, samples)[0].tasks[0]
    small, large = subsample(split, (5, 5), 0), subsample(split, (10, 10), 0)
    for label in (1, 0):
        rows_small = set(small.train_rows[small.train_labels == label])
        rows_large = set(large.train_rows[large.train_labels == label])
        assert len(rows_small) == 5 and len(rows_large) == 10 and rows_small < rows_large
    assert np.array_equal(small.test_rows, split.test_rows)
    assert subsample(split, (BASE, BASE), 0) is split
    other_seed = subsample(split, (5, 5), 1)
    assert not np.array_equal(other_seed.train_rows, small.train_rows)
    with pytest.raises(ValueError, match="the base sample has 20"):
        subsample(split, (21, 20), 0)


def test_base_points_are_the_base_studys_jobs_with_the_same_fingerprints():
    spec, pairs, samples = _study()
    plan = plan_sweeps(pairs, samples, sweep_points(spec, BASE))
    spec_fp = spec_fingerprint(
        ModelSpec(hidden_sizes=(4,)), TrainSpec(epochs=2, batch_size=4), "features", "float32",
        "auto",
    )  # fmt: skip
    base = {j.model_id: model_fingerprint(j, spec_fp) for j in stl_jobs(pairs, samples)}
    base |= {j.model_id: model_fingerprint(j, spec_fp) for j in mtl_jobs(pairs, samples)}
    sweep = {j.model_id: model_fingerprint(j, spec_fp) for j in plan.stl + plan.mtl}
    at_base = plan.runs[plan.runs["base_point"]]
    assert set(at_base["sweep"]) == {"main_size", "aux_size"}  # 20 per class on both tasks
    for model_id in set(at_base["stl_model_id"]) | set(at_base["mtl_model_id"]):
        assert sweep[model_id] == base[model_id]
    others = plan.runs[~plan.runs["base_point"]]
    assert not set(others["mtl_model_id"]) & set(base)
    assert len(set(sweep.values())) == len(sweep)  # one job per distinct model


def test_a_model_two_points_need_is_one_job():
    spec, pairs, samples = _study(data_balance={"per_class": [10, BASE]},
                                  label_distribution={"total": BASE, "minority_shares": [0.5]})  # fmt: skip
    plan = plan_sweeps(pairs, samples, sweep_points(spec, BASE))
    runs = plan.runs.set_index(["sweep", "pair_id", "seed"])
    balanced = runs.xs("main_ratio")["mtl_model_id"]
    ten = runs.xs("main_size")
    ten = ten[ten["value"] == 10]["mtl_model_id"]
    assert (balanced == ten.reindex(balanced.index)).all()  # 10:10 of total 20 = 10 per class
    n_pair_seeds = len(pairs) * 2
    # per pair × seed: main 10, base, aux 10 → 3 MTL models; the ratio point is the main-10 one
    assert len(plan.mtl) == 3 * n_pair_seeds


def test_ratio_points_have_the_asked_counts_and_an_empty_class_is_degenerate():
    spec, pairs, samples = _study(
        label_distribution={"total": BASE, "minority_shares": [0.25, 0.0], "minority_class": "negative"}
    )  # fmt: skip
    plan = plan_sweeps(pairs, samples, sweep_points(spec, BASE))
    ratio = plan.runs[plan.runs["sweep"] == "main_ratio"]
    quarter = ratio[ratio["value"] == 0.25]
    assert (quarter[["main_positive", "main_negative"]] == [15, 5]).all().all()
    job = {j.model_id: j for j in plan.stl}[quarter["stl_model_id"].iloc[0]]
    assert np.bincount(job.tasks[0].train_labels).tolist() == [5, 15]
    empty = ratio[ratio["value"] == 0.0]
    assert (empty["status"] == "degenerate").all() and empty["mtl_model_id"].isna().all()
    assert "class without documents" in empty["note"].iloc[0]


def test_variant_samples_name_each_task_variant():
    spec, pairs, samples = _study()
    plan = plan_sweeps(pairs, samples, sweep_points(spec, BASE))
    variants = sweep_task_samples(plan)
    train = variants[variants["split"] == "train"]
    sizes = train.groupby(["task", "seed"]).size()
    first = pairs["main_task"].iloc[0]
    assert sizes[(f"{first}|p5n5", 0)] == 10 and sizes[(f"{first}|p20n20", 0)] == 40
