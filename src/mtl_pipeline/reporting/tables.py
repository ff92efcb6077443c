"""Our Tables 1 and 2 beside the numbers Kerinec, Braud & Søgaard (2018) report."""

from __future__ import annotations

import pandas as pd

from mtl_pipeline.features.ratios import require_columns

# Table 1 of the paper: mean main-task F1 of STL and MTL models, share of pairs MTL improved.
PAPER_TABLE1: dict[str, dict[str, float]] = {
    "related": {"stl_score": 0.834, "mtl_score": 0.843, "improved_share": 0.719},
    "unrelated": {"stl_score": 0.893, "mtl_score": 0.897, "improved_share": 0.572},
}
# Table 2 of the paper: F1 of the meta-model per feature subset and problem.
PAPER_TABLE2: dict[str, dict[str, float]] = {
    "related": {"all": 0.67, "no_curve": 0.66, "only_curve": 0.71, "only_ratio": 0.69},
    "unrelated": {"all": 0.57, "no_curve": 0.53, "only_curve": 0.58, "only_ratio": 0.57},
}
COMPARISON_COLUMNS = [
    "table",
    "problem",
    "quantity",
    "feature_subset",
    "ours",
    "paper",
    "difference",
]


def table1(mtl_gains: pd.DataFrame) -> pd.DataFrame:
    """Per problem: mean STL and MTL main-task score and the share of pair × seed rows improved.

    The score is whatever ``mtl_gains.metric`` names (``test_f1`` by default, as in the paper).
    """
    require_columns(
        mtl_gains, ["pair_id", "problem", "seed", "stl_score", "mtl_score", "improved"], "mtl_gains"
    )
    grouped = mtl_gains.groupby("problem", sort=True)
    return pd.DataFrame(
        {
            "n_pairs": grouped["pair_id"].nunique(),
            "n_seeds": grouped["seed"].nunique(),
            "stl_score": grouped["stl_score"].mean(),
            "mtl_score": grouped["mtl_score"].mean(),
            "improved_share": grouped["improved"].mean(),
        }
    ).reset_index()


def paper_comparison(mtl_gains: pd.DataFrame, meta_scores: pd.DataFrame) -> pd.DataFrame:
    """Long table of every number of the paper's Tables 1 and 2 beside ours.

    Columns: ``table`` ("Table 1"/"Table 2"), ``problem``, ``quantity`` (stl_score, mtl_score,
    improved_share — a fraction, the paper's 71.9 % is 0.719 — or meta_f1), ``feature_subset``
    (Table 2 only), ``ours``, ``paper`` and ``difference`` = ours − paper. Problems or subsets we
    did not compute keep the paper's number with ``ours`` NaN; problems the paper lacks keep
    ``paper`` NaN. The paper's Table 1 scores are binary F1: when ``mtl_gains`` was computed on
    another metric (``newsgroups.training.gain_metric``) those two rows get ``paper`` NaN rather
    than a comparison of unlike numbers.
    """
    require_columns(meta_scores, ["problem", "feature_subset", "f1_mean"], "meta_scores")
    ours1 = table1(mtl_gains).set_index("problem")
    metrics = set(mtl_gains["metric"].unique()) if "metric" in mtl_gains.columns else {"test_f1"}
    scores_are_f1 = metrics <= {"test_f1"}
    rows = []
    for problem in sorted(set(PAPER_TABLE1) | set(ours1.index)):
        for quantity in ("stl_score", "mtl_score", "improved_share"):
            ours = ours1.at[problem, quantity] if problem in ours1.index else float("nan")
            paper = PAPER_TABLE1.get(problem, {}).get(quantity, float("nan"))
            if quantity != "improved_share" and not scores_are_f1:
                paper = float("nan")
            rows.append(("Table 1", problem, quantity, None, ours, paper))
    ours2 = meta_scores.set_index(["problem", "feature_subset"])["f1_mean"]
    keys = {(p, s) for p, subsets in PAPER_TABLE2.items() for s in subsets} | set(ours2.index)
    for problem, subset in sorted(keys):
        ours = ours2.get((problem, subset), float("nan"))
        paper = PAPER_TABLE2.get(problem, {}).get(subset, float("nan"))
        rows.append(("Table 2", problem, "meta_f1", subset, ours, paper))
    out = pd.DataFrame(rows, columns=COMPARISON_COLUMNS[:-1])
    out["ours"] = out["ours"].astype(float)
    out["paper"] = out["paper"].astype(float)
    out["difference"] = out["ours"] - out["paper"]
    return out
