"""The trainer's per-model results are exactly those of commit 50d9079 (before the issue-17
speed work): curves, predictions and affinity probes of small float32 runs on the CPU, compared
bit for bit with ``data/todays_results.npz``, which that commit's code wrote
(``PYTHONPATH=src:. python -m tests.training.test_todays_results --write`` at 50d9079). Shard stores trained
then stay valid only while this holds; never regenerate the file to make a change pass.

Float32 reductions differ in their last bit between CPUs whose vector code paths differ (torch
and MKL dispatch on the vector units, and MKL also on the vendor), so the file is chosen per
(vendor, ``torch.backends.cpu.get_cpu_capability()``), as measured: ``todays_results.npz`` was
written on an earlier machine (its CPU not recorded, taken to be AVX2);
``todays_results_AVX512.npz`` by 51ad260's code (which matches the AVX2 file bit for bit there)
on an Intel AVX-512 machine, 2026-12-02. On an AMD EPYC with AVX-512 (2026-12-02) 50d9079's code
itself gives the AVX2 file's bits (MKL takes its AVX2 path on AMD), and so does today's. Each
file is compared bit for bit on the CPUs it was measured on; any other CPU is compared with the
AVX2 one to 1e-5 relative (float losses; predictions and accuracies exactly)."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch

from mtl_pipeline.training import ModelJob, ModelSpec, TrainSpec, train_stacked
from mtl_pipeline.training.affinity import TaskAffinityProbe

from .conftest import make_features, make_task

CAPABILITY = torch.backends.cpu.get_cpu_capability()
_DATA = Path(__file__).parent / "data"


def _vendor() -> str:
    """The CPU vendor as /proc/cpuinfo names it (GenuineIntel, AuthenticAMD), or ''."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("vendor_id"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


#: (vendor, capability) -> the file written or reproduced bit for bit on such a CPU; None =
#: any vendor. The AVX2 file's CPU was not recorded (taken to be AVX2).
MEASURED = {
    (None, "AVX2"): "todays_results.npz",
    ("GenuineIntel", "AVX512"): "todays_results_AVX512.npz",
    ("AuthenticAMD", "AVX512"): "todays_results.npz",
}
_OWN = MEASURED.get((_vendor(), CAPABILITY)) or MEASURED.get((None, CAPABILITY))
GOLDEN = _DATA / (_OWN or "todays_results.npz")
GOLDEN_OWN = _DATA / f"todays_results_{CAPABILITY}.npz"  # where --write-own writes
#: bit for bit on the CPU kinds the file was measured on, else float32 reductions' last bits
#: may differ
EXACT = _OWN is not None
CURVE_COLUMNS = ("train_loss", "main_train_loss", "test_loss", "test_accuracy", "test_f1")

#: name -> (ModelSpec kwargs, TrainSpec kwargs, train_stacked kwargs, kind)
CASES = {
    "mtl_joint": ({}, {}, {}, "mtl"),
    "mtl_alternating_dropout": (
        {"dropout": 0.3, "activation": "tanh", "head_hidden": 4},
        {"schedule": "alternating"},
        {},
        "mtl",
    ),
    "mtl_proportional": ({"activation": "sigmoid"}, {"schedule": "proportional"}, {}, "mtl"),
    "mtl_pooled_dropout": ({"dropout": 0.2}, {"schedule": "pooled"}, {}, "mtl"),
    "stl": ({"dropout": 0.1}, {}, {}, "stl"),
    "mtl_soft": ({"encoder": "mlp_soft", "soft_sharing_lambda": 1.0}, {}, {}, "mtl"),
    "mtl_dense_input": ({}, {}, {"input_mode": "dense"}, "mtl"),
    "mtl_vectorised_adam": ({}, {}, {"optimizer_impl": "vectorised"}, "mtl"),
    "mtl_chunked": ({"dropout": 0.2}, {"eval_every": 2}, {"chunk_size": 2}, "mtl"),
    "mtl_probe": ({}, {}, {"probe_factory": partial(TaskAffinityProbe, lookahead_lr=0.1)}, "mtl"),
    # equal training sizes: every model steps on every step (no masked Adam updates)
    "mtl_equal_sizes": ({"dropout": 0.2}, {}, {}, "mtl_equal"),
    "stl_equal_sizes": ({}, {"schedule": "pooled"}, {}, "stl_equal"),
    # weights of whole 64-element blocks (30 x 32, 32 x 16): the fused Adam takes them stacked
    "mtl_equal_sizes_wide": ({"hidden_sizes": (32, 16)}, {}, {}, "mtl_equal"),
}


def _jobs(X, kind: str) -> list[ModelJob]:
    jobs = []
    equal = kind.endswith("_equal")
    kind = kind.removesuffix("_equal")
    for m in range(5):
        # unequal training sizes: padded steps and masked Adam updates are exercised
        main = make_task(X, f"a{m}", seed=m, n_train=48 if equal else 40 + 9 * m, cols=(m, m + 1))
        aux = make_task(
            X, f"b{m}", seed=50 + m, n_train=48 if equal else 70 - 7 * m, cols=(m + 2, 7)
        )
        tasks = (main,) if kind == "stl" else (main, aux)
        jobs.append(ModelJob(f"{kind}|{m}", kind, 11 * m + 3, tasks))
    return jobs


def run_case(name: str) -> dict[str, np.ndarray]:
    model_kw, train_kw, call_kw, kind = CASES[name]
    X = make_features(n=200, v=30, density=0.3, seed=4)
    model = ModelSpec(**{"hidden_sizes": (12, 8), **model_kw})
    train = TrainSpec(**{"epochs": 4, "batch_size": 16, "learning_rate": 5e-3, **train_kw})
    result = train_stacked(X, _jobs(X, kind), model, train, device="cpu", progress=False, **call_kw)
    out = {f"{name}/{c}": result.curves[c].to_numpy(np.float64) for c in CURVE_COLUMNS}
    preds = result.predictions.sort_values(["model_id", "task", "row"])
    out[f"{name}/pred"] = preds[["row", "label", "pred"]].to_numpy(np.int64)
    if result.probes is not None:
        cols = list(TaskAffinityProbe.columns)
        out[f"{name}/probe"] = result.probes[cols].to_numpy(np.float64)
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_results_are_todays_bit_for_bit(name):
    golden = np.load(GOLDEN)
    now = run_case(name)
    assert now, name
    for key, value in now.items():
        assert key in golden.files, f"{key} missing from {GOLDEN.name}"
        assert value.shape == golden[key].shape, key
        # bit for bit, NaN where today has NaN (unevaluated epochs)
        if EXACT or not np.issubdtype(value.dtype, np.floating) or "loss" not in key:
            assert np.array_equal(value, golden[key], equal_nan=True), (
                f"{key}: max |diff| {np.nanmax(np.abs(value - golden[key]))} ({GOLDEN.name})"
            )
        else:
            np.testing.assert_allclose(value, golden[key], rtol=1e-5, atol=0, equal_nan=True)


if __name__ == "__main__" and sys.argv[1:] in (["--write"], ["--write-own"]):
    target = GOLDEN_OWN if sys.argv[1:] == ["--write-own"] else _DATA / "todays_results.npz"
    arrays: dict[str, np.ndarray] = {}
    for case in CASES:
        arrays |= run_case(case)
    np.savez_compressed(target, **arrays)
    print(f"wrote {len(arrays)} arrays to {target}")
