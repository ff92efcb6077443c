"""Figures of the factor sweeps: the MTL gain against each factor, related vs unrelated pairs.

One panel per (sweep, metric) of ``factor_effects``: the mean gain (MTL − STL) over pairs at
each sweep point with its bootstrap interval (pairs, then seeds), one line per group. Degenerate
points are not drawn as values: they are listed under the panel. The panel title carries the
trend test of each group (Spearman ρ, permutation p).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure
from plotly.subplots import make_subplots

from mtl_pipeline.reporting.style import (
    SERIES_COLORS,
    SMALL_TICK_SIZE,
    empty_panel,
    new_figure,
    style_plotly,
    title,
)

GROUP_COLORS = {"related": SERIES_COLORS[0], "unrelated": SERIES_COLORS[1]}
FACTOR_LABELS = {
    "main_per_class": "main task: training documents per class",
    "aux_per_class": "auxiliary task: training documents per class",
    "minority_share": "main task: share of the minority class",
}
METRIC_WORDS = {
    "f1": "F1",
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "minority_f1": "minority-class F1",
}
TITLE = "MTL gain against each factor (mean over pairs, 95 % bootstrap interval)"


def _panels(effects: pd.DataFrame) -> list[tuple[str, str, str]]:
    order = {"main_size": 0, "aux_size": 1, "main_ratio": 2}
    keys = effects[["sweep", "factor", "metric"]].drop_duplicates()
    keys = keys.assign(o=keys["sweep"].map(order)).sort_values(["o", "metric"])
    return [tuple(k) for k in keys[["sweep", "factor", "metric"]].itertuples(index=False)]


def _trend_words(trends: pd.DataFrame, sweep: str, metric: str) -> str:
    rows = trends[(trends["sweep"] == sweep) & (trends["metric"] == metric)]
    parts = []
    for t in rows.itertuples(index=False):
        if t.status == "ok":
            parts.append(f"{t.group}: ρ={t.rho:+.2f}, p={t.p_value:.3f}")
        else:
            parts.append(f"{t.group}: no test")
    return "; ".join(parts)


def factor_gains_figure(effects: pd.DataFrame, trends: pd.DataFrame) -> Figure:
    """The matplotlib figure (PNG for kedro-viz and the README, PDF with Type 42 fonts)."""
    panels = _panels(effects)
    fig, axes = new_figure(max(len(panels), 1), panel_width=4.2, height=3.8)
    if not panels:
        empty_panel(axes[0], "no sweep point")
    for ax, (sweep, factor, metric) in zip(axes, panels, strict=False):
        part = effects[(effects["sweep"] == sweep) & (effects["metric"] == metric)]
        degenerate = []
        for group, rows in part.groupby("group", sort=True):
            ok = rows[rows["status"] == "ok"].sort_values("value")
            degenerate += [f"{group} {v:g}" for v in rows.loc[rows["status"] != "ok", "value"]]
            if ok.empty:
                continue
            color = GROUP_COLORS.get(group, SERIES_COLORS[2])
            ax.errorbar(
                ok["value"], ok["gain_mean"],
                yerr=[ok["gain_mean"] - ok["ci_low"], ok["ci_high"] - ok["gain_mean"]],
                color=color, marker="o", capsize=3, label=f"{group} pairs",
            )  # fmt: skip
        ax.axhline(0.0, color="#444444", linewidth=0.8)
        if sweep != "main_ratio":
            ax.set_xscale("log")
            ticks = sorted(part["value"].unique())
            ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
            ax.minorticks_off()  # the log axis's own minor labels would crowd the points
        ax.set_xlabel(FACTOR_LABELS.get(factor, factor))
        ax.set_ylabel(f"MTL − STL ({METRIC_WORDS.get(metric, metric)})")
        ax.set_title(_trend_words(trends, sweep, metric), fontsize=SMALL_TICK_SIZE)
        if degenerate:
            ax.annotate("degenerate (not drawn): " + ", ".join(degenerate), (0.01, 0.01),
                        xycoords="axes fraction", fontsize=SMALL_TICK_SIZE - 1)  # fmt: skip
        ax.legend(fontsize=SMALL_TICK_SIZE)
    title(fig, TITLE, "gain of the main task at the final epoch; ρ: Spearman trend, "
          "p: permutation test with pairs as exchangeable units")  # fmt: skip
    return fig


def factor_gains_plotly(effects: pd.DataFrame, trends: pd.DataFrame) -> go.Figure:
    """The interactive version (kedro-viz preview): hover gives the point's pairs and share."""
    panels = _panels(effects) or [("", "", "")]
    fig = make_subplots(
        rows=1,
        cols=len(panels),
        subplot_titles=[_trend_words(trends, s, m) for s, _, m in panels],
    )
    for col, (sweep, factor, metric) in enumerate(panels, start=1):
        part = effects[(effects["sweep"] == sweep) & (effects["metric"] == metric)]
        for group, rows in part.groupby("group", sort=True):
            ok = rows[rows["status"] == "ok"].sort_values("value")
            fig.add_trace(
                go.Scatter(
                    x=ok["value"], y=ok["gain_mean"], mode="lines+markers",
                    name=f"{group} pairs", legendgroup=group, showlegend=col == 1,
                    line={"color": GROUP_COLORS.get(group, SERIES_COLORS[2])},
                    error_y={"type": "data", "symmetric": False,
                             "array": (ok["ci_high"] - ok["gain_mean"]).to_numpy(),
                             "arrayminus": (ok["gain_mean"] - ok["ci_low"]).to_numpy()},
                    customdata=np.stack([ok["n_pairs"], ok["improved_pair_share"]], axis=1)
                    if len(ok) else None,
                    hovertemplate="%{x}: gain %{y:.4f}<br>%{customdata[0]} pairs, "
                    "%{customdata[1]:.0%} improved<extra>" + group + "</extra>",
                ),
                row=1, col=col,
            )  # fmt: skip
        fig.update_xaxes(
            title_text=FACTOR_LABELS.get(factor, factor),
            type="log" if sweep in ("main_size", "aux_size") else "linear",
            row=1,
            col=col,
        )
        fig.update_yaxes(title_text=f"MTL − STL ({METRIC_WORDS.get(metric, metric)})", row=1,
                         col=col)  # fmt: skip
    return style_plotly(fig, TITLE, height=450)
