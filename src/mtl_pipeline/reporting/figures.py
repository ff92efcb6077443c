"""Figures of the 20 Newsgroups study as matplotlib ``Figure`` objects (Agg canvas).

Figures are built without pyplot (``Figure`` + ``FigureCanvasAgg``), so they need no display,
leave no global figure state behind, and kedro-datasets' ``matplotlib.MatplotlibDataset`` saves
them as PNG files that kedro-viz previews. Each figure has a data helper returning the plotted
numbers as a DataFrame, which the tests check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mtl_pipeline.features.ratios import require_columns


def _figure(width: float, height: float, ncols: int = 1) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(1, ncols, squeeze=False)[0])
    return fig, axes


def f1_over_epochs(
    learning_curves: pd.DataFrame, task_pairs: pd.DataFrame, metric: str = "test_f1"
) -> pd.DataFrame:
    """Mean and std of a test metric per problem, model kind (stl/mtl) and epoch (paper Fig. 4).

    MTL curves are matched to their problem through (pair_id, main task, aux task); each pair's
    STL baseline is the STL curve of its main task with the same seed, so both kinds are averaged
    over the same pair × seed population.
    """
    require_columns(learning_curves, ["kind", "seed", "task", "epoch", metric], "learning_curves")
    require_columns(task_pairs, ["pair_id", "problem", "main_task", "aux_task"], "task_pairs")
    pairs = task_pairs[["pair_id", "problem", "main_task", "aux_task"]]
    mtl = learning_curves.loc[learning_curves["kind"] == "mtl"]
    mtl = mtl.merge(
        pairs,
        left_on=["pair_id", "task", "aux_task"],
        right_on=["pair_id", "main_task", "aux_task"],
        how="inner",
    )
    stl = learning_curves.loc[learning_curves["kind"] == "stl", ["seed", "task", "epoch", metric]]
    mtl_pairs = mtl[["pair_id", "problem", "main_task", "seed"]].drop_duplicates()
    stl = stl.merge(mtl_pairs, left_on=["task", "seed"], right_on=["main_task", "seed"])
    both = pd.concat(
        [
            stl.assign(kind="stl")[["problem", "kind", "epoch", metric]],
            mtl.assign(kind="mtl")[["problem", "kind", "epoch", metric]],
        ],
        ignore_index=True,
    )
    out = both.groupby(["problem", "kind", "epoch"], sort=True)[metric].agg(
        ["mean", "std", "count"]
    )
    return out.reset_index()


def f1_over_epochs_figure(
    learning_curves: pd.DataFrame, task_pairs: pd.DataFrame, metric: str = "test_f1"
) -> Figure:
    """Mean test F1 over epochs, STL vs MTL, one panel per problem (paper Fig. 4)."""
    data = f1_over_epochs(learning_curves, task_pairs, metric)
    problems = sorted(data["problem"].unique()) or ["(no data)"]
    fig, axes = _figure(5.0 * len(problems), 3.8, len(problems))
    for ax, problem in zip(axes, problems, strict=True):
        for kind, style in (("stl", "--"), ("mtl", "-")):
            d = data.loc[(data["problem"] == problem) & (data["kind"] == kind)]
            if d.empty:
                continue
            ax.plot(d["epoch"], d["mean"], style, label=kind.upper())
            ax.fill_between(
                d["epoch"],
                d["mean"] - d["std"].fillna(0),
                d["mean"] + d["std"].fillna(0),
                alpha=0.15,
            )
        ax.set_title(f"{problem} pairs")
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"mean {metric}")
        ax.legend()
    fig.suptitle("Main-task test F1 over epochs: STL vs MTL")
    return fig


def relative_gains_by_class_pair(mtl_gains: pd.DataFrame, task_pairs: pd.DataFrame) -> pd.DataFrame:
    """Mean relative gain ``(mtl_score − stl_score) / stl_score`` per problem and main task (Fig. 5).

    Averaged over auxiliary tasks and seeds; ``main_a``/``main_b`` are the main task's classes.
    Rows with ``stl_score == 0`` have no relative gain and are left out.
    """
    require_columns(mtl_gains, ["pair_id", "problem", "stl_score", "mtl_score"], "mtl_gains")
    require_columns(task_pairs, ["pair_id", "problem", "main_a", "main_b"], "task_pairs")
    gains = mtl_gains.loc[mtl_gains["stl_score"] != 0].merge(
        task_pairs[["pair_id", "problem", "main_a", "main_b"]], on=["pair_id", "problem"]
    )
    gains = gains.assign(
        relative_gain=(gains["mtl_score"] - gains["stl_score"]) / gains["stl_score"]
    )
    out = gains.groupby(["problem", "main_a", "main_b"], sort=True)["relative_gain"].agg(
        ["mean", "count"]
    )
    return out.reset_index().rename(columns={"mean": "relative_gain_mean", "count": "n"})


def relative_gains_figure(mtl_gains: pd.DataFrame, task_pairs: pd.DataFrame) -> Figure:
    """Heat map of the mean relative gain per main-task class pair, one panel per problem."""
    data = relative_gains_by_class_pair(mtl_gains, task_pairs)
    problems = sorted(data["problem"].unique()) or ["(no data)"]
    fig, axes = _figure(6.5 * len(problems), 6.0, len(problems))
    limit = float(np.nanmax(np.abs(data["relative_gain_mean"]))) if len(data) else 1.0
    limit = limit if limit > 0 else 1.0
    for ax, problem in zip(axes, problems, strict=True):
        d = data.loc[data["problem"] == problem]
        groups = sorted(set(d["main_a"]) | set(d["main_b"]))
        index = {g: i for i, g in enumerate(groups)}
        grid = np.full((len(groups), len(groups)), np.nan)
        for a, b, v in d[["main_a", "main_b", "relative_gain_mean"]].itertuples(index=False):
            grid[index[a], index[b]] = grid[index[b], index[a]] = v
        image = ax.imshow(grid, cmap="RdBu", vmin=-limit, vmax=limit)
        ax.set_xticks(range(len(groups)), groups, rotation=90, fontsize=6)
        ax.set_yticks(range(len(groups)), groups, fontsize=6)
        ax.set_title(f"{problem} pairs: mean relative gain of MTL")
        fig.colorbar(image, ax=ax, shrink=0.7, label="(MTL F1 − STL F1) / STL F1")
    return fig


def meta_coefficients_figure(
    meta_coefficients: pd.DataFrame,
    feature_subset: str = "all",
    top_n: int = 20,
    meta_scores: pd.DataFrame | None = None,
) -> Figure:
    """Mean meta-model coefficients (bars) of the ``top_n`` features by mean inverse rank,
    one panel per problem (paper Table 3).

    A problem whose meta-model is degenerate (``status`` of ``meta_scores`` or of the
    coefficient rows not ``ok``) gets no bars, only the reason: its coefficients are no finding.
    """
    require_columns(
        meta_coefficients,
        ["problem", "feature_subset", "feature", "coef_mean", "coef_std", "inverse_rank_mean"],
        "meta_coefficients",
    )
    data = meta_coefficients.loc[meta_coefficients["feature_subset"] == feature_subset]
    reasons: dict[str, str] = {}
    if meta_scores is not None and "status" in meta_scores.columns:
        rows = meta_scores.loc[meta_scores["feature_subset"] == feature_subset]
        for r in rows.itertuples(index=False):
            if r.status != "ok":
                reasons[r.problem] = str(getattr(r, "note", "") or r.status)
    if "status" in data.columns:
        for problem in data.loc[data["status"] != "ok", "problem"].unique():
            reasons.setdefault(problem, "degenerate meta-model")
    problems = sorted(set(data["problem"]) | set(reasons)) or ["(no data)"]
    fig, axes = _figure(5.5 * len(problems), max(3.0, 0.28 * top_n + 1.0), len(problems))
    for ax, problem in zip(axes, problems, strict=True):
        if problem in reasons:
            ax.set_axis_off()
            ax.text(
                0.5,
                0.5,
                f"{problem}: degenerate meta-model,\nno finding\n\n{reasons[problem][:300]}",
                ha="center",
                va="center",
                wrap=True,
                fontsize=8,
                transform=ax.transAxes,
            )
            continue
        d = data.loc[data["problem"] == problem].nlargest(top_n, "inverse_rank_mean")[::-1]
        colors = np.where(d["coef_mean"] >= 0, "tab:blue", "tab:red")
        ax.barh(d["feature"], d["coef_mean"], xerr=d["coef_std"], color=colors)
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_xlabel("mean coefficient (± std over fold models)")
        ax.set_title(f"{problem}: top {top_n} by mean inverse rank")
    fig.suptitle(f"Meta-model coefficients ({feature_subset} features)")
    return fig
