"""The paper's Table 1 rebuilt run by run from the result logs stored with the released code.

Kerinec et al.'s code (github.com/KerinecEmma/investigationMTL, commit dea2c5c) stores, per run
``exp1_0`` … ``exp1_4`` (related pairs, five unseeded runs) and ``exp2_0`` (unrelated, one run),
under ``results200/``: one Keras log per STL model (``simple/<A>_<B>``), one per MTL model
(``multi/<A>_<B>_<C>_<D>split``, main task A vs B, auxiliary C vs D) and the meta-model's
report ``efficiency_epoch80``, whose ``nb true`` / ``nb false`` count the pairs improved.

The paper judges a pair as ``efficiency_prediction.py`` → ``utils.py: charge_results`` does:
test accuracy at epoch index 80 (line 80 of each log; ``ep = 80``), read by ``get_f1S`` (token
11 of the STL line, Keras's ``val_acc``) and ``get_f1M`` (token 21 of the MTL line, the main
output's ``val_..._acc``), improved iff MTL > STL. ``released_gains`` does the same and checks
its counts against every ``efficiency_epoch80``; the result ships with this package as
``data/kerinec_released_gains.csv`` (the released repository is not fetched at run time):

    python -m mtl_pipeline.reporting.released_logs --repo PATH/TO/investigationMTL
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import pandas as pd

from mtl_pipeline.params import InputError
from mtl_pipeline.tasks.hierarchy import task_name

#: run folder → problem (the released code's ``exp = 1`` related, ``exp = 2`` unrelated)
RUNS = {
    "exp1_0": "related",
    "exp1_1": "related",
    "exp1_2": "related",
    "exp1_3": "related",
    "exp1_4": "related",
    "exp2_0": "unrelated",
}
EPOCH_INDEX = 80  # efficiency_prediction.py: ep = 80 (0-based Keras epoch = our epoch 81)
STL_ACCURACY_TOKEN = 11  # utils.py:270 get_f1S: float(plop[11]), Keras's val_acc
MTL_ACCURACY_TOKEN = 21  # utils.py:286 get_f1M: float(plop[21]), val_<main output>_acc
CACC_TOKEN = {"stl": 7, "mtl": 3}  # run_models.py:43,63: the callback's own accuracy_score
SHIPPED = "kerinec_released_gains.csv"
COLUMNS = [
    "pair_id", "problem", "seed", "run", "main_task", "aux_task", "metric", "stl_epoch",
    "mtl_epoch", "stl_score", "mtl_score", "gain", "improved", "stl_cacc", "mtl_cacc",
]  # fmt: skip


def log_tokens(line: str) -> list[str]:
    """A log line split as ``get_f1S`` / ``get_f1M`` split it (commas dropped, whitespace)."""
    return line.strip().replace(",", "").split()


def read_log_line(path: Path, kind: str, epoch_index: int = EPOCH_INDEX) -> tuple[float, float]:
    """(accuracy as the paper read it, cacc) at ``epoch_index`` of one STL or MTL log."""
    lines = path.read_text().splitlines()
    if len(lines) <= epoch_index:
        raise InputError(f"{path}: {len(lines)} lines, no epoch index {epoch_index}")
    tokens = log_tokens(lines[epoch_index])
    token = STL_ACCURACY_TOKEN if kind == "stl" else MTL_ACCURACY_TOKEN
    if tokens[:2] != ["Epoch", str(epoch_index)] or len(tokens) <= token:
        raise InputError(f"{path} line {epoch_index + 1}: not the log line of epoch {epoch_index}")
    return float(tokens[token]), float(tokens[CACC_TOKEN[kind]])


def read_efficiency(path: Path) -> dict[str, int]:
    """``{"epoch": 80, "nb_true": 32, "nb_false": 20}`` from an ``efficiency_epoch80`` file."""
    text = path.read_text()
    found = {}
    for key, pattern in (
        ("epoch", r"^Epoch (\d+)$"),
        ("nb_true", r"^nb true (\d+)$"),
        ("nb_false", r"^nb false (\d+)$"),
    ):
        match = re.search(pattern, text, flags=re.MULTILINE)
        if match is None:
            raise InputError(f"{path}: no line '{pattern[1:-1]}' (an efficiency_epoch file?)")
        found[key] = int(match.group(1))
    return found


def released_gains(
    repo: Path, epoch_index: int = EPOCH_INDEX, runs: Mapping[str, str] = RUNS
) -> pd.DataFrame:
    """One row per run × pair (GAIN_COLUMNS' shape, ``seed`` = the run's number), checked
    against the run's ``efficiency_epoch<epoch_index>`` counts; ``runs``: folder → problem."""
    rows = []
    for run, problem in runs.items():
        folder = Path(repo) / run / "results200"
        multi = sorted((folder / "multi").glob("*split"))
        if not multi:
            raise InputError(f"{folder / 'multi'}: no MTL logs (*split); is {repo} the repo?")
        for path in multi:
            groups = path.name[: -len("split")].split("_")
            if len(groups) != 4:
                raise InputError(f"{path}: expected <A>_<B>_<C>_<D>split, four newsgroups")
            a, b, c, d = groups
            stl_score, stl_cacc = read_log_line(folder / "simple" / f"{a}_{b}", "stl", epoch_index)
            mtl_score, mtl_cacc = read_log_line(path, "mtl", epoch_index)
            rows.append(
                {
                    "pair_id": "_".join(groups),
                    "problem": problem,
                    "seed": int(run.split("_")[1]),
                    "run": run,
                    "main_task": task_name(a, b),
                    "aux_task": task_name(c, d),
                    "metric": "test_accuracy",
                    "stl_epoch": epoch_index + 1,
                    "mtl_epoch": epoch_index + 1,
                    "stl_score": stl_score,
                    "mtl_score": mtl_score,
                    "gain": mtl_score - stl_score,
                    "improved": mtl_score > stl_score,  # utils.py: charge_results, strict
                    "stl_cacc": stl_cacc,
                    "mtl_cacc": mtl_cacc,
                }
            )
        counts = read_efficiency(folder / f"efficiency_epoch{epoch_index}")
        improved = sum(r["improved"] for r in rows if r["run"] == run)
        total = sum(1 for r in rows if r["run"] == run)
        if (improved, total - improved) != (counts["nb_true"], counts["nb_false"]):
            raise InputError(
                f"{folder}: {improved} of {total} pairs improved from the logs, but "
                f"efficiency_epoch{epoch_index} says nb true {counts['nb_true']}, nb false "
                f"{counts['nb_false']}"
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def load_released_gains() -> pd.DataFrame:
    """The shipped table of ``released_gains`` (package data; see the module docstring)."""
    with resources.files("mtl_pipeline.reporting").joinpath("data", SHIPPED).open() as handle:
        return pd.read_csv(handle)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, required=True, help="a checkout of the released code")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "data" / SHIPPED, help="CSV to write"
    )
    args = parser.parse_args(argv)
    table = released_gains(args.repo)
    table.to_csv(args.out, index=False, float_format="%.12g")
    print(f"{len(table)} run × pair rows from {args.repo} → {args.out}")


if __name__ == "__main__":
    main()
