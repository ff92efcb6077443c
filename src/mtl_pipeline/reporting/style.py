"""The one plotting style of every figure of the project (matplotlib and plotly).

Every figure is built through :func:`new_figure` (matplotlib) or :func:`style_plotly` (plotly),
so fonts, colours, grids and the wording of the STL/MTL legend are the same in all of them.
Figures are built without pyplot (``Figure`` + ``FigureCanvasAgg``): no display is needed, no
global backend is set at import, and no global figure state is left behind. The one global
setting is :data:`EMBEDDED_FONT_RC`, applied when this module is imported: every PDF (and PS)
matplotlib writes in the process embeds TrueType (Type 42) fonts instead of Type 3, which ACL's
and IEEE's submission checks reject. It must be global because Kedro's figure datasets call
``savefig`` after the node that drew the figure has returned.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

EMBEDDED_FONT_RC = {"pdf.fonttype": 42, "ps.fonttype": 42}
matplotlib.rcParams.update(EMBEDDED_FONT_RC)

# Colour-blind-safe pair (Okabe & Ito): STL orange, MTL blue; gains diverge red (loss) → blue.
STL_COLOR = "#E69F00"
MTL_COLOR = "#0072B2"
KIND_STYLE = {
    "stl": {"color": STL_COLOR, "linestyle": "--", "label": "STL (single-task)"},
    "mtl": {"color": MTL_COLOR, "linestyle": "-", "label": "MTL (main + auxiliary task)"},
}
SERIES_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000")
DIVERGING_CMAP = "RdBu"
# A heatmap's cells with no value (no main task with those two classes): hatched in matplotlib,
# a mid grey in plotly, so that neither looks like a near-zero gain (RdBu's near-white centre).
MISSING_CELL_COLOR = "#bdbdbd"
MISSING_CELL_HATCH = "///"

TITLE_SIZE = 12
PANEL_TITLE_SIZE = 11
LABEL_SIZE = 10
TICK_SIZE = 9
SMALL_TICK_SIZE = 8
LEGEND_SIZE = 9
FONT_FAMILY = "DejaVu Sans"

# Words for the metric columns that end up on an axis.
METRIC_LABELS = {
    "test_f1": "main-task test F1",
    "test_accuracy": "main-task test accuracy",
    "test_loss": "main-task test loss",
    "train_loss": "main-task training loss",
    "accuracy": "main-task test accuracy",
    "f1": "main-task test F1",
}


def metric_label(metric: str) -> str:
    """An axis label in words for a metric column (the column name when none is known)."""
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


def sentence(text: str) -> str:
    """``text`` with its first letter upper-cased (``str.capitalize`` would lower "F1")."""
    return text[:1].upper() + text[1:]


def new_figure(
    ncols: int = 1,
    *,
    panel_width: float,
    height: float,
    sharey: bool = False,
    sharex: bool = False,
    width_ratios: Sequence[float] | None = None,
) -> tuple[Figure, list]:
    """A constrained-layout figure with ``ncols`` panels side by side, in the project style."""
    ncols = max(int(ncols), 1)
    fig = Figure(figsize=(panel_width * ncols, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(
        1,
        ncols,
        squeeze=False,
        sharey=sharey,
        sharex=sharex,
        gridspec_kw={"width_ratios": list(width_ratios)} if width_ratios else None,
    )[0]
    for ax in axes:
        style_axes(ax)
    return fig, list(axes)


def style_axes(ax, *, grid: bool = True, tick_size: float = TICK_SIZE) -> None:
    """Readable ticks, a light grid behind the data, no top/right frame."""
    ax.tick_params(labelsize=tick_size)
    ax.spines[["top", "right"]].set_visible(False)
    if grid:
        ax.grid(True, alpha=0.3, linewidth=0.6)
        ax.set_axisbelow(True)
    else:
        ax.grid(False)
    ax.title.set_fontsize(PANEL_TITLE_SIZE)
    ax.xaxis.label.set_fontsize(LABEL_SIZE)
    ax.yaxis.label.set_fontsize(LABEL_SIZE)


def title(fig: Figure, text: str, caption: str | None = None) -> None:
    """Figure title, and an optional one-line caption under the panels (what bands/bars mean)."""
    fig.suptitle(text, fontsize=TITLE_SIZE, fontfamily=FONT_FAMILY)
    if caption:
        fig.supxlabel(caption, fontsize=SMALL_TICK_SIZE, color="#444444")


def empty_panel(ax, message: str = "no data") -> None:
    """A panel that says there is nothing to draw (rather than a blank box)."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def padded_range(values: np.ndarray, pad: float = 0.05) -> tuple[float, float]:
    """A (low, high) range covering ``values`` with a margin; (0, 1) when there are none."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    margin = max((high - low) * pad, 1e-3)
    return low - margin, high + margin


# --- plotly -------------------------------------------------------------------------------------

PLOTLY_TEMPLATE = "plotly_white"


def style_plotly(fig, text: str, height: int = 500):
    """Apply the project style to a plotly figure (template, fonts, title) and return it."""
    fig.update_layout(
        template=PLOTLY_TEMPLATE,
        title={"text": text, "x": 0.5, "font": {"size": 16}},
        font={"family": f"{FONT_FAMILY}, Arial, sans-serif", "size": 12},
        height=height,
        margin={"l": 60, "r": 30, "t": 80, "b": 60},
    )
    return fig
