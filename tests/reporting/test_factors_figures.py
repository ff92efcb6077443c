"""The factors figure: one panel per (sweep, metric), a line per group, degenerate points named
under the panel and never drawn as values."""

import numpy as np
import pandas as pd

from mtl_pipeline.reporting.factors_figures import factor_gains_figure, factor_gains_plotly


def _effects() -> pd.DataFrame:
    rows = []
    for sweep, factor, metric, values in (
        ("main_size", "main_per_class", "f1", (10.0, 200.0)),
        ("main_ratio", "minority_share", "minority_f1", (0.05, 0.5)),
    ):
        for group in ("related", "unrelated"):
            for value in values:
                degenerate = group == "unrelated" and value == 10.0
                rows.append(
                    {"sweep": sweep, "factor": factor, "metric": metric, "group": group,
                     "value": value, "gain_mean": np.nan if degenerate else 0.01,
                     "ci_low": np.nan if degenerate else 0.0,
                     "ci_high": np.nan if degenerate else 0.02, "n_pairs": 5,
                     "improved_pair_share": 0.6,
                     "status": "degenerate" if degenerate else "ok"}
                )  # fmt: skip
    return pd.DataFrame(rows)


def _trends() -> pd.DataFrame:
    return pd.DataFrame(
        {"sweep": ["main_size", "main_size", "main_ratio"], "metric": ["f1", "f1", "minority_f1"],
         "group": ["related", "unrelated", "related"], "rho": [-0.5, np.nan, 0.2],
         "p_value": [0.01, np.nan, 0.5], "status": ["ok", "degenerate", "ok"]}
    )  # fmt: skip


def test_panels_lines_and_degenerate_points():
    fig = factor_gains_figure(_effects(), _trends())
    axes = [ax for ax in fig.axes if ax.get_xlabel()]
    assert len(axes) == 2
    size_panel = axes[0]
    assert "related: ρ=-0.50, p=0.010; unrelated: no test" == size_panel.get_title()
    assert any("degenerate (not drawn): unrelated 10" in t.get_text() for t in size_panel.texts)
    drawn = {c.get_label(): list(c.lines[0].get_xdata()) for c in size_panel.containers}
    assert drawn == {"related pairs": [10.0, 200.0], "unrelated pairs": [200.0]}
    plotly = factor_gains_plotly(_effects(), _trends())
    assert len(plotly.data) == 4 and list(plotly.data[1].x) == [200.0]
