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


def test_readme_rewrite_says_which_file_section_and_lines_it_rewrote(tmp_path):
    from mtl_pipeline.readme_tables import rewrite_readme

    readme = tmp_path / "README.md"
    readme.write_text("title\n\n<!-- results:x -->\n| a |\n| 1 |\n<!-- /results:x -->\nend\n")
    said = rewrite_readme(readme, "x", "| a |\n| 2 |", "RUN (env quick)")
    assert said == (
        f"Rewrote {readme} in place: section 'x', lines 3-6 (1 line(s) new or changed), "
        "from the run in RUN (env quick)"
    )
    assert readme.read_text().splitlines()[2:6] == [
        "<!-- results:x -->", "| a |", "| 2 |", "<!-- /results:x -->"
    ]  # fmt: skip
    again = rewrite_readme(readme, "x", "| a |\n| 2 |", "RUN (env quick)")
    assert again == f"{readme}: section 'x' (lines 3-6) already up to date with RUN (env quick)"
