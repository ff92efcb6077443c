"""How much of a pair's MTL gain is predictable at all: the noise ceiling (``gain_reliability``).

A pair's gain differs from seed to seed (the seed draws the task samples, the initial weights,
the dropout masks and the batch order). Model each gain as

    g_is = μ_i + ε_is,   Var(μ_i) = τ² (between pairs),   Var(ε_is) = σ² (seed to seed),

with μ_i the pair's expected gain. A *pair-level* predictor — any function of the pair, the same
answer for every seed's draw of it, which is what a meta-model predicting a pair's expected gain
is — can know at best μ_i. Per problem, over the pairs that have a finite gain for each of the
problem's k seeds:

**Split-half reliability, Spearman–Brown corrected.** For a split of the k seeds into two
disjoint halves A, B of h = ⌊k/2⌋ seeds each (the odd seed out unused), r_AB is the Pearson
correlation over pairs of the pair's mean gain over A and over B. r_half is the mean of r_AB
over every such split (at most ``max_splits``, drawn without replacement beyond that). The
Spearman–Brown formula steps it up from h seeds to the k-seed mean:

    R_k = m · r_half / (1 + (m − 1) · r_half),   m = k / h.

R_k estimates τ² / (τ² + σ²/k), the share of the k-seed mean's variance over pairs that is the
pairs' own; ``reliability_anova`` is the same quantity from the one-way ANOVA components
(σ̂² = mean within-pair variance, τ̂² = Var(pair means) − σ̂²/k), a cross-check. The interval is
the percentile interval of R_k over ``bootstrap`` resamples of the pairs (with replacement; the
splits are kept). Pairs sharing a main task are not independent, so it is if anything narrow.

**Ceiling of any predictor's correlation with the k-seed mean.** For a predictor p independent
of the seed noise, corr(p, μ + ε̄) = cov(p, μ) / (sd(p) · sd(μ + ε̄)) ≤ sd(μ) / sd(μ + ε̄), so

    ceiling_correlation = √R_k   (0 when R_k ≤ 0).

It bounds the Pearson correlation exactly and the Spearman ρ approximately (for normal μ, ε̄
they agree closely; tests/meta/test_reliability.py checks it).

**Best balanced accuracy on "improved" (per pair × seed) given each pair's own flip rate.**
With a_i seeds of pair i improved and b_i not, P = Σ a_i, N = Σ b_i, a pair-level predictor
answering "improved" on the set S of pairs scores

    BA(S) = ½ (Σ_{i∈S} a_i / P + Σ_{i∉S} b_i / N) = ½ (1 + Σ_{i∈S} (a_i / P − b_i / N)),

linear in the membership of each pair, so the best S takes exactly the pairs with
a_i / P > b_i / N (a pair improved on a larger share of its seeds than the problem as a whole):
``ceiling_balanced_accuracy`` is the largest balanced accuracy that any pair-level predictor can
score on these labels (an upper bound: it knows each pair's observed rate). A pair flips when two
of its seeds disagree: ``flip_rate_mean`` = mean over pairs of 2 a_i b_i / (k (k − 1)).

**Best balanced accuracy on "the k-seed mean gain is positive".** Under the normal model above
(μ ~ N(m, τ̂²), ε̄ ~ N(0, σ̂²/k), the ANOVA estimates), a predictor knowing μ_i sees the label
1[μ_i + ε̄_i > 0] with probability q(μ) = Φ(μ √k / σ̂); the linearity argument gives its best
rule "μ > c" with q(c) = π (π = the share of positive means), and
``ceiling_balanced_accuracy_mean_sign`` is the balanced accuracy of that rule, integrated on a
grid over μ (τ̂² ≤ 0: no pair effect, 0.5).

Degenerate inputs are never findings: one seed (no seed-to-seed variation), fewer than
``MIN_PAIRS`` pairs with a gain for every seed, mean gains that do not vary over pairs, NaN gains
leaving too few pairs: the row carries ``status`` ``degenerate``, NaN ceilings and a ``note``
saying why.
"""

from __future__ import annotations

import itertools
import logging
import math

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from mtl_pipeline.frames import require_columns
from mtl_pipeline.meta.config import STATUS_DEGENERATE, STATUS_OK

logger = logging.getLogger(__name__)

#: Fewer pairs with a gain for every seed than this: no correlation over pairs is worth a row
#: (and, in :mod:`.targets`, too few to hold some out and still fit).
MIN_PAIRS = 8
#: The table's columns, in order (a degenerate row has NaN where nothing is defined).
COLUMNS = (
    "problem",
    "n_pairs",
    "n_seeds",
    "half_size",
    "n_splits",
    "gain_mean",
    "pair_sd",
    "seed_sd",
    "split_half_r",
    "reliability",
    "reliability_low",
    "reliability_high",
    "reliability_anova",
    "ceiling_correlation",
    "ceiling_correlation_low",
    "ceiling_correlation_high",
    "share_improved",
    "flip_rate_mean",
    "share_pairs_unanimous",
    "ceiling_balanced_accuracy",
    "ceiling_balanced_accuracy_low",
    "ceiling_balanced_accuracy_high",
    "share_mean_positive",
    "ceiling_balanced_accuracy_mean_sign",
    "bootstrap",
    "confidence",
    "status",
    "note",
)
#: Grid points over μ for the mean-sign ceiling (±8 τ̂ around the mean).
_GRID_POINTS = 4001


def seed_splits(k: int, max_splits: int, rng: np.random.Generator) -> list[tuple[tuple, tuple]]:
    """Every split of ``k`` seeds (indices) into two disjoint halves of ⌊k/2⌋ (each unordered
    split once), or ``max_splits`` of them drawn without replacement."""
    h = k // 2
    splits = []
    for first in itertools.combinations(range(k), h):
        rest = [i for i in range(k) if i not in first]
        for second in itertools.combinations(rest, h):
            if first < second:
                splits.append((first, second))
    if len(splits) > max_splits:
        chosen = rng.choice(len(splits), size=max_splits, replace=False)
        splits = [splits[i] for i in sorted(chosen)]
    return splits


def spearman_brown(r: np.ndarray | float, factor: float) -> np.ndarray | float:
    """Reliability of a mean over ``factor`` times as many seeds as the one with reliability r
    (r = −1 with factor 2, possible in a tiny bootstrap resample, gives −inf)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return factor * r / (1 + (factor - 1) * r)


def _row_correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of the columns of ``a`` with those of ``b`` over the rows (axis −2),
    batched over leading axes; NaN where a column does not vary."""
    a = a - a.mean(axis=-2, keepdims=True)
    b = b - b.mean(axis=-2, keepdims=True)
    denominator = np.sqrt((a * a).sum(axis=-2) * (b * b).sum(axis=-2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (a * b).sum(axis=-2) / denominator, np.nan)


def split_half_reliability(gains: np.ndarray, splits: list[tuple[tuple, tuple]]) -> tuple:
    """(mean split-half r, R_k) of a pairs × seeds matrix (see the module docstring); gains may
    carry leading bootstrap axes (… × pairs × seeds)."""
    k = gains.shape[-1]
    first = np.stack([gains[..., list(a)].mean(axis=-1) for a, _ in splits], axis=-1)
    second = np.stack([gains[..., list(b)].mean(axis=-1) for _, b in splits], axis=-1)
    r_half = _row_correlations(first, second).mean(axis=-1)
    return r_half, spearman_brown(r_half, k / (k // 2))


def variance_components(gains: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(τ̂², σ̂²) of the one-way ANOVA over a (… ×) pairs × seeds matrix."""
    k = gains.shape[-1]
    seed_var = gains.var(axis=-1, ddof=1).mean(axis=-1)
    pair_var = gains.mean(axis=-1).var(axis=-1, ddof=1) - seed_var / k
    return pair_var, seed_var


def best_balanced_accuracy(improved_counts: np.ndarray, k: int) -> np.ndarray:
    """The largest balanced accuracy any pair-level predictor scores on per-seed labels, from
    each pair's number of improved seeds (… × pairs); NaN where a class is absent."""
    a = improved_counts.astype(float)
    b = k - a
    p, n = a.sum(axis=-1, keepdims=True), b.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        gain = np.clip(a / p - b / n, 0, None).sum(axis=-1)
        out = 0.5 * (1 + gain)
    return np.where((p[..., 0] > 0) & (n[..., 0] > 0), out, np.nan)


def mean_sign_ceiling(mean: float, pair_var: float, seed_var: float, k: int) -> float:
    """Balanced accuracy on 1[k-seed mean > 0] of the best rule that knows each pair's μ, under
    the normal model (module docstring); 0.5 without a pair effect, 1 without seed noise."""
    if not (np.isfinite(pair_var) and np.isfinite(seed_var)):
        return float("nan")
    if pair_var <= 0:
        return 0.5
    if seed_var <= 0:
        return 1.0
    tau, noise = math.sqrt(pair_var), math.sqrt(seed_var / k)
    mu = np.linspace(mean - 8 * tau, mean + 8 * tau, _GRID_POINTS)
    density = np.exp(-0.5 * ((mu - mean) / tau) ** 2)
    density /= density.sum()
    positive = ndtr(mu / noise)  # P(label 1 | μ)
    share = float((density * positive).sum())
    if not 0 < share < 1:
        return float("nan")
    threshold = noise * float(ndtri(share))  # q(c) = π
    chosen = mu > threshold
    tpr = (density * positive)[chosen].sum() / share
    tnr = (density * (1 - positive))[~chosen].sum() / (1 - share)
    return float(0.5 * (tpr + tnr))


def _balanced_matrix(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Pairs × seeds of finite gains, only the pairs that have one for every seed; notes."""
    notes = []
    n_nan = int(frame["gain"].isna().sum())
    if n_nan:
        notes.append(f"{n_nan} pair x seed gain(s) are NaN (their pairs left out)")
    table = frame.pivot_table(index="pair_id", columns="seed", values="gain", aggfunc="first")
    table = table.reindex(columns=sorted(frame["seed"].unique()))
    complete = table.notna().all(axis=1)
    if (~complete).any():
        notes.append(
            f"{int((~complete).sum())} of {len(table)} pairs lack a finite gain for some seed "
            "(left out)"
        )
    return table.loc[complete], notes


def _degenerate_reason(frame: pd.DataFrame, gains: np.ndarray) -> str:
    """Why one problem's gains admit no reliability ("" when they do)."""
    n, k = gains.shape
    if k < 2:
        return (
            f"one seed per pair (seeds {sorted(int(s) for s in frame['seed'].unique())}): no seed-to-seed "
            "variation to measure, so no reliability and no ceiling"
        )
    if n < MIN_PAIRS:
        return f"{n} pair(s) with a finite gain for every seed, fewer than {MIN_PAIRS}"
    if np.ptp(gains.mean(axis=1)) == 0:
        return "the pairs' mean gains do not vary over pairs: no correlation is defined"
    return ""


def _interval(values: np.ndarray, alpha: float) -> tuple[float, float]:
    """The (alpha, 1 − alpha) quantiles of the finite values (NaN when there are none)."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return float("nan"), float("nan")
    low, high = np.quantile(finite, [alpha, 1 - alpha])
    return float(low), float(high)


def _reliability_columns(
    gains: np.ndarray,
    notes: list[str],
    rng: np.random.Generator,
    *,
    bootstrap: int,
    alpha: float,
    max_splits: int,
) -> dict[str, float]:
    """The reliability, its bootstrap interval and the ceilings of one problem's gains
    (pairs × seeds); adds the notes they call for."""
    n, k = gains.shape
    splits = seed_splits(k, max_splits, rng)
    r_half, reliability = split_half_reliability(gains, splits)
    pair_var, seed_var = variance_components(gains)
    improved = (gains > 0).sum(axis=1)
    resampled = gains[rng.integers(0, n, size=(bootstrap, n))]
    _, boot_reliability = split_half_reliability(resampled, splits)
    boot_ba = best_balanced_accuracy((resampled > 0).sum(axis=-1), k)
    rel_low, rel_high = _interval(boot_reliability, alpha)
    ba_low, ba_high = _interval(boot_ba, alpha)
    if not np.isfinite(reliability):
        notes.insert(0, "a half's mean gain does not vary over pairs in some split")
    if np.all(np.ptp(gains, axis=1) == 0):
        notes.append("every seed gives each pair the same gain (no seed-to-seed variation)")
    means = gains.mean(axis=1)
    return {
        "n_splits": len(splits),
        "gain_mean": float(means.mean()),
        "pair_sd": float(means.std(ddof=1)),
        "seed_sd": float(math.sqrt(seed_var)),
        "split_half_r": float(r_half),
        "reliability": float(reliability),
        "reliability_low": rel_low,
        "reliability_high": rel_high,
        "reliability_anova": float(pair_var / (pair_var + seed_var / k)),
        "ceiling_correlation": _ceiling(reliability),
        "ceiling_correlation_low": _ceiling(rel_low),
        "ceiling_correlation_high": _ceiling(rel_high),
        "share_improved": float(improved.sum() / (n * k)),
        "flip_rate_mean": float((2 * improved * (k - improved) / (k * (k - 1))).mean()),
        "share_pairs_unanimous": float(((improved == 0) | (improved == k)).mean()),
        "ceiling_balanced_accuracy": float(best_balanced_accuracy(improved, k)),
        "ceiling_balanced_accuracy_low": ba_low,
        "ceiling_balanced_accuracy_high": ba_high,
        "share_mean_positive": float((means > 0).mean()),
        "ceiling_balanced_accuracy_mean_sign": mean_sign_ceiling(
            float(means.mean()), float(pair_var), float(seed_var), k
        ),
    }


def gain_reliability(
    mtl_gains: pd.DataFrame,
    *,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    max_splits: int = 100,
    seed: int = 0,
) -> pd.DataFrame:
    """The noise ceiling per problem (formulas in the module docstring).

    ``mtl_gains``: one row per pair × seed with ``pair_id``, ``problem``, ``seed``, ``gain``.
    One row per problem with ``n_pairs`` (pairs with a finite gain for every seed),
    ``n_seeds``, ``half_size``, ``n_splits``, ``gain_mean``, ``pair_sd`` (sd over pairs of the
    k-seed mean), ``seed_sd`` (√σ̂²), ``split_half_r``, ``reliability`` with
    ``reliability_low`` / ``_high``, ``reliability_anova``, ``ceiling_correlation`` with
    ``_low`` / ``_high``, ``share_improved``, ``flip_rate_mean``, ``share_pairs_unanimous``
    (pairs whose seeds all agree), ``ceiling_balanced_accuracy`` with ``_low`` / ``_high``,
    ``share_mean_positive``, ``ceiling_balanced_accuracy_mean_sign``, ``bootstrap``,
    ``confidence``, ``status`` and ``note``.
    """
    require_columns(mtl_gains, ["pair_id", "problem", "seed", "gain"], "mtl_gains")
    if bootstrap < 1 or not 0 < confidence < 1 or max_splits < 1:
        raise ValueError(
            "the reliability needs bootstrap >= 1, max_splits >= 1 and 0 < confidence < 1, got "
            f"{bootstrap}, {max_splits}, {confidence}"
        )
    rng = np.random.default_rng(seed)
    rows = [
        _problem_row(
            problem, frame, rng, bootstrap=bootstrap, confidence=confidence, max_splits=max_splits
        )
        for problem, frame in mtl_gains.groupby("problem", sort=True)
    ]
    return pd.DataFrame(rows).reindex(columns=list(COLUMNS))


def _problem_row(
    problem: str,
    frame: pd.DataFrame,
    rng: np.random.Generator,
    *,
    bootstrap: int,
    confidence: float,
    max_splits: int,
) -> dict[str, object]:
    """The row of :func:`gain_reliability` of one problem (``frame``: its gains), drawing from
    ``rng`` (shared by the problems, in their order)."""
    table, notes = _balanced_matrix(frame)
    gains = table.to_numpy(dtype=float)
    n, k = gains.shape
    row = {
        "problem": problem,
        "n_pairs": n,
        "n_seeds": k,
        "half_size": k // 2,
        "bootstrap": bootstrap,
        "confidence": confidence,
    }
    reason = _degenerate_reason(frame, gains)
    if reason:
        logger.warning("gain_reliability %s: degenerate: %s", problem, reason)
        return {**row, "status": STATUS_DEGENERATE, "note": "; ".join([reason, *notes])}
    alpha = (1 - confidence) / 2
    row |= _reliability_columns(
        gains, notes, rng, bootstrap=bootstrap, alpha=alpha, max_splits=max_splits
    )
    ok = np.isfinite(row["reliability"])
    logger.info(
        "gain_reliability %s: %d pairs x %d seeds, split-half r %.3f, reliability %.3f "
        "[%.3f, %.3f], ceiling of a correlation %.3f, of balanced accuracy %.3f",
        problem,
        n,
        k,
        row["split_half_r"],
        row["reliability"],
        row["reliability_low"],
        row["reliability_high"],
        row["ceiling_correlation"],
        row["ceiling_balanced_accuracy"],
    )
    return {**row, "status": STATUS_OK if ok else STATUS_DEGENERATE, "note": "; ".join(notes)}


def _ceiling(reliability: float) -> float:
    """√R (0 for R ≤ 0: no pair effect to predict; NaN stays NaN)."""
    return float(math.sqrt(max(reliability, 0.0))) if np.isfinite(reliability) else float("nan")
