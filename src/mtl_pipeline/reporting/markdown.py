"""Markdown tables for the README, rendered from catalog tables (never typed by hand).

The README's result sections sit between markers ``<!-- results:NAME -->`` and
``<!-- /results:NAME -->``; :func:`replace_section` rewrites what lies between them, so a rerun
of ``python -m mtl_pipeline.readme_tables`` regenerates the numbers from the run's outputs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

import pandas as pd

Formatter = Callable[[object], str]


def fmt_number(value: object, digits: int = 3) -> str:
    """A float with ``digits`` decimals; NaN/None as an em dash (nothing to compare)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:.{digits}f}"
    return str(value)


def fmt_percent(value: object) -> str:
    """A share in [0, 1] as a percentage with one decimal."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{100 * float(value):.1f} %"


def markdown_table(
    frame: pd.DataFrame,
    columns: Mapping[str, str],
    formats: Mapping[str, Formatter] | None = None,
) -> str:
    """``frame`` as a Markdown table: ``columns`` maps column → header, in order."""
    formats = dict(formats or {})
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"markdown_table: columns {missing} not in {list(frame.columns)}")
    lines = [
        "| " + " | ".join(columns.values()) + " |",
        "| " + " | ".join("---" for _ in columns) + " |",
    ]
    for row in frame[list(columns)].itertuples(index=False):
        cells = [formats.get(c, fmt_number)(v) for c, v in zip(columns, row, strict=True)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def replace_section(text: str, name: str, body: str) -> str:
    """Replace what lies between ``<!-- results:name -->`` and ``<!-- /results:name -->``."""
    start, end = f"<!-- results:{name} -->", f"<!-- /results:{name} -->"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), flags=re.S)
    if not pattern.search(text):
        raise KeyError(f"README has no section markers {start} … {end}")
    return pattern.sub(lambda _: f"{start}\n{body.strip()}\n{end}", text, count=1)
