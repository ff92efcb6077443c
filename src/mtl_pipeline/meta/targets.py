"""Targets the noise allows: a pair's expected gain and its sign, on pairs held out entirely.

The label of :mod:`.goal` (one pair × seed improved or not) is mostly seed noise
(:mod:`.reliability`). Here every pair is one example: its features averaged over its seeds
and its **expected gain**, the mean gain over its k seeds. Per problem and per predictor of
the registry (:data:`~mtl_pipeline.meta.predictors.PREDICTORS`), on ``repetitions`` draws of
pairs held out entirely (a share ``holdout_share`` of the pairs, stratified by the sign of the
mean gain; constant-column dropping, imputation, scaling and both fits see only the other
pairs; every predictor is scored on the same draws):

- ``spearman``: a ridge regression of the mean gain on the scaled features; Spearman ρ of its
  predictions with the held-out pairs' mean gains. Ceiling: ``ceiling_correlation`` of
  ``gain_reliability`` (√R_k); baseline 0 (an answer independent of the pair's gain — a
  constant has no ρ at all).
- ``balanced_accuracy``: a logistic regression (classes weighted to balance, the metric's own
  weighting) of "mean gain > 0"; its balanced accuracy on the held-out pairs. Ceiling:
  ``ceiling_balanced_accuracy_mean_sign``; baseline 0.5 (any constant answer).
- ``balanced_accuracy_per_seed``: the same answer per pair scored on each of its seeds'
  ``improved`` labels (the label of ``meta_goal``). Ceiling: ``ceiling_balanced_accuracy``
  (the best any pair-level answer scores given each pair's own flip rate); baseline 0.5.

Each row gives the mean, standard deviation and percentile interval (``confidence``) of the
score over the draws, the share of the ceiling reached, ``beats_baseline`` (the interval's
lower end above the baseline: never a verdict from one draw) and ``reached`` (a non-degenerate
mean at least ``goal_share_of_ceiling`` × the ceiling, and ``beats_baseline``). The draws are of one set of pairs: the
interval is the spread over which of them are held out, not over new sets of pairs (a feature
that correlates with the gain by chance in this set does so in every draw, by about
1/√n_pairs).

**Few trained pairs** (:func:`calibration_curve`, in the spirit of ETAP, Ayman et al.: a cheap
affinity score mapped to the true gain with a handful of trained groups): on the same draws,
the maps above are fitted on only k randomly chosen training pairs — k pairs trained fully, their
measured gains the only supervision — and scored on the held-out pairs, for each k of
``calibration_pairs``: the curve of ρ (and balanced accuracy) against k. ETAP's non-linear map
plus residual model is here one ridge regression (and one logistic regression) over the
predictor's scaled features. ``k = 0`` is the zero-shot score where the predictor declares one
(TAG's affinity of the auxiliary task onto the main one: ranked as is, "improved" where > 0).
The cost of a calibrated predictor per new pair is its features' cost plus k trained pairs
shared by all the pairs it is applied to.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

from mtl_pipeline.frames import require_columns
from mtl_pipeline.meta.columns import candidate_columns, pool_examples, uninformative_columns
from mtl_pipeline.meta.config import STATUS_DEGENERATE, STATUS_OK
from mtl_pipeline.meta.estimator import Preprocessor
from mtl_pipeline.meta.predictors import Predictor
from mtl_pipeline.meta.reliability import MIN_PAIRS

logger = logging.getLogger(__name__)

#: metric → what it scores
TARGETS = {
    "spearman": "Spearman rho of the predicted gain with the pair's mean gain over seeds",
    "balanced_accuracy": "balanced accuracy on 'the mean gain over seeds is positive'",
    "balanced_accuracy_per_seed": "balanced accuracy of the pair's answer on each seed's improved",
}
#: metric → its ceiling's columns in gain_reliability (estimate, low, high)
CEILINGS = {
    "spearman": ("ceiling_correlation", "ceiling_correlation_low", "ceiling_correlation_high"),
    "balanced_accuracy": ("ceiling_balanced_accuracy_mean_sign", None, None),
    "balanced_accuracy_per_seed": (
        "ceiling_balanced_accuracy",
        "ceiling_balanced_accuracy_low",
        "ceiling_balanced_accuracy_high",
    ),
}
BASELINES = {"spearman": 0.0, "balanced_accuracy": 0.5, "balanced_accuracy_per_seed": 0.5}
#: Columns of meta_targets in order (meta_calibration adds ``k`` after ``predictor``); a
#: degenerate row has NaN where nothing is defined.
COLUMNS = (
    "problem",
    "predictor",
    "metric",
    "target",
    "n_pairs",
    "n_held_out_pairs",
    "repetitions",
    "n_features",
    "model_mean",
    "model_std",
    "model_low",
    "model_high",
    "n_draws_undefined",
    "baseline",
    "ceiling",
    "ceiling_low",
    "ceiling_high",
    "share_of_ceiling",
    "goal_share_of_ceiling",
    "reached",
    "beats_baseline",
    "status",
    "note",
)


@dataclass(frozen=True)
class TargetSettings:
    """``meta.targets`` (see conf/base/parameters_meta.yml)."""

    holdout_share: float = 0.3
    repetitions: int = 50
    ridge_alpha: float = 1.0
    C: float = 1.0
    scaler: str = "standard"
    goal_share_of_ceiling: float = 0.8
    confidence: float = 0.95
    seed: int = 0


@dataclass(frozen=True)
class _Pairs:
    """One problem's pairs: features averaged over seeds, mean gain, per-seed label counts."""

    frame: pd.DataFrame  # one row per pair, sorted by pair_id
    candidates: list[str]
    gain: np.ndarray
    positive: np.ndarray  # mean gain > 0
    improved_seeds: np.ndarray  # seeds of the pair with improved
    n_seeds: np.ndarray


def problem_pairs(raw: pd.DataFrame) -> _Pairs:
    """Pair-level examples of one problem's meta-features (pair × seed rows)."""
    candidates = candidate_columns(raw, "all")
    frame = pool_examples(raw, "pair_mean", candidates)
    by_pair = raw.groupby("pair_id", sort=True)
    gain = by_pair["gain"].mean().to_numpy(dtype=float)
    return _Pairs(
        frame=frame,
        candidates=candidates,
        gain=gain,
        positive=gain > 0,
        improved_seeds=by_pair["improved"].sum().to_numpy(dtype=float),
        n_seeds=by_pair.size().to_numpy(dtype=float),
    )


def held_out_draws(
    positive: np.ndarray, settings: TargetSettings
) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """``repetitions`` (train, held-out) index draws over pairs, stratified by the sign of the
    mean gain when each sign has at least two pairs; a note when not stratified."""
    n = len(positive)
    n_held = min(max(3, round(settings.holdout_share * n)), n - 3)
    counts = np.bincount(positive.astype(int), minlength=2)
    note = ""
    if counts.min() >= 2:
        splitter = StratifiedShuffleSplit(
            settings.repetitions, test_size=n_held, random_state=settings.seed
        )
    else:
        note = (
            f"draws not stratified: pairs with a positive / non-positive mean gain {counts[::-1]}"
        )
        splitter = ShuffleSplit(settings.repetitions, test_size=n_held, random_state=settings.seed)
    return list(splitter.split(np.zeros((n, 1)), positive)), note


def _per_seed_balanced_accuracy(answer: np.ndarray, improved: np.ndarray, seeds: np.ndarray):
    """Balanced accuracy of one answer per pair on every seed's label (improved counts)."""
    positives, negatives = improved.sum(), (seeds - improved).sum()
    if positives == 0 or negatives == 0:
        return float("nan")
    tpr = improved[answer].sum() / positives
    tnr = (seeds - improved)[~answer].sum() / negatives
    return float(0.5 * (tpr + tnr))


def _spearman(prediction: np.ndarray, truth: np.ndarray) -> float:
    if np.ptp(prediction) == 0 or np.ptp(truth) == 0:
        return float("nan")
    return float(spearmanr(prediction, truth).statistic)


def score_fit(
    pairs: _Pairs,
    columns: list[str],
    train: np.ndarray,
    held: np.ndarray,
    settings: TargetSettings,
) -> dict[str, float]:
    """Fit the gain regression and the sign classifier on ``train`` pairs, score ``held``."""
    kept = uninformative_columns(pairs.frame.iloc[train], columns)
    cols = [c for c in columns if c not in kept["constant"] + kept["all_nan"]]
    held_positive = pairs.positive[held]
    if not cols:  # nothing varies among the training pairs: the constant answer
        predicted_gain = np.zeros(len(held))
        answer = np.full(len(held), bool(pairs.positive[train].mean() > 0.5))
    else:
        x = pairs.frame[cols].to_numpy(dtype=float)
        prep = Preprocessor(settings.scaler).fit(x[train])
        z_train, z_held = prep.transform(x[train]), prep.transform(x[held])
        ridge = Ridge(alpha=settings.ridge_alpha).fit(z_train, pairs.gain[train])
        predicted_gain = ridge.predict(z_held)
        if len(np.unique(pairs.positive[train])) < 2:
            answer = np.full(len(held), bool(pairs.positive[train][0]))
        else:
            classifier = LogisticRegression(
                C=settings.C, class_weight="balanced", max_iter=1000, random_state=settings.seed
            ).fit(z_train, pairs.positive[train])
            answer = classifier.predict(z_held).astype(bool)
    return _scores(pairs, held, predicted_gain, answer, held_positive)


def _scores(pairs, held, ranking, answer, held_positive) -> dict[str, float]:
    with warnings.catch_warnings():  # one class among the held-out pairs: NaN, noted by caller
        warnings.simplefilter("ignore")
        ba = (
            float(balanced_accuracy_score(held_positive, answer))
            if len(np.unique(held_positive)) == 2
            else float("nan")
        )
    return {
        "spearman": _spearman(ranking, pairs.gain[held]),
        "balanced_accuracy": ba,
        "balanced_accuracy_per_seed": _per_seed_balanced_accuracy(
            answer, pairs.improved_seeds[held], pairs.n_seeds[held]
        ),
    }


def zero_shot_scores(pairs: _Pairs, predictor: Predictor, held: np.ndarray) -> dict | None:
    """The predictor's declared score read as is on the held-out pairs (no trained pair)."""
    if predictor.zero_shot is None or predictor.zero_shot[0] not in pairs.frame.columns:
        return None
    column, sign = predictor.zero_shot
    score = sign * pairs.frame[column].to_numpy(dtype=float)[held]
    if not np.isfinite(score).all():
        return None
    return _scores(pairs, held, score, score > 0, pairs.positive[held])


def _summary(values: list[float], confidence: float) -> dict[str, float]:
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    if not len(finite):
        nan = float("nan")
        return {"mean": nan, "std": nan, "low": nan, "high": nan, "n_draws_undefined": len(v)}
    alpha = (1 - confidence) / 2
    low, high = np.quantile(finite, [alpha, 1 - alpha])
    return {
        "mean": float(finite.mean()),
        "std": float(finite.std()),
        "low": float(low),
        "high": float(high),
        "n_draws_undefined": int(len(v) - len(finite)),
    }


def _ceiling(reliability: pd.DataFrame | None, problem: str, metric: str) -> dict[str, float]:
    names = CEILINGS[metric]
    out = {"ceiling": float("nan"), "ceiling_low": float("nan"), "ceiling_high": float("nan")}
    if reliability is None or reliability.empty:
        return out
    row = reliability.loc[reliability["problem"] == problem]
    if row.empty or row.iloc[0].get("status") != STATUS_OK:
        return out
    for key, name in zip(out, names, strict=True):
        if name is not None and name in row.columns:
            out[key] = float(row.iloc[0][name])
    return out


def _degenerate_rows(problem, predictors, n_pairs, note) -> list[dict]:
    logger.warning("meta targets %s: degenerate: %s", problem, note)
    return [
        {
            "problem": problem,
            "predictor": p.name,
            "metric": m,
            "n_pairs": n_pairs,
            "status": STATUS_DEGENERATE,
            "note": note,
        }
        for p in predictors
        for m in TARGETS
    ]


def _problems(meta_features: pd.DataFrame):
    """(problem, its pair-level examples, why they are degenerate or "") per problem."""
    require_columns(meta_features, ["pair_id", "problem", "gain", "improved"], "meta_features")
    for problem in sorted(meta_features["problem"].unique()):
        pairs = problem_pairs(meta_features.loc[meta_features["problem"] == problem])
        yield problem, pairs, _degenerate_note(pairs, len(pairs.gain))


def _base(problem, predictor: Predictor, pairs: _Pairs, draws, columns) -> dict:
    return {
        "problem": problem,
        "predictor": predictor.name,
        "n_pairs": len(pairs.gain),
        "n_held_out_pairs": len(draws[0][1]),
        "repetitions": len(draws),
        "n_features": len(columns),
    }


def _degenerate_note(pairs: _Pairs, n_pairs: int) -> str:
    if n_pairs < MIN_PAIRS:
        return f"{n_pairs} pairs, fewer than {MIN_PAIRS}: too few to hold some out and fit"
    if np.ptp(pairs.gain) == 0:
        return "the pairs' mean gains do not vary: nothing to predict"
    return ""


def target_scores(
    meta_features: pd.DataFrame,
    gain_reliability: pd.DataFrame | None,
    predictors: list[Predictor],
    settings: TargetSettings,
) -> pd.DataFrame:
    """The held-out scores of each predictor per problem and metric (see the module doc).

    One row per (problem, predictor, metric) with ``target``, ``n_pairs``,
    ``n_held_out_pairs``, ``repetitions``, ``n_features``, ``model_mean`` / ``_std`` / ``_low``
    / ``_high`` (over draws), ``n_draws_undefined``, ``baseline``, ``ceiling`` with ``_low`` /
    ``_high``, ``share_of_ceiling``, ``goal_share_of_ceiling``, ``reached``,
    ``beats_baseline``, ``status``, ``note``.
    """
    rows: list[dict] = []
    for problem, pairs, note in _problems(meta_features):
        if note:
            rows += _degenerate_rows(problem, predictors, len(pairs.gain), note)
            continue
        draws, draw_note = held_out_draws(pairs.positive, settings)
        for predictor in predictors:
            columns = predictor.columns(pairs.candidates)
            base = _base(problem, predictor, pairs, draws, columns)
            if not columns:
                note = f"meta_features has no column of predictor {predictor.name!r}"
                for m in TARGETS:
                    rows.append({**base, "metric": m, "status": STATUS_DEGENERATE, "note": note})
                continue
            per_draw = [score_fit(pairs, columns, tr, te, settings) for tr, te in draws]
            rows += _metric_rows(base, per_draw, gain_reliability, settings, draw_note)
    out = _complete(pd.DataFrame(rows), COLUMNS)
    for r in out.loc[out["status"] == STATUS_OK].itertuples():
        logger.info(
            "meta targets %s / %s / %s: %.3f [%.3f, %.3f] vs baseline %.2f, ceiling %.3f",
            r.problem,
            r.predictor,
            r.metric,
            r.model_mean,
            r.model_low,
            r.model_high,
            r.baseline,
            r.ceiling,
        )
    return out


def _metric_rows(base, per_draw, reliability, settings, note) -> list[dict]:
    rows = []
    for metric in TARGETS:
        s = _summary([d[metric] for d in per_draw], settings.confidence)
        ceiling = _ceiling(reliability, base["problem"], metric)
        share = s["mean"] / ceiling["ceiling"] if ceiling["ceiling"] > 0 else float("nan")
        notes = [n for n in (note,) if n]
        if s["n_draws_undefined"]:
            notes.append(f"{s['n_draws_undefined']} draw(s) undefined (one class or a constant)")
        if not np.isfinite(ceiling["ceiling"]):
            notes.append("no ceiling (gain_reliability degenerate or missing)")
        ok = np.isfinite(s["mean"])
        beats = bool(ok and s["low"] > BASELINES[metric])
        rows.append(
            {
                **base,
                "metric": metric,
                "model_mean": s["mean"],
                "model_std": s["std"],
                "model_low": s["low"],
                "model_high": s["high"],
                "n_draws_undefined": s["n_draws_undefined"],
                "baseline": BASELINES[metric],
                **ceiling,
                "share_of_ceiling": share,
                "goal_share_of_ceiling": settings.goal_share_of_ceiling,
                "reached": bool(ok and share >= settings.goal_share_of_ceiling and beats),
                "beats_baseline": beats,
                "status": STATUS_OK if ok else STATUS_DEGENERATE,
                "note": "; ".join(notes),
            }
        )
    return rows


def calibration_curve(
    meta_features: pd.DataFrame,
    gain_reliability: pd.DataFrame | None,
    predictors: list[Predictor],
    ks: tuple[int, ...],
    settings: TargetSettings,
) -> pd.DataFrame:
    """Scores of each predictor fitted on only k trained pairs (module doc), per k.

    One row per (problem, predictor, k, metric) with the same score columns as
    :func:`target_scores` (``k = 0``: the zero-shot score, where declared); a k larger than the
    training pairs of a draw is left out, said in the ``note`` of the problem's other rows.
    """
    rows: list[dict] = []
    for problem, pairs, note in _problems(meta_features):
        if note:
            degenerate = _degenerate_rows(problem, predictors, len(pairs.gain), note)
            rows += [{**r, "k": 0} for r in degenerate]
            continue
        draws, draw_note = held_out_draws(pairs.positive, settings)
        n_train = len(draws[0][0])
        usable = [k for k in ks if 2 <= k <= n_train]
        skipped = [k for k in ks if k not in usable]
        skip_note = f"k {skipped} left out: {n_train} training pairs per draw" if skipped else ""
        rng = np.random.default_rng(settings.seed)
        subsets = {k: [rng.choice(tr, size=k, replace=False) for tr, _ in draws] for k in usable}
        for predictor in predictors:
            columns = predictor.columns(pairs.candidates)
            base = _base(problem, predictor, pairs, draws, columns)
            zero = [zero_shot_scores(pairs, predictor, te) for _, te in draws]
            if all(z is not None for z in zero):
                for r in _metric_rows(base, zero, gain_reliability, settings, draw_note):
                    rows.append({**r, "k": 0})
            if not columns:
                continue
            for k in usable:
                per_draw = [
                    score_fit(pairs, columns, sub, te, settings)
                    for sub, (_, te) in zip(subsets[k], draws, strict=True)
                ]
                notes = "; ".join(n for n in (draw_note, skip_note) if n)
                for r in _metric_rows(base, per_draw, gain_reliability, settings, notes):
                    rows.append({**r, "k": k})
    return _complete(pd.DataFrame(rows), (*COLUMNS[:2], "k", *COLUMNS[2:]))


def _complete(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Every column present (NaN where undefined), in order; booleans false where undefined,
    and the target's description on every row."""
    out = frame.reindex(columns=list(columns))
    out["target"] = out["metric"].map(TARGETS)
    for name in ("reached", "beats_baseline"):
        out[name] = out[name].astype(object).fillna(False).astype(bool)
    return out
