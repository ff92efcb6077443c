"""Figures of both studies: matplotlib ``Figure`` objects (PNG + PDF) and plotly figures.

Every figure uses the one style of :mod:`mtl_pipeline.reporting.style`. Each figure has a data
helper returning the plotted numbers as a DataFrame, which the tests check; the matplotlib
figures are saved by kedro-datasets' ``matplotlib.MatplotlibDataset`` (PNG for kedro-viz and the
README, PDF for a paper), the plotly ones by ``plotly.JSONDataset`` (interactive, previewed in
kedro-viz: hover a cell or bar to see which pair or feature it is).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure
from plotly.subplots import make_subplots

from mtl_pipeline.frames import require_columns
from mtl_pipeline.reporting import style
from mtl_pipeline.tweets_study.ablation import ablation_summary


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
    """Mean test score over epochs, STL vs MTL, one panel per problem on one y-range (Fig. 4).

    The band is ± 1 standard deviation over the pair × seed runs of the panel.
    """
    data = f1_over_epochs(learning_curves, task_pairs, metric)
    problems = sorted(data["problem"].unique())
    fig, axes = style.new_figure(len(problems), panel_width=4.6, height=3.8, sharey=True)
    low = data["mean"] - data["std"].fillna(0)
    high = data["mean"] + data["std"].fillna(0)
    for ax, problem in zip(axes, problems, strict=False):
        runs = 0
        for kind in ("stl", "mtl"):
            d = data.loc[(data["problem"] == problem) & (data["kind"] == kind)]
            if d.empty:
                continue
            kind_style = style.KIND_STYLE[kind]
            ax.plot(d["epoch"], d["mean"], linewidth=1.8, **kind_style)
            ax.fill_between(
                d["epoch"],
                low[d.index],
                high[d.index],
                color=kind_style["color"],
                alpha=0.18,
                linewidth=0,
            )
            runs = int(d["count"].max())
        ax.set_title(f"{problem} pairs ({runs} pair × seed runs)")
        ax.set_xlabel("training epoch")
        ax.legend(loc="lower right", fontsize=style.LEGEND_SIZE, frameon=False)
    if not problems:
        style.empty_panel(axes[0])
    axes[0].set_ylabel(f"mean {style.metric_label(metric)}")
    axes[0].set_ylim(*style.padded_range(np.r_[low, high]))
    style.title(
        fig,
        f"{style.sentence(style.metric_label(metric))} over training: STL vs MTL",
        "lines: mean over pair × seed runs; bands: ± 1 standard deviation over those runs",
    )
    return fig


def relative_gains_by_class_pair(mtl_gains: pd.DataFrame, task_pairs: pd.DataFrame) -> pd.DataFrame:
    """Mean relative gain ``(mtl_score − stl_score) / stl_score`` per problem and main task (Fig. 5).

    Averaged over auxiliary tasks and seeds; ``main_a``/``main_b`` are the main task's classes,
    ``n`` the number of pair × seed runs averaged and ``aux_tasks`` the auxiliary tasks they used.
    Rows with ``stl_score == 0`` have no relative gain and are left out.
    """
    require_columns(mtl_gains, ["pair_id", "problem", "stl_score", "mtl_score"], "mtl_gains")
    require_columns(
        task_pairs, ["pair_id", "problem", "main_a", "main_b", "aux_task"], "task_pairs"
    )
    gains = mtl_gains.loc[
        mtl_gains["stl_score"] != 0, ["pair_id", "problem", "stl_score", "mtl_score"]
    ]
    gains = gains.merge(
        task_pairs[["pair_id", "problem", "main_a", "main_b", "aux_task"]],
        on=["pair_id", "problem"],
    )
    gains = gains.assign(
        relative_gain=(gains["mtl_score"] - gains["stl_score"]) / gains["stl_score"]
    )
    out = gains.groupby(["problem", "main_a", "main_b"], sort=True).agg(
        relative_gain_mean=("relative_gain", "mean"),
        n=("relative_gain", "count"),
        aux_tasks=("aux_task", lambda s: "; ".join(sorted(set(s)))),
    )
    return out.reset_index()


def _gain_grid(d: pd.DataFrame) -> tuple[list[str], list[str], np.ndarray]:
    """Rows = first classes, columns = second classes that occur: no mirrored, empty half."""
    rows = sorted(d["main_a"].unique())
    cols = sorted(d["main_b"].unique())
    grid = np.full((len(rows), len(cols)), np.nan)
    for a, b, v in d[["main_a", "main_b", "relative_gain_mean"]].itertuples(index=False):
        grid[rows.index(a), cols.index(b)] = v
    return rows, cols, grid


def relative_gains_figure(mtl_gains: pd.DataFrame, task_pairs: pd.DataFrame) -> Figure:
    """Mean relative gain per main task (class A × class B), one matrix per problem (Fig. 5).

    Only the classes that occur as a main task's first (rows) or second (columns) class are
    drawn, each cell once; cells are annotated with the gain in percent when the matrix is small
    enough to read; empty cells are pairs of classes that are not a main task of this problem.
    """
    data = relative_gains_by_class_pair(mtl_gains, task_pairs)
    problems = sorted(data["problem"].unique())
    grids = [_gain_grid(data.loc[data["problem"] == p]) for p in problems]
    n_rows = max((len(r) for r, _, _ in grids), default=1)
    widths = [max(len(c), 1) for _, c, _ in grids] or [1]
    label_width = 0.075 * max((len(r) for rows, _, _ in grids for r in rows), default=10)
    fig, axes = style.new_figure(
        len(problems),
        panel_width=label_width + 0.4 + 0.45 * max(widths),
        height=3.4 + 0.45 * n_rows,
    )
    limit = float(np.nanmax(np.abs(data["relative_gain_mean"]))) if len(data) else 0.0
    limit = 100 * limit if limit > 0 else 1.0
    image = None
    for ax, problem, (rows, cols, grid) in zip(axes, problems, grids, strict=False):
        style.style_axes(ax, grid=False, tick_size=style.SMALL_TICK_SIZE)
        # Cells without a value are transparent and show the hatched axes background.
        ax.patch.set_facecolor("white")
        ax.patch.set_hatch(style.MISSING_CELL_HATCH)
        ax.patch.set_edgecolor(style.MISSING_CELL_COLOR)
        image = ax.imshow(100 * grid, cmap=_cmap(), vmin=-limit, vmax=limit, aspect="equal")
        ax.set_xticks(range(len(cols)), cols, rotation=40, ha="right", rotation_mode="anchor")
        ax.set_yticks(range(len(rows)), rows)
        if grid.size <= 400:
            for (i, j), value in np.ndenumerate(grid):
                if np.isfinite(value):
                    ax.text(
                        j,
                        i,
                        f"{100 * value:+.1f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if abs(100 * value) > 0.6 * limit else "black",
                    )
        ax.set_title(f"{problem} pairs")
        ax.set_xlabel("main task: second class")
    axes[0].set_ylabel("main task: first class")
    if not problems:
        style.empty_panel(axes[0])
    if image is not None:
        bar = fig.colorbar(
            image, ax=axes, orientation="horizontal", shrink=0.5, aspect=30, pad=0.02
        )
        bar.set_label("relative gain of MTL over STL (%)", fontsize=style.LABEL_SIZE)
        bar.ax.tick_params(labelsize=style.TICK_SIZE)
    style.title(
        fig,
        "Relative gain of MTL per main task",
        "cell: (MTL − STL) / STL main-task score, mean over auxiliary tasks and seeds\n"
        "hatched cell: no main task with these two classes in this problem (no pair)",
    )
    return fig


def _cmap():
    from matplotlib import colormaps

    return colormaps[style.DIVERGING_CMAP].with_extremes(bad=(0.0, 0.0, 0.0, 0.0))


def relative_gains_plotly(mtl_gains: pd.DataFrame, task_pairs: pd.DataFrame) -> go.Figure:
    """Interactive Fig. 5: hovering a cell names the main task, its auxiliary tasks and runs."""
    data = relative_gains_by_class_pair(mtl_gains, task_pairs)
    problems = sorted(data["problem"].unique()) or ["(no data)"]
    # Panels stacked vertically: the long class names need the width (and kedro-viz's narrow
    # preview pane stays readable).
    fig = make_subplots(
        len(problems), 1, subplot_titles=[f"{p} pairs" for p in problems], vertical_spacing=0.25
    )
    limit = float(np.nanmax(np.abs(data["relative_gain_mean"]))) if len(data) else 0.0
    limit = 100 * limit if limit > 0 else 1.0
    for row, problem in enumerate(problems, start=1):
        d = data.loc[data["problem"] == problem]
        rows, cols, grid = _gain_grid(d)
        hover = np.full(grid.shape, "", dtype=object)
        for a, b, v, n, aux in d[
            ["main_a", "main_b", "relative_gain_mean", "n", "aux_tasks"]
        ].itertuples(index=False):
            hover[rows.index(a), cols.index(b)] = (
                f"main task: {a} vs {b}<br>relative gain: {100 * v:+.2f} %"
                f"<br>runs (aux task × seed): {n}<br>auxiliary task(s): {aux}"
            )
        fig.add_trace(
            go.Heatmap(
                z=np.round(100 * grid, 3),
                x=cols,
                y=rows,
                text=hover,
                hoverinfo="text",
                hovertemplate="%{text}<extra></extra>",
                colorscale=style.DIVERGING_CMAP,
                zmin=-limit,
                zmax=limit,
                showscale=row == 1,
                colorbar={"title": "relative gain (%)"},
            ),
            row=row,
            col=1,
        )
        # No grid lines through the cells; the plot background (grey) shows where there is no
        # pair, distinct from RdBu's near-white zero.
        axis_style = {"showgrid": False, "zeroline": False, "row": row, "col": 1}
        fig.update_xaxes(title_text="main task: second class", **axis_style)
        fig.update_yaxes(title_text="main task: first class", autorange="reversed", **axis_style)
    fig = style.style_plotly(
        fig,
        "Relative gain of MTL per main task (hover a cell; grey: no pair)",
        380 * len(problems) + 120,
    )
    return fig.update_layout(plot_bgcolor=style.MISSING_CELL_COLOR)


def _top_coefficients(
    meta_coefficients: pd.DataFrame,
    feature_subset: str,
    top_n: int,
    meta_scores: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The ``top_n`` coefficient rows per problem, and why a problem's model is degenerate.

    A problem whose meta-model is degenerate (``status`` of ``meta_scores`` or of the
    coefficient rows not ``ok``) maps to its reason and has no rows: its coefficients are no
    finding.
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
    data = data.loc[~data["problem"].isin(reasons)]
    top = (
        data.sort_values("inverse_rank_mean", ascending=False)
        .groupby("problem", sort=True)
        .head(top_n)
    )
    return top, reasons


def meta_coefficients_figure(
    meta_coefficients: pd.DataFrame,
    feature_subset: str = "all",
    top_n: int = 20,
    meta_scores: pd.DataFrame | None = None,
) -> Figure:
    """Mean meta-model coefficients (bars) of the ``top_n`` features by mean inverse rank,
    one panel per problem on one x-range (paper Table 3).

    A problem whose meta-model is degenerate gets no bars, only the reason (see
    :func:`_top_coefficients`).
    """
    data, reasons = _top_coefficients(meta_coefficients, feature_subset, top_n, meta_scores)
    problems = sorted(set(data["problem"]) | set(reasons))
    fig, axes = style.new_figure(
        len(problems), panel_width=6.0, height=max(3.0, 0.26 * top_n + 2.0), sharex=True
    )
    for ax, problem in zip(axes, problems, strict=False):
        if problem in reasons:
            reason = textwrap.fill(reasons[problem][:300], width=55)
            style.empty_panel(ax, f"{problem} pairs: degenerate meta-model, no finding\n\n{reason}")
            ax.set_axis_off()
            continue
        d = data.loc[data["problem"] == problem][::-1]
        colors = np.where(d["coef_mean"] >= 0, style.MTL_COLOR, style.STL_COLOR)
        ax.barh(
            d["feature"],
            d["coef_mean"],
            xerr=d["coef_std"].fillna(0),
            color=colors,
            error_kw={"elinewidth": 0.8, "capsize": 2},
        )
        ax.axvline(0.0, color="black", linewidth=0.8)
        style.style_axes(ax, tick_size=style.SMALL_TICK_SIZE)
        ax.set_xlabel("mean coefficient")
        ax.set_title(f"{problem} pairs: top {len(d)} features")
    if not problems:
        style.empty_panel(axes[0])
    features = feature_subset.replace("_", " ")
    if data.empty:  # nothing drawn: a caption about bars would describe what is not there
        style.title(
            fig,
            f"Meta-model coefficients ({features} features): no finding",
            "no bars: no meta-model could be fitted meaningfully (each panel says why; "
            "meta_scores has the status per problem)",
        )
        return fig
    style.title(
        fig,
        f"Meta-model coefficients ({features} features)\ntop features by mean inverse rank",
        "bar: mean logistic-regression coefficient over the CV fold models\n"
        "error bar: ± 1 SD; blue (> 0) pushes towards an MTL gain, orange against",
    )
    return fig


def meta_coefficients_plotly(
    meta_coefficients: pd.DataFrame,
    feature_subset: str = "all",
    top_n: int = 20,
    meta_scores: pd.DataFrame | None = None,
) -> go.Figure:
    """Interactive coefficient bars: hovering a bar gives the feature, mean ± SD and its rank.
    A degenerate problem's panel says so instead of drawing bars."""
    data, reasons = _top_coefficients(meta_coefficients, feature_subset, top_n, meta_scores)
    problems = sorted(set(data["problem"]) | set(reasons)) or ["(no data)"]
    fig = make_subplots(
        1, len(problems), subplot_titles=[f"{p} pairs" for p in problems], shared_xaxes=True
    )
    for col, problem in enumerate(problems, start=1):
        if problem in reasons:
            fig.add_annotation(
                text=f"degenerate meta-model, no finding:<br>{reasons[problem][:120]}",
                showarrow=False,
                xref=f"x{col} domain" if col > 1 else "x domain",
                yref=f"y{col} domain" if col > 1 else "y domain",
                x=0.5,
                y=0.5,
            )
            continue
        d = data.loc[data["problem"] == problem][::-1]
        n_models = d["n_models"] if "n_models" in d else pd.Series(np.nan, index=d.index)
        fig.add_trace(
            go.Bar(
                x=d["coef_mean"].round(4),
                y=d["feature"],
                orientation="h",
                error_x={"type": "data", "array": d["coef_std"].fillna(0).round(4)},
                marker_color=np.where(d["coef_mean"] >= 0, style.MTL_COLOR, style.STL_COLOR),
                customdata=np.c_[d["coef_std"].round(4), d["inverse_rank_mean"].round(4), n_models],
                hovertemplate=(
                    "%{y}<br>mean coefficient: %{x:.4f} ± %{customdata[0]:.4f}"
                    "<br>mean inverse rank: %{customdata[1]:.3f}"
                    "<br>fold models: %{customdata[2]}<extra></extra>"
                ),
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(title_text="mean coefficient (± 1 SD over fold models)", row=1, col=col)
    features = feature_subset.replace("_", " ")
    heading = (
        f"Meta-model coefficients ({features} features): no finding"
        if data.empty
        else f"Meta-model coefficients ({features} features, top {top_n})"
    )
    return style.style_plotly(fig, heading, max(400, 22 * top_n + 160))


def aux_ablation_figure(scores: pd.DataFrame) -> Figure:
    """Main-task accuracy (mean ± SD over folds) vs. share of auxiliary training data, one
    panel per tweet pair on one y-range (Joshi et al.'s ablation)."""
    summary = ablation_summary(scores)
    pairs = list(dict.fromkeys(summary["pair"]))
    fig, axes = style.new_figure(len(pairs), panel_width=4.6, height=3.8, sharey=True)
    for ax, pair in zip(axes, pairs, strict=False):
        sub = summary[summary["pair"] == pair]
        groups = sub.groupby(["main_task", "aux_task", "encoder"], sort=True)
        for color, ((main, aux, encoder), line) in zip(style.SERIES_COLORS, groups, strict=False):
            ax.errorbar(
                100 * line["aux_share"],
                line["accuracy"],
                yerr=line["accuracy_std"],
                marker="o",
                capsize=3,
                color=color,
                label=f"{main.replace('_', ' ')} + {aux.replace('_', ' ')} ({encoder})",
            )
        ax.set_title(f"{pair} pair")
        ax.set_xlabel("share of auxiliary training data used (%)")
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.legend(fontsize=style.LEGEND_SIZE, framealpha=0.85, loc="best")
    if not pairs:
        style.empty_panel(axes[0])
    axes[0].set_ylabel("main-task test accuracy")
    low = summary["accuracy"] - summary["accuracy_std"]
    high = summary["accuracy"] + summary["accuracy_std"]
    axes[0].set_ylim(*style.padded_range(np.r_[low, high]))
    style.title(
        fig,
        "Main-task accuracy vs. auxiliary data (0 % = STL)",
        "points: mean over CV folds; error bars: ± 1 standard deviation over folds",
    )
    return fig
