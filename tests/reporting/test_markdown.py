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


def _targets_rows(problem: str, status: str = "ok") -> list[dict]:
    ok = status == "ok"
    rows = []
    for predictor, rho in (("dataset", 0.30), ("warmup", 0.05)):
        for metric, value, ceiling in (
            ("spearman", rho, 0.80),
            ("balanced_accuracy", 0.5 + rho / 2, 0.84),
            ("balanced_accuracy_per_seed", 0.5 + rho / 4, 0.79),
        ):
            rows.append(
                {
                    "problem": problem,
                    "predictor": predictor,
                    "metric": metric,
                    "n_pairs": 52,
                    "n_held_out_pairs": 16 if ok else float("nan"),
                    "repetitions": 50 if ok else float("nan"),
                    "model_mean": value if ok else float("nan"),
                    "model_low": value - 0.2 if ok else float("nan"),
                    "model_high": value + 0.1 if ok else float("nan"),
                    "ceiling": ceiling if ok else float("nan"),
                    "share_of_ceiling": value / ceiling if ok else float("nan"),
                    "goal_share_of_ceiling": 0.8 if ok else float("nan"),
                    "reached": False,
                    "beats_baseline": ok and predictor == "dataset" and metric == "spearman",
                    "status": status,
                }
            )
    return rows


def test_prediction_tables_put_each_score_beside_its_ceiling_and_cost():
    from mtl_pipeline.readme_tables import targets_markdown

    targets = pd.DataFrame(_targets_rows("related") + _targets_rows("unrelated", "degenerate"))
    costs = {"predictors": {"dataset": {"fraction_of_training": 0.036}}}
    text = targets_markdown(targets, costs)
    lines = text.splitlines()
    dataset = next(line for line in lines if "| related |" in line and "| dataset |" in line)
    # score [interval] / ceiling (share), ✓ only where the interval clears the baseline
    assert "0.300 [0.100, 0.400] / 0.800 (37 %) ✓" in dataset
    assert "0.650 [0.450, 0.750] / 0.840 (77 %) |" in dataset
    assert "| 16 of 52 |" in dataset and "| 3.6 % |" in dataset
    warmup = next(line for line in lines if "| related |" in line and "| warmup |" in line)
    assert "✓" not in warmup and "| not measured |" in warmup
    degenerate = [line for line in lines if "| unrelated |" in line]
    assert len(degenerate) == 2 and all("— (degenerate)" in line for line in degenerate)
    assert not any("nan" in line for line in lines)


def test_reliability_table_gives_the_ceiling_with_its_interval_or_says_why_not():
    from mtl_pipeline.readme_tables import reliability_markdown

    row = dict.fromkeys(
        ["gain_mean", "pair_sd", "seed_sd", "share_improved", "flip_rate_mean"], 0.01
    )
    ok = {
        **row,
        "problem": "related",
        "n_pairs": 52,
        "n_seeds": 5,
        "reliability": 0.75,
        "reliability_low": 0.58,
        "reliability_high": 0.85,
        "ceiling_correlation": 0.867,
        "ceiling_correlation_low": 0.763,
        "ceiling_correlation_high": 0.923,
        "ceiling_balanced_accuracy": 0.786,
        "ceiling_balanced_accuracy_low": 0.741,
        "ceiling_balanced_accuracy_high": 0.828,
        "ceiling_balanced_accuracy_mean_sign": 0.834,
        "status": "ok",
        "note": "",
    }
    bad = {k: float("nan") for k in ok} | {
        "problem": "unrelated",
        "n_pairs": 516,
        "n_seeds": 1,
        "status": "degenerate",
        "note": "one seed per pair",
    }
    text = reliability_markdown(pd.DataFrame([ok, bad]))
    assert "| related | 52 × 5 |" in text and "0.867 [0.763, 0.923]" in text
    assert "| unrelated | 516 × 1 |" in text and "degenerate: one seed per pair" in text
