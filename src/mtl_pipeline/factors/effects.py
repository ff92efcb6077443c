"""Scores, gains, effect sizes, trend tests and verdicts of the factor sweeps.

**Scores** are read from each model's final test predictions of the main task (the base study
reads its gain at the final epoch too): ``f1`` (binary F1 of label 1, the base study's
``test_f1``), ``accuracy``, ``balanced_accuracy`` (mean recall of the two classes) and
``minority_f1`` (F1 of the class the label-distribution sweep makes the minority). The
label-distribution sweep is judged on the last two: with a 95:5 training ratio, accuracy and the
positive class's F1 reward a model that predicts the majority class.

**Effect per sweep point**: the mean over pairs of the pair's mean gain (MTL − STL) over seeds,
with a percentile bootstrap interval that resamples **pairs, then seeds within each drawn pair**
(the two levels of the design: a pair's seeds share its tasks, a seed's points share their base
sample), and the share of pairs whose mean gain is positive.

**Trend test** (gain against the factor): Spearman's ρ between the factor's value and the
pair's mean gain at that value minus the pair's mean over the sweep (within-pair variation: a
pair's own level of gain is no trend, and would dilute ρ by the spread between pairs), over
every (pair, point); its p-value from a **permutation test
with pairs as exchangeable units**: under "no trend" the points of one pair are exchangeable, so
the factor values are permuted *within* each pair (each pair independently), which keeps every
pair's own level of gain (pairs differ far more from each other than points do) and never mixes
the rows of two pairs. Why not a mixed-effects model: statsmodels is not a dependency of the
project, and the permutation test needs no normal, linear or homoscedastic model of the gains
(which are bounded differences of F1 scores with a few large outliers); ρ's interval comes from
the same pairs-then-seeds bootstrap.

**Degenerate** points (a class without training documents, fewer than
``effects.min_pairs`` pairs, NaN scores) get ``status: degenerate`` and a ``note`` and no
numbers, and are left out of the trend: never reported as findings.

**Verdict** of a claim (expected direction of the trend or difference): ``holds`` = p < α in the
expected direction; ``fails`` = p < α in the opposite direction, or the whole interval within
±``negligible_rho`` (a trend) / ±``negligible_gain`` (a difference): there is no effect worth
the name; ``inconclusive`` otherwise; ``degenerate`` when there is nothing to test.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from mtl_pipeline.factors.settings import METRICS, FactorsSpec
from mtl_pipeline.factors.sweeps import DEGENERATE, GROUPS, OK, variant_name

HOLDS, FAILS, INCONCLUSIVE = "holds", "fails", "inconclusive"

# ---------------------------------------------------------------------------- scores and gains


def prediction_scores(predictions: pd.DataFrame, minority_label: int) -> pd.DataFrame:
    """One row per (model_id, task) of ``predictions`` (model_id, task, label, pred) with every
    metric of :data:`~mtl_pipeline.factors.settings.METRICS` (F1 with zero_division 0)."""
    frame = predictions.assign(
        tp1=(predictions["pred"] == 1) & (predictions["label"] == 1),
        tp0=(predictions["pred"] == 0) & (predictions["label"] == 0),
        p1=predictions["pred"] == 1,
        p0=predictions["pred"] == 0,
        y1=predictions["label"] == 1,
        y0=predictions["label"] == 0,
    )
    sums = frame.groupby(["model_id", "task"], sort=True)[
        ["tp1", "tp0", "p1", "p0", "y1", "y0"]
    ].sum()
    n = sums["y1"] + sums["y0"]

    def f1(label: int) -> pd.Series:
        denom = sums[f"p{label}"] + sums[f"y{label}"]
        return (2 * sums[f"tp{label}"] / denom.where(denom > 0)).fillna(0.0)

    def recall(label: int) -> pd.Series:
        return sums[f"tp{label}"] / sums[f"y{label}"].where(sums[f"y{label}"] > 0)

    out = pd.DataFrame(
        {
            "f1": f1(1),
            "accuracy": (sums["tp1"] + sums["tp0"]) / n,
            # NaN when the test set lacks a class: degenerate, never a score
            "balanced_accuracy": (recall(1) + recall(0)) / 2,
            "minority_f1": f1(minority_label),
            "n_test": n,
        }
    )
    return out.reset_index()


def sweep_gains(runs: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """One row per run × metric: the main task's STL and MTL score, ``gain`` = MTL − STL,
    ``improved``; degenerate runs (and NaN scores) keep ``status: degenerate`` and NaN."""
    long = scores.melt(
        id_vars=["model_id", "task"], value_vars=list(METRICS), var_name="metric", value_name="s"
    )
    rows = runs.merge(pd.DataFrame({"metric": list(METRICS)}), how="cross")
    for kind in ("stl", "mtl"):
        rows = rows.merge(
            long.rename(columns={"model_id": f"{kind}_model_id", "task": "main_task",
                                 "s": f"{kind}_score"}),
            on=[f"{kind}_model_id", "main_task", "metric"],
            how="left",
        )  # fmt: skip
    missing = rows["status"].eq(OK) & rows[["stl_score", "mtl_score"]].isna().any(axis=1)
    if missing.all() and len(rows):
        raise ValueError("sweep_gains: no run has scores: were its models trained?")
    rows.loc[missing, "status"] = DEGENERATE
    rows.loc[missing, "note"] = "a score is NaN (a test set without one of the classes)"
    rows["gain"] = rows["mtl_score"] - rows["stl_score"]
    rows["improved"] = rows["gain"] > 0
    return rows.sort_values(["sweep", "metric", "group", "value", "pair_id", "seed"]).reset_index(
        drop=True
    )


# --------------------------------------------------------------- bootstrap (pairs, then seeds)


def _cube(frame: pd.DataFrame, values: Sequence[float]) -> tuple[np.ndarray, list[str]]:
    """gains as an array (pairs, points, seeds), NaN where a run is missing."""
    pairs = sorted(frame["pair_id"].unique())
    seeds = sorted(frame["seed"].unique())
    index = pd.MultiIndex.from_product(
        [pairs, list(values), seeds], names=["pair_id", "value", "seed"]
    )
    cube = frame.set_index(["pair_id", "value", "seed"])["gain"].reindex(index).to_numpy(float)
    return cube.reshape(len(pairs), len(values), len(seeds)), pairs


def bootstrap_cubes(cube: np.ndarray, resamples: int, rng: np.random.Generator):
    """Yield ``resamples`` resampled (pairs, points) matrices of seed-mean gains: pairs drawn
    with replacement, then seeds with replacement within each drawn pair (the same seeds at
    every point of that pair, whose points share each seed's base sample)."""
    n_pairs, _, n_seeds = cube.shape
    for _ in range(resamples):
        pairs = rng.integers(0, n_pairs, n_pairs)
        seeds = rng.integers(0, n_seeds, (n_pairs, n_seeds))
        drawn = cube[pairs[:, None], :, seeds]  # (pairs, seeds, points)
        yield _nanmean(drawn, axis=1)


def _nanmean(values: np.ndarray, axis) -> np.ndarray:
    """``np.nanmean`` without the warning for an all-NaN slice (its mean is NaN, as wanted)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis)


def _interval(values: np.ndarray, level: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    alpha = (1 - level) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return float(low), float(high)


# --------------------------------------------------------------------- permutation Spearman


def blocked_permutation_spearman(
    x: np.ndarray,
    y: np.ndarray,
    blocks: np.ndarray,
    permutations: int,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Spearman's ρ of ``x`` and ``y`` and its two-sided permutation p-value, ``x`` permuted
    within each block (blocks = the exchangeable units' rows: under the null, a block's x values
    are exchangeable among its own rows). ``(nan, nan)`` when x does not vary within any block
    (nothing to permute: the test cannot say anything) or y is constant."""
    x, y, blocks = np.asarray(x, float), np.asarray(y, float), np.asarray(blocks)
    rx, ry = rankdata(x), rankdata(y)
    n = len(x)
    if n < 3 or np.ptp(ry) == 0 or np.ptp(rx) == 0:
        return float("nan"), float("nan")
    members = [np.flatnonzero(blocks == b) for b in np.unique(blocks)]
    if all(np.ptp(rx[idx]) == 0 for idx in members):
        return float("nan"), float("nan")
    scale = n * rx.std() * ry.std()
    centre = n * rx.mean() * ry.mean()
    observed = (float(rx @ ry) - centre) / scale
    null = np.zeros(permutations)
    for idx in members:
        if len(idx) == 1 or np.ptp(rx[idx]) == 0:
            null += float(rx[idx] @ ry[idx])
            continue
        order = np.argsort(rng.random((permutations, len(idx))), axis=1)
        null += (rx[idx][order] * ry[idx]).sum(axis=1)
    null = (null - centre) / scale
    extreme = int((np.abs(null) >= abs(observed) - 1e-12).sum())
    return float(observed), (1 + extreme) / (permutations + 1)


def _centred(means: np.ndarray) -> np.ndarray:
    """(pairs, points) gains minus each pair's mean: the within-pair variation the trend is
    about (a pair's level of gain is not a trend, and centring leaves the blocked test valid)."""
    return means - means.mean(axis=1, keepdims=True)


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    keep = np.isfinite(x) & np.isfinite(y)
    if keep.sum() < 3 or np.ptp(x[keep]) == 0 or np.ptp(y[keep]) == 0:
        return float("nan")
    return float(np.corrcoef(rankdata(x[keep]), rankdata(y[keep]))[0, 1])


# -------------------------------------------------------------------- effects and trends


def judged_metrics(spec: FactorsSpec) -> dict[str, tuple[str, ...]]:
    """sweep → the metrics its effects, trends and verdicts are read on."""
    return {
        "main_size": (spec.balance_metric,),
        "aux_size": (spec.balance_metric,),
        "main_ratio": tuple(spec.label_metrics),
    }


def _judged(gains: pd.DataFrame, spec: FactorsSpec) -> pd.DataFrame:
    wanted = judged_metrics(spec)
    keep = [m in wanted.get(s, ()) for s, m in zip(gains["sweep"], gains["metric"], strict=True)]
    return gains[np.asarray(keep, dtype=bool)]


def point_effects(gains: pd.DataFrame, spec: FactorsSpec) -> pd.DataFrame:
    """Per (sweep, metric, group, value): pairs, seeds, mean gain with its bootstrap interval
    (pairs, then seeds), the share of pairs improved, ``status`` and ``note``."""
    e = spec.effects
    rng = np.random.default_rng(e.seed)
    rows = []
    keys = ["sweep", "factor", "metric", "group", "value"]
    for key, frame in _judged(gains, spec).groupby(keys, sort=True):
        row = dict(zip(keys, key, strict=True))
        ok = frame[frame["status"] == OK]
        n_pairs = ok["pair_id"].nunique()
        row.update(n_pairs=n_pairs, n_seeds=ok["seed"].nunique(), n_runs=len(ok))
        if n_pairs < e.min_pairs:
            notes = sorted(set(frame.loc[frame["status"] != OK, "note"]))
            row.update(
                gain_mean=np.nan, ci_low=np.nan, ci_high=np.nan, improved_pair_share=np.nan,
                status=DEGENERATE,
                note="; ".join(notes) or f"{n_pairs} pair(s), fewer than effects.min_pairs={e.min_pairs}",
            )  # fmt: skip
        else:
            cube, _ = _cube(ok, [row["value"]])
            boot = np.array([m.mean() for m in bootstrap_cubes(cube, e.resamples, rng)])
            pair_means = _nanmean(cube[:, 0, :], axis=1)
            low, high = _interval(boot, e.level)
            row.update(
                gain_mean=float(np.mean(pair_means)), ci_low=low, ci_high=high,
                improved_pair_share=float((pair_means > 0).mean()), status=OK, note="",
            )  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows)


def trends(gains: pd.DataFrame, effects: pd.DataFrame, spec: FactorsSpec) -> pd.DataFrame:
    """Per (sweep, metric, group): Spearman's ρ of gain with the factor over (pair, point),
    its bootstrap interval and blocked permutation p-value (module docstring), the mean gain at
    the sweep's lowest and highest non-degenerate point, ``status`` and ``note``."""
    e = spec.effects
    rng = np.random.default_rng(e.seed + 1)
    rows = []
    keys = ["sweep", "factor", "metric", "group"]
    for key, frame in _judged(gains, spec).groupby(keys, sort=True):
        row = dict(zip(keys, key, strict=True))
        usable = effects.merge(pd.DataFrame([row]), on=keys)
        usable = usable[usable["status"] == OK].sort_values("value")
        values = usable["value"].tolist()
        dropped = sorted(set(frame["value"]) - set(values))
        note = f"degenerate points left out: {dropped}" if dropped else ""
        ok = frame[(frame["status"] == OK) & frame["value"].isin(values)]
        cube, _ = _cube(ok, values)
        complete = np.isfinite(_nanmean(cube, axis=2)).all(axis=1) if len(values) else []
        cube = cube[np.asarray(complete, dtype=bool)] if len(values) else cube
        n_pairs = cube.shape[0]
        row.update(n_pairs=n_pairs, n_points=len(values), n_seeds=cube.shape[2])
        if len(values) < 2 or n_pairs < e.min_pairs:
            row.update(
                rho=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan,
                gain_at_lowest=np.nan, gain_at_highest=np.nan, status=DEGENERATE,
                note="; ".join(filter(None, [note, f"{len(values)} usable point(s), {n_pairs} "
                                             "pair(s) with all of them: no trend to test"])),
            )  # fmt: skip
            rows.append(row)
            continue
        means = _nanmean(cube, axis=2)  # (pairs, points)
        x = np.tile(np.asarray(values, float), n_pairs)
        blocks = np.repeat(np.arange(n_pairs), len(values))
        rho, p = blocked_permutation_spearman(
            x, _centred(means).ravel(), blocks, e.permutations, rng
        )
        boot = np.array(
            [_spearman(x, _centred(m).ravel()) for m in bootstrap_cubes(cube, e.resamples, rng)]
        )
        low, high = _interval(boot, e.level)
        row.update(
            rho=rho, ci_low=low, ci_high=high, p_value=p,
            gain_at_lowest=float(means[:, 0].mean()), gain_at_highest=float(means[:, -1].mean()),
            status=OK if np.isfinite(rho) else DEGENERATE,
            note=note if np.isfinite(rho) else "; ".join(filter(None, [note, "constant gains"])),
        )  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows)


def relatedness_contrast(gains: pd.DataFrame, spec: FactorsSpec) -> pd.DataFrame:
    """Related − unrelated mean pair gain, per (sweep, metric, value) and pooled over every
    point of a sweep (``value`` NaN): bootstrap interval (pairs, then seeds, within each group)
    and a permutation p-value (the group labels permuted among the pairs, which are the
    exchangeable units under "relatedness does not matter")."""
    e = spec.effects
    rng = np.random.default_rng(e.seed + 2)
    judged = _judged(gains, spec)
    judged = judged[judged["status"] == OK]
    rows = []
    for (sweep, metric), frame in judged.groupby(["sweep", "metric"], sort=True):
        values = sorted(frame["value"].unique())
        for value in [*values, None]:
            part = frame if value is None else frame[frame["value"] == value]
            row = {"sweep": sweep, "metric": metric, "value": np.nan if value is None else value}
            cubes = {}
            for group in GROUPS:
                members = part[part["group"] == group]
                points = values if value is None else [value]
                cubes[group] = _cube(members, points)[0] if len(members) else None
            sizes = {g: 0 if c is None else c.shape[0] for g, c in cubes.items()}
            row.update(n_related=sizes["related"], n_unrelated=sizes["unrelated"])
            if min(sizes.values()) < e.min_pairs:
                row.update(difference=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan,
                           status=DEGENERATE,
                           note=f"pairs per group {sizes}, fewer than effects.min_pairs="
                                f"{e.min_pairs}")  # fmt: skip
                rows.append(row)
                continue
            pair_means = {g: _nanmean(c, axis=(1, 2)) for g, c in cubes.items()}
            difference = float(pair_means["related"].mean() - pair_means["unrelated"].mean())
            boots = [
                np.array([m.mean() for m in bootstrap_cubes(cubes[g], e.resamples, rng)])
                for g in GROUPS
            ]
            low, high = _interval(boots[0] - boots[1], e.level)
            pooled = np.concatenate([pair_means["related"], pair_means["unrelated"]])
            n_rel = len(pair_means["related"])
            shuffled = np.array([rng.permutation(pooled) for _ in range(e.permutations)])
            null = shuffled[:, :n_rel].mean(axis=1) - shuffled[:, n_rel:].mean(axis=1)
            p = (1 + int((np.abs(null) >= abs(difference) - 1e-12).sum())) / (e.permutations + 1)
            row.update(difference=difference, ci_low=low, ci_high=high, p_value=p, status=OK,
                       note="")  # fmt: skip
            rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------- verdicts

#: claim → (sweep, expected sign, words). Label distribution: a larger minority share is a
#: higher label entropy and a lower kurtosis, so "lower kurtosis / higher entropy gains more"
#: expects gain to rise with the minority share.
CLAIMS = {
    "data_balance_main": ("main_size", -1, "a main task with fewer labels gains more"),
    "data_balance_aux": ("aux_size", +1, "an auxiliary task with more labels helps more"),
    "label_distribution": (
        "main_ratio",
        +1,
        "a main task with higher label entropy (lower kurtosis) gains more",
    ),
}
RELATEDNESS_CLAIM = "relatedness"


def judge(estimate: float, low: float, high: float, p: float, expected: int, negligible: float,
          alpha: float) -> str:  # fmt: skip
    """The module's verdict rule for one estimate with interval and p-value."""
    if not all(np.isfinite(v) for v in (estimate, low, high, p)):
        return DEGENERATE
    if p < alpha:
        return HOLDS if np.sign(estimate) == expected else FAILS
    if -negligible <= low and high <= negligible:
        return FAILS
    return INCONCLUSIVE


def _direction(value: float) -> str:
    if not np.isfinite(value) or value == 0:
        return "none"
    return "positive" if value > 0 else "negative"


def verdicts(trend_table: pd.DataFrame, contrast: pd.DataFrame, spec: FactorsSpec) -> pd.DataFrame:
    """One row per claim (× group, × metric): expected and observed direction, the effect size
    with its interval, p and the verdict (module docstring)."""
    e = spec.effects
    rows = []
    for claim, (sweep, expected, words) in CLAIMS.items():
        for t in trend_table[trend_table["sweep"] == sweep].itertuples(index=False):
            rows.append(
                {
                    "claim": claim, "statement": words, "group": t.group, "sweep": sweep,
                    "metric": t.metric, "effect": "spearman_rho",
                    "expected_direction": _direction(expected), "observed_direction":
                    _direction(t.rho), "estimate": t.rho, "ci_low": t.ci_low,
                    "ci_high": t.ci_high, "p_value": t.p_value, "n_pairs": t.n_pairs,
                    "n_seeds": t.n_seeds,
                    "verdict": judge(t.rho, t.ci_low, t.ci_high, t.p_value, expected,
                                     e.negligible_rho, e.alpha),
                    "note": t.note,
                }
            )  # fmt: skip
    pooled = contrast[contrast["value"].isna() & contrast["sweep"].isin(["main_size", "aux_size"])]
    for c in pooled.itertuples(index=False):
        rows.append(
            {
                "claim": RELATEDNESS_CLAIM, "statement": "related pairs gain more than unrelated "
                "pairs", "group": "related − unrelated", "sweep": c.sweep, "metric": c.metric,
                "effect": "gain_difference", "expected_direction": "positive",
                "observed_direction": _direction(c.difference), "estimate": c.difference,
                "ci_low": c.ci_low, "ci_high": c.ci_high, "p_value": c.p_value,
                "n_pairs": c.n_related + c.n_unrelated, "n_seeds": np.nan,
                "verdict": judge(c.difference, c.ci_low, c.ci_high, c.p_value, +1,
                                 e.negligible_gain, e.alpha),
                "note": c.note or "pooled over every point of the sweep",
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


# -------------------------------------------------------------------------- meta-examples

#: Task statistics of features.dataset that the meta-examples carry, per task (main_, aux_).
META_TASK_STATISTICS = ("n_words", "label_entropy", "label_kurtosis")
SIZE_FEATURES = ("main_train_docs", "aux_train_docs", "train_docs_ratio", "main_n_words",
                 "aux_n_words")  # fmt: skip
LABEL_FEATURES = ("main_label_entropy", "main_label_kurtosis", "aux_label_entropy",
                  "aux_label_kurtosis")  # fmt: skip


def meta_examples(gains: pd.DataFrame, statistics: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The sweep's (pair, seed, point) rows with their gain on ``metric`` and the size and
    label features of their two task variants (``statistics``: ``features.dataset.
    task_statistics`` rows keyed by variant name, ``sweeps.variant_name``)."""
    rows = gains[(gains["metric"] == metric) & (gains["status"] == OK)].copy()
    stats = statistics.set_index(["task", "seed"])
    for role in ("main", "aux"):
        names = [
            variant_name(task, (int(a), int(b)))
            for task, a, b in zip(
                rows[f"{role}_task"],
                rows[f"{role}_positive"],
                rows[f"{role}_negative"],
                strict=True,
            )
        ]
        joined = stats.reindex(pd.MultiIndex.from_arrays([names, rows["seed"].to_numpy()]))
        for name in META_TASK_STATISTICS:
            rows[f"{role}_{name}"] = joined[name].to_numpy()
        rows[f"{role}_train_docs"] = rows[f"{role}_positive"] + rows[f"{role}_negative"]
    rows["train_docs_ratio"] = rows["main_train_docs"] / rows["aux_train_docs"]
    columns = ["sweep", "factor", "value", "group", "pair_id", "seed", "main_task", "aux_task",
               "metric", "stl_score", "mtl_score", "gain", "improved", *SIZE_FEATURES,
               *LABEL_FEATURES]  # fmt: skip
    return rows[columns].reset_index(drop=True)


def feature_signal(examples: pd.DataFrame, spec: FactorsSpec) -> pd.DataFrame:
    """Per group (related, unrelated, all) and feature: Spearman's ρ of the feature with the
    gain over the sweep rows, and its permutation p-value with the feature permuted within each
    pair (the pairs are the exchangeable units, and only a feature's variation *within* a
    pair — the variation the sweeps put there by design — can be tested this way). A feature
    that does not vary within any pair is ``degenerate``."""
    e = spec.effects
    rng = np.random.default_rng(e.seed + 3)
    rows = []
    for group in (*GROUPS, "all"):
        part = examples if group == "all" else examples[examples["group"] == group]
        for kind, features in (("size", SIZE_FEATURES), ("label", LABEL_FEATURES)):
            for feature in features:
                usable = part[np.isfinite(part[feature]) & np.isfinite(part["gain"])]
                rho, p = (np.nan, np.nan)
                if usable["pair_id"].nunique() >= e.min_pairs:
                    rho, p = blocked_permutation_spearman(
                        usable[feature].to_numpy(float), usable["gain"].to_numpy(float),
                        usable["pair_id"].to_numpy(), e.permutations, rng,
                    )  # fmt: skip
                ok = np.isfinite(rho)
                rows.append(
                    {
                        "group": group, "kind": kind, "feature": feature,
                        "metric": examples["metric"].iloc[0] if len(examples) else spec.signal_metric,
                        "n_rows": len(usable), "n_pairs": usable["pair_id"].nunique(),
                        "rho": rho, "p_value": p,
                        "signal": bool(ok and p < e.alpha),
                        "status": OK if ok else DEGENERATE,
                        "note": "" if ok else "the feature does not vary within any pair, or "
                        f"fewer than effects.min_pairs={e.min_pairs} pairs",
                    }
                )  # fmt: skip
    return pd.DataFrame(rows)
