"""Regenerate a README results section from a run's catalog entries (never typed by hand).

    python -m mtl_pipeline.readme_tables --project PATH --env kerinec_code --section kerinec_code

loads the latest ``paper_comparison`` and ``mtl_gains_summary`` of the project at PATH (run with
``--env``) and rewrites what lies between ``<!-- results:SECTION -->`` and
``<!-- /results:SECTION -->`` in README.md (``--print`` writes the tables to stdout instead).
"""

from __future__ import annotations

import argparse
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


def table1_markdown(comparison: pd.DataFrame, summary: pd.DataFrame) -> str:
    """Table 1: STL, MTL and improved share per problem, metric and reading epochs."""
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
    return markdown_table(
        wide,
        {
            "problem": "problem",
            "metric": "metric",
            "epochs": "epoch STL / MTL",
            "ours_stl_mean": "ours: STL",
            "ours_mtl_mean": "ours: MTL",
            "ours_improved_share": "ours: improved",
            "paper_stl_mean": "paper: STL",
            "paper_mtl_mean": "paper: MTL",
            "paper_improved_share": "paper: improved",
        },
        {"ours_improved_share": fmt_percent, "paper_improved_share": fmt_percent},
    )


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


def render(project: Path, env: str | None, tables: str = "both") -> str:
    """Table 1 and/or Table 2 (``tables``: 1, 2 or both) of the project's latest run."""
    bootstrap_project(project)
    with KedroSession.create(project_path=project, env=env) as session:
        catalog = session.load_context().catalog
        comparison = catalog.load("paper_comparison")
        summary = catalog.load("mtl_gains_summary")
    parts = []
    if tables in ("1", "both"):
        parts.append(
            "Table 1 (mean main-task score over pair × seed runs; improved = share of runs with "
            "MTL above STL):\n\n" + table1_markdown(comparison, summary)
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
    parser.add_argument("--print", action="store_true", help="print instead of editing README")
    args = parser.parse_args(argv)
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
