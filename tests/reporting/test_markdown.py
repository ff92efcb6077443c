import math

import pandas as pd
import pytest

from mtl_pipeline.reporting.markdown import (
    fmt_number,
    fmt_percent,
    markdown_table,
    replace_section,
)


def test_markdown_table_formats_numbers_and_missing_values():
    frame = pd.DataFrame(
        {"problem": ["related"], "stl": [0.83349], "share": [0.7192], "x": [math.nan]}
    )
    table = markdown_table(
        frame, {"problem": "problem", "stl": "STL", "share": "improved", "x": "paper"},
        {"share": fmt_percent},
    )  # fmt: skip
    assert table.splitlines() == [
        "| problem | STL | improved | paper |",
        "| --- | --- | --- | --- |",
        "| related | 0.833 | 71.9 % | — |",
    ]
    assert fmt_number(None) == "—" and fmt_number(2, digits=1) == "2.0"


def test_replace_section_rewrites_only_between_its_markers():
    text = "a\n<!-- results:x -->\nold\n<!-- /results:x -->\nb\n<!-- results:y -->\nkeep\n<!-- /results:y -->\n"
    out = replace_section(text, "x", "new table")
    assert "old" not in out and "new table" in out and "keep" in out
    assert replace_section(out, "x", "new table") == out  # idempotent
    with pytest.raises(KeyError, match="results:z"):
        replace_section(text, "z", "t")
