"""Regenerate a README results section from a run's catalog entries (never typed by hand).

    python -m mtl_pipeline.readme_tables --project PATH --env kerinec_code --section kerinec_code
    python -m mtl_pipeline.readme_tables --project PATH --study tweets --section tweets_protocol
    python -m mtl_pipeline.readme_tables --project PATH --study prediction --section base_prediction \
        --costs benchmarks/results/predict_cost.json
    python -m mtl_pipeline.readme_tables --project PATH --study factors --section factors

loads the latest ``paper_comparison`` and ``mtl_gains_summary`` (``--study newsgroups``, the
default), ``tweet_results``, ``tweet_significance``, ``tweet_paper_comparison`` and
``tweet_aux_ablation`` (``--study tweets``), ``gain_reliability``, ``meta_targets`` and
``meta_calibration`` (``--study prediction``, with the predictors' measured costs per pair from
``benchmarks/predict_cost.py --output``) or ``factors_verdict``, ``factor_effects``,
``factor_feature_signal`` and ``factor_runs`` (``--study factors``) of the project at PATH (run
with ``--env``) and
rewrites what lies between ``<!-- results:SECTION -->`` and ``<!-- /results:SECTION -->`` in
README.md (``--print`` writes the tables to stdout instead).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from mtl_pipeline.reporting.markdown import (
    fmt_number,
    fmt_percent,
    markdown_table,
    replace_section,
)
from mtl_pipeline.reporting.tables import table1_wide, table2_wide


def _epochs(row: pd.Series) -> str:
    return f"{row.stl_epoch} / {row.mtl_epoch}"


def _with_interval(value: float, low: float, high: float, percent: bool) -> str:
    """``0.840 [0.826, 0.853]`` or ``63.8 % [55.1, 72.0]``; ``—`` without a value."""
    if pd.isna(value):
        return "—"
    if percent:
        cell = fmt_percent(value)
        return cell if pd.isna(low) else f"{cell} [{100 * low:.1f}, {100 * high:.1f}]"
    cell = fmt_number(value)
    return cell if pd.isna(low) else f"{cell} [{fmt_number(low)}, {fmt_number(high)}]"


def table1_markdown(comparison: pd.DataFrame, summary: pd.DataFrame) -> str:
    """Table 1: STL, MTL and improved share per problem, metric and reading epochs, each with
    its 95 % interval, the improved counts per run, and the verdict per quantity."""
    wide = table1_wide(comparison)
    sizes = summary.drop_duplicates("problem").set_index("problem")
    wide["problem"] = [
        f"{p} ({sizes.at[p, 'n_pairs']} pairs × {sizes.at[p, 'n_seeds']} "
        f"seed{'s' if sizes.at[p, 'n_seeds'] != 1 else ''})"
        if p in sizes.index
        else p
        for p in wide["problem"]
    ]
    wide["epochs"] = wide.apply(_epochs, axis=1)
    wide["metric"] = wide["metric"].str.replace("test_", "", regex=False)
    headers = {"problem": "problem", "metric": "metric", "epochs": "epoch STL / MTL"}
    for side in ("ours", "paper"):
        for q, label in (("stl_mean", "STL"), ("mtl_mean", "MTL"), ("improved_share", "improved")):
            wide[f"{side}_{q}_cell"] = [
                _with_interval(*values, percent=q == "improved_share")
                for values in wide[[f"{side}_{q}{s}" for s in ("", "_ci_low", "_ci_high")]]
                .astype(float)
                .itertuples(index=False)
            ]
            headers[f"{side}_{q}_cell"] = f"{side}: {label}"
        wide[f"{side}_runs"] = wide[f"{side}_runs"].fillna("—")
        headers[f"{side}_runs"] = f"{side}: improved per run"
    wide["verdict"] = [
        " / ".join(v if isinstance(v, str) and v else "—" for v in row)
        for row in wide[["verdict_stl_mean", "verdict_mtl_mean", "verdict_improved_share"]]
        .astype(object)
        .itertuples(index=False)
    ]
    headers["verdict"] = "verdict STL / MTL / improved"
    return markdown_table(wide, headers, {c: str for c in headers if c not in ("epochs",)})


def table2_markdown(comparison: pd.DataFrame) -> str:
    """Table 2: meta-model accuracy, balanced accuracy and F1, each beside its baseline."""
    wide = table2_wide(comparison)
    for metric in ("accuracy", "balanced_accuracy", "f1"):
        wide[f"{metric}_pair"] = [
            f"{fmt_number(v)} ({fmt_number(b)})"
            for v, b in zip(wide[metric], wide[f"{metric}_baseline"], strict=True)
        ]
    wide["paper_pair"] = [
        f"{fmt_number(v)} ({fmt_number(b)})" if pd.notna(v) else "—"
        for v, b in zip(wide["paper_accuracy"], wide["paper_baseline"], strict=True)
    ]
    wide["paper_row"] = wide["paper_row"].fillna("—")
    wide["status"] = wide["status"].fillna("not computed")
    return markdown_table(
        wide,
        {
            "problem": "problem",
            "row": "features (our label)",
            "accuracy_pair": "ours: accuracy (baseline)",
            "balanced_accuracy_pair": "ours: balanced acc. (baseline)",
            "f1_pair": "ours: F1 improved (baseline)",
            "paper_row": "paper row, same features",
            "paper_pair": "paper: accuracy (baseline)",
            "status": "status",
        },
        {
            k: str
            for k in ("accuracy_pair", "balanced_accuracy_pair", "f1_pair", "paper_pair", "status")
        },
    )


ENCODER_NAMES = {"bilstm": "BiLSTM", "cnn": "CNN", "bilstm_cnn": "BiLSTM+CNN"}


def _mean_std(mean: float, std: float) -> str:
    return f"{fmt_number(mean)} ± {fmt_number(std)}"


def _p(p: float) -> str:
    return "—" if pd.isna(p) else (f"p = {p:.3f}" if p >= 0.001 else "p < 0.001")


def _task_role(frame: pd.DataFrame) -> pd.Series:
    return frame["task"].str.replace("_", " ") + " (" + frame["role"] + ")"


def _in_study_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Pairs as run, the main task before the auxiliary one, shared layers as in the paper."""
    role = frame["role"].map({"main": 0, "aux": 1})
    encoder = frame["encoder"].map({e: i for i, e in enumerate(ENCODER_NAMES)})
    keys = pd.DataFrame({"pair": frame["pair"], "role": role, "encoder": encoder})
    return frame.loc[keys.sort_values(["pair", "role", "encoder"], kind="stable").index]


def tweets_results_markdown(results: pd.DataFrame, significance: pd.DataFrame) -> str:
    """Joshi-style table: STL and MTL accuracy and F1, mean ± std over folds, paired t-tests."""
    p = significance.pivot_table(
        index=["pair", "task", "encoder"], columns="metric", values="p_value", aggfunc="first"
    )
    wide = _in_study_order(results)
    wide["task_role"] = _task_role(wide)
    wide["encoder_name"] = wide["encoder"].map(ENCODER_NAMES).fillna(wide["encoder"])
    for m in ("accuracy", "f1"):
        for s in ("stl", "mtl"):
            wide[f"{s}_{m}_cell"] = [
                _mean_std(a, b) for a, b in zip(wide[f"{s}_{m}"], wide[f"{s}_{m}_std"], strict=True)
            ]
        wide[f"p_{m}"] = [
            _p(p.at[k, m]) for k in zip(wide.pair, wide.task, wide.encoder, strict=True)
        ]
    return markdown_table(
        wide,
        {
            "pair": "pair",
            "task_role": "task (role)",
            "encoder_name": "shared layer",
            "stl_accuracy_cell": "STL acc",
            "mtl_accuracy_cell": "MTL acc",
            "p_accuracy": "t-test acc",
            "stl_f1_cell": "STL F1",
            "mtl_f1_cell": "MTL F1",
            "p_f1": "t-test F1",
        },
        {c: str for c in ("stl_accuracy_cell", "mtl_accuracy_cell", "stl_f1_cell", "mtl_f1_cell", "p_accuracy", "p_f1")},
    )  # fmt: skip


def tweets_paper_markdown(comparison: pd.DataFrame) -> str:
    """MTL − STL per shared layer beside the direction Joshi et al. report for their tasks."""
    wide = _in_study_order(comparison)
    wide["task_role"] = _task_role(wide)
    wide["encoder_name"] = wide["encoder"].map(ENCODER_NAMES).fillna(wide["encoder"])
    wide["acc_cell"] = [
        f"{d:+.3f} ({_p(p)})" for d, p in zip(wide.delta_accuracy, wide.p_accuracy, strict=True)
    ]
    wide["f1_cell"] = [f"{d:+.3f} ({_p(p)})" for d, p in zip(wide.delta_f1, wide.p_f1, strict=True)]
    wide["paper_cell"] = (
        wide["paper_f1_direction"]
        .map({1: "raises F1 (all 6 tasks)", -1: "lowers F1 (all 6 tasks)"})
        .fillna("—")
    )
    return markdown_table(
        wide,
        {
            "pair": "pair",
            "task_role": "task (role)",
            "encoder_name": "shared layer",
            "acc_cell": "ours: MTL − STL acc",
            "f1_cell": "ours: MTL − STL F1",
            "paper_cell": "Joshi et al.",
            "agreement": "our F1 vs the paper",
        },
        {c: str for c in ("acc_cell", "f1_cell", "paper_cell", "agreement")},
    )


def tweets_ablation_markdown(ablation: pd.DataFrame) -> str:
    """Main-task accuracy (mean ± std over folds) per share of the auxiliary training data."""
    g = ablation.groupby(["pair", "main_task", "encoder", "aux_share"], sort=True)["accuracy"]
    stats = g.agg(["mean", "std"]).reset_index()
    stats["cell"] = [_mean_std(a, b) for a, b in zip(stats["mean"], stats["std"], strict=True)]
    wide = stats.pivot_table(
        index=["pair", "main_task", "encoder"], columns="aux_share", values="cell", aggfunc="first"
    ).reset_index()
    shares = [c for c in wide.columns if c not in ("pair", "main_task", "encoder")]
    wide["main"] = wide["main_task"].str.replace("_", " ")
    wide["encoder_name"] = wide["encoder"].map(ENCODER_NAMES).fillna(wide["encoder"])
    columns = {"pair": "pair", "main": "main task", "encoder_name": "shared layer"}
    columns.update({s: f"aux share {s:g}" for s in shares})
    return markdown_table(wide, columns, {s: str for s in shares})


CLAIM_WORDS = {
    "data_balance_main": "data balance: a main task with fewer labels gains more",
    "data_balance_aux": "data balance: an auxiliary task with more labels helps more",
    "label_distribution": "label distribution: higher entropy / lower kurtosis gains more",
    "relatedness": "relatedness: related pairs gain more than unrelated ones",
}
SWEEP_WORDS = {
    "main_size": "main task per class",
    "aux_size": "auxiliary task per class",
    "main_ratio": "main task minority share",
}


def _gain_interval(value: float, low: float, high: float) -> str:
    """A gain with its interval, four decimals and a sign (gains are often below 0.01)."""
    if pd.isna(value):
        return "—"
    return f"{value:+.4f} [{low:+.4f}, {high:+.4f}]"


def factors_verdict_markdown(verdict: pd.DataFrame) -> str:
    """One row per claim × group × metric: the verdict, direction, effect and p."""
    frame = verdict.assign(
        claim_words=verdict["claim"].map(CLAIM_WORDS).fillna(verdict["claim"]),
        sweep_words=verdict["sweep"].map(SWEEP_WORDS).fillna(verdict["sweep"]),
        effect_cell=[
            _gain_interval(v, lo, hi) if e == "gain_difference" else
            ("—" if pd.isna(v) else f"ρ = {v:+.2f} [{lo:+.2f}, {hi:+.2f}]")
            for e, v, lo, hi in zip(verdict["effect"], verdict["estimate"], verdict["ci_low"],
                                    verdict["ci_high"], strict=True)
        ],
        directions=verdict["expected_direction"] + " / " + verdict["observed_direction"],
    )  # fmt: skip
    columns = {
        "claim_words": "claim",
        "group": "pairs",
        "sweep_words": "sweep",
        "metric": "metric",
        "directions": "expected / observed",
        "effect_cell": "effect [95 % interval]",
        "p_value": "p",
        "n_pairs": "pairs (n)",
        "verdict": "verdict",
    }
    return markdown_table(frame, columns, {"p_value": _p, "n_pairs": str})


def factors_effects_markdown(effects: pd.DataFrame) -> str:
    """Mean gain per sweep point, related beside unrelated (degenerate points say so)."""
    effects = effects.assign(
        cell=[
            f"degenerate ({n})" if s != "ok" else
            f"{_gain_interval(g, lo, hi)}, {100 * share:.0f} % improved"
            for s, n, g, lo, hi, share in zip(effects["status"], effects["note"],
                                              effects["gain_mean"], effects["ci_low"],
                                              effects["ci_high"], effects["improved_pair_share"],
                                              strict=True)
        ]
    )  # fmt: skip
    wide = effects.pivot_table(
        index=["sweep", "metric", "value"], columns="group", values="cell", aggfunc="first"
    ).reset_index()
    order = {"main_size": 0, "aux_size": 1, "main_ratio": 2}
    wide = wide.assign(o=wide["sweep"].map(order)).sort_values(["o", "metric", "value"])
    wide["sweep_words"] = wide["sweep"].map(SWEEP_WORDS).fillna(wide["sweep"])
    columns = {"sweep_words": "sweep", "metric": "metric", "value": "value"}
    columns.update({g: f"{g}: MTL − STL [95 %], pairs improved" for g in ("related", "unrelated")
                    if g in wide.columns})  # fmt: skip
    return markdown_table(wide, columns, {"value": lambda v: f"{v:g}"})


def factors_signal_markdown(signal: pd.DataFrame) -> str:
    """Spearman ρ of each size / label feature with the gain over all sweep rows."""
    rows = signal[signal["group"] == "all"]
    columns = {"kind": "kind", "feature": "feature", "metric": "gain on", "rho": "ρ",
               "p_value": "p", "signal": "signal (p < α)", "status": "status"}  # fmt: skip
    return markdown_table(rows, columns, {"p_value": _p})


def render_factors(project: Path, env: str | None) -> str:
    """The factors study's README tables from the project's latest ``factors`` run."""
    verdict, effects, signal, runs = _latest(
        project, env, "factors_verdict", "factor_effects", "factor_feature_signal", "factor_runs"
    )
    groups = runs.drop_duplicates("pair_id")["group"].value_counts().to_dict()
    models = runs["stl_model_id"].nunique() + runs["mtl_model_id"].nunique()
    header = (
        f"{groups.get('related', 0)} related + {groups.get('unrelated', 0)} unrelated-only pairs "
        f"× seeds {sorted(runs['seed'].unique().tolist())}, {models} distinct models "
        f"({int((runs['status'] != 'ok').sum())} degenerate runs)."
    )
    return "\n\n".join(
        [
            header,
            "Verdict per claim (ρ: Spearman trend of the pair-centred gain with the factor, "
            "p: permutation test with pairs as exchangeable units; holds = p < α in the "
            "expected direction, fails = p < α against it or an interval within the "
            "negligible band, else inconclusive):\n\n" + factors_verdict_markdown(verdict),
            "Mean MTL − STL per sweep point (bootstrap over pairs, then seeds):\n\n"
            + factors_effects_markdown(effects),
            "Do the size and label features carry signal once they vary (all sweep rows, "
            "feature permuted within pairs)?\n\n" + factors_signal_markdown(signal),
        ]
    )


def _latest(project: Path, env: str | None, *names: str) -> list[pd.DataFrame]:
    """The latest saved version of each catalog entry of the project at ``project``."""
    bootstrap_project(project)
    with KedroSession.create(project_path=project, env=env) as session:
        catalog = session.load_context().catalog
        return [catalog.load(name) for name in names]


def render_tweets(project: Path, env: str | None) -> str:
    """The tweets study's three README tables from the project's latest run."""
    results, significance, comparison, ablation = _latest(
        project, env, "tweet_results", "tweet_significance", "tweet_paper_comparison",
        "tweet_aux_ablation",
    )  # fmt: skip
    folds = int(results["n_folds"].max())
    return "\n\n".join(
        [
            f"STL vs MTL, mean ± std over {folds} folds; paired t-tests over the folds "
            "(two-sided):\n\n" + tweets_results_markdown(results, significance),
            "Side by side with Joshi et al.'s finding (MTL − STL, mean over folds, with the "
            'paired t-test; "agrees" / "opposes" need p < α, else only the sign is '
            "compared):\n\n" + tweets_paper_markdown(comparison),
            "Main-task accuracy vs. the share of the auxiliary task's training data (0 = STL), "
            f"mean ± std over {folds} folds:\n\n" + tweets_ablation_markdown(ablation),
        ]
    )


def _cell(frame: pd.DataFrame, prefix: str) -> list[str]:
    """``prefix`` (mean) with its ``_low``/``_high`` interval, one cell per row."""
    return [
        _with_interval(v, lo, hi, percent=False)
        for v, lo, hi in zip(
            frame[prefix],
            frame.get(f"{prefix}_low", pd.Series(float("nan"), index=frame.index)),
            frame.get(f"{prefix}_high", pd.Series(float("nan"), index=frame.index)),
            strict=True,
        )
    ]


def reliability_markdown(reliability: pd.DataFrame) -> str:
    """The noise ceiling per problem (``gain_reliability``); a degenerate row says why."""
    frame = reliability.copy()
    frame["size"] = [
        f"{int(n)} × {int(k)}" for n, k in zip(frame["n_pairs"], frame["n_seeds"], strict=True)
    ]
    frame["reliability_cell"] = _cell(frame, "reliability")
    frame["ceiling_rho"] = _cell(frame, "ceiling_correlation")
    frame["ceiling_bacc"] = _cell(frame, "ceiling_balanced_accuracy")
    frame["verdict"] = [
        "ok" if status == "ok" else f"{status}: {note}"
        for status, note in zip(frame["status"], frame["note"], strict=True)
    ]
    columns = {
        "problem": "problem",
        "size": "pairs × seeds",
        "gain_mean": "mean gain",
        "pair_sd": "SD between pairs",
        "seed_sd": "SD between seeds",
        "reliability_cell": "reliability of the seed-mean gain",
        "ceiling_rho": "ceiling: ρ with the mean gain",
        "share_improved": "improved (pair × seed)",
        "flip_rate_mean": "seed-to-seed flip rate",
        "ceiling_bacc": "ceiling: balanced acc. per seed",
        "ceiling_balanced_accuracy_mean_sign": "ceiling: balanced acc. on mean gain > 0",
        "verdict": "status",
    }
    text = {c: str for c in ("size", "reliability_cell", "ceiling_rho", "ceiling_bacc", "verdict")}
    return markdown_table(frame, columns, text)


#: meta_targets metric → the README's column header
_TARGET_HEADERS = {
    "spearman": "ρ with the mean gain",
    "balanced_accuracy": "balanced acc. on mean gain > 0",
    "balanced_accuracy_per_seed": "balanced acc. per seed",
}


def _target_cell(row: pd.Series) -> str:
    """``0.26 [−0.17, 0.71] / 0.87 (30 %)``: score [interval] / ceiling (share); a degenerate
    score says so instead of a number."""
    if row["status"] != "ok" or pd.isna(row["model_mean"]):
        return f"— ({row['status']})"
    cell = _with_interval(row["model_mean"], row["model_low"], row["model_high"], percent=False)
    if pd.notna(row["ceiling"]):
        cell += f" / {fmt_number(row['ceiling'])} ({100 * row['share_of_ceiling']:.0f} %)"
    if row["beats_baseline"]:
        cell += " ✓"
    return cell


def _cost_cell(predictor: str, costs: dict | None) -> str:
    if not costs or predictor not in costs.get("predictors", {}):
        return "not measured"
    return f"{100 * costs['predictors'][predictor]['fraction_of_training']:.1f} %"


def targets_markdown(targets: pd.DataFrame, costs: dict | None = None) -> str:
    """Every predictor on the same held-out pairs (``meta_targets``): each score with its
    interval over the draws, beside its ceiling, and the predictor's measured cost per pair."""
    frame = targets.copy()
    frame["cell"] = frame.apply(_target_cell, axis=1)
    wide = frame.pivot_table(
        index=["problem", "predictor"], columns="metric", values="cell", aggfunc="first"
    )
    order = list(dict.fromkeys(targets["predictor"]))
    wide = wide.reset_index()
    wide["_order"] = wide["predictor"].map(order.index)
    wide = wide.sort_values(["problem", "_order"])
    short = {"spearman": "ρ", "balanced_accuracy": "sign", "balanced_accuracy_per_seed": "per seed"}
    reached = (
        frame[frame["reached"].astype(bool)]
        .groupby(["problem", "predictor"])["metric"]
        .agg(lambda m: ", ".join(short.get(x, x) for x in m))
    )
    wide["reached"] = [
        reached.get((p, q), "none") for p, q in zip(wide["problem"], wide["predictor"], strict=True)
    ]
    wide["cost"] = [_cost_cell(p, costs) for p in wide["predictor"]]
    held_out = frame.groupby("problem")[["n_pairs", "n_held_out_pairs"]].first()
    wide["pairs"] = [
        f"{int(held_out.at[p, 'n_held_out_pairs'])} of {int(held_out.at[p, 'n_pairs'])}"
        if pd.notna(held_out.at[p, "n_held_out_pairs"])
        else "—"
        for p in wide["problem"]
    ]
    metrics = [m for m in _TARGET_HEADERS if m in wide.columns]
    columns = {"problem": "problem", "pairs": "held-out pairs", "predictor": "predictor"}
    columns.update({m: _TARGET_HEADERS[m] for m in metrics})
    columns.update({"reached": "goal reached", "cost": "cost per pair (share of training it)"})
    return markdown_table(wide, columns, {c: str for c in columns})


def calibration_markdown(calibration: pd.DataFrame) -> str:
    """The few-trained-pairs curve (``meta_calibration``): ρ and balanced accuracy against k."""
    frame = calibration[calibration["metric"].isin(["spearman", "balanced_accuracy"])].copy()
    frame["cell"] = frame.apply(_target_cell, axis=1)
    wide = frame.pivot_table(
        index=["problem", "predictor", "k"], columns="metric", values="cell", aggfunc="first"
    ).reset_index()
    wide["k"] = wide["k"].astype(int).astype(str)
    columns = {"problem": "problem", "predictor": "predictor", "k": "trained pairs k"}
    columns.update({m: _TARGET_HEADERS[m] for m in ("spearman", "balanced_accuracy")})
    return markdown_table(wide, columns, {c: str for c in columns})


def render_prediction(project: Path, env: str | None, costs_path: Path | None) -> str:
    """Issue 19's three tables from the project's latest run: the noise ceiling, the
    predictors on held-out pairs with their costs, and the few-trained-pairs curve."""
    reliability, targets, calibration = _latest(
        project, env, "gain_reliability", "meta_targets", "meta_calibration"
    )
    costs = json.loads(costs_path.read_text()) if costs_path is not None else None
    scored = targets[targets["status"] == "ok"]
    protocol = (
        f"{scored['repetitions'].iloc[0]:.0f} draws of held-out pairs; each cell: mean over the "
        f"draws [95 % interval] / ceiling (share of it); ✓ = the interval's lower end above the "
        f"baseline, ρ 0 and balanced accuracy 0.5; goal reached: the "
        f"metrics (ρ, sign = balanced acc. on mean gain > 0, per seed) at least "
        f"{scored['goal_share_of_ceiling'].iloc[0]:g} × their ceiling and above the baseline"
        if len(scored)
        else "no predictor could be scored: every row is degenerate, its status says why"
    )
    cost_note = (
        f" Cost per pair: CPU time of the predictor's work as a share of training the pair's STL "
        f"and MTL models, from `{costs['command']}` ({costs['date']})."
        if costs
        else ""
    )
    return "\n\n".join(
        [
            "The noise ceiling (`gain_reliability`; split-half reliability of a pair's gain "
            "across seeds, Spearman–Brown corrected, with its bootstrap interval; the ceilings "
            "any predictor faces):\n\n" + reliability_markdown(reliability),
            f"Predictors on pairs held out entirely (`meta_targets`; {protocol}).{cost_note}"
            "\n\n" + targets_markdown(targets, costs),
            "Few trained pairs (`meta_calibration`, in the spirit of ETAP: the map from the "
            "predictor's scores to the gain fitted on k fully trained pairs only, k = 0 the "
            "zero-shot score):\n\n" + calibration_markdown(calibration),
        ]
    )


def render(project: Path, env: str | None, tables: str = "both") -> str:
    """Table 1 and/or Table 2 (``tables``: 1, 2 or both) of the project's latest run."""
    comparison, summary = _latest(project, env, "paper_comparison", "mtl_gains_summary")
    parts = []
    if tables in ("1", "both"):
        parts.append(
            "Table 1 (mean main-task score over pair × seed runs; improved = share of runs with "
            "MTL above STL; in brackets the 95 % bootstrap interval over main tasks; the paper's "
            "from its released logs; verdict: reproduced = each interval holds the other's "
            "estimate, overlapping = the intervals overlap, not reproduced = they are "
            "disjoint):\n\n" + table1_markdown(comparison, summary)
        )
    if tables in ("2", "both"):
        parts.append(
            "Table 2 (meta-model predicting `improved`; each score with its majority-class "
            "baseline in brackets):\n\n" + table2_markdown(comparison)
        )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--env", default=None)
    parser.add_argument("--section", required=True)
    parser.add_argument("--readme", type=Path, default=Path(__file__).parents[2] / "README.md")
    parser.add_argument("--tables", choices=("1", "2", "both"), default="both")
    parser.add_argument(
        "--study",
        choices=("newsgroups", "tweets", "prediction", "factors"),
        default="newsgroups",
    )
    parser.add_argument(
        "--costs",
        type=Path,
        default=None,
        help="--study prediction: the JSON written by benchmarks/predict_cost.py --output",
    )
    parser.add_argument("--print", action="store_true", help="print instead of editing README")
    args = parser.parse_args(argv)
    if args.study == "tweets":
        body = render_tweets(args.project.resolve(), args.env)
    elif args.study == "prediction":
        body = render_prediction(args.project.resolve(), args.env, args.costs)
    elif args.study == "factors":
        body = render_factors(args.project.resolve(), args.env)
    else:
        body = render(args.project.resolve(), args.env, args.tables)
    if args.print:
        print(body)
        return
    print(rewrite_readme(args.readme, args.section, body, f"{args.project} (env {args.env})"))


def rewrite_readme(readme: Path, section: str, body: str, source: str) -> str:
    """Replace ``section`` of ``readme`` in place with ``body``; say what was rewritten."""
    before = readme.read_text()
    after = replace_section(before, section, body)
    readme.write_text(after)
    first = after[: after.index(f"<!-- results:{section} -->")].count("\n") + 1
    last = first + body.strip().count("\n") + 2  # the closing marker's line
    start, end = f"<!-- results:{section} -->", f"<!-- /results:{section} -->"
    old_section = set(before.split(start, 1)[1].split(end, 1)[0].splitlines())
    changed = sum(1 for line in body.strip().splitlines() if line not in old_section)
    if before == after:
        return (
            f"{readme}: section '{section}' (lines {first}-{last}) already up to date with {source}"
        )
    return (
        f"Rewrote {readme} in place: section '{section}', lines {first}-{last} "
        f"({changed} line(s) new or changed), from the run in {source}"
    )


if __name__ == "__main__":
    main()
