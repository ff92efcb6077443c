"""Learning-curve features of task pairs (Kerinec et al. 2018, after Bingel & Søgaard 2017).

From the single-task (STL) training-loss curve of each task and seed:

- ``curve_grad_<p>``: the gradient of the loss over epochs read at ``p`` % of training. Two
  methods (``gradient_method``): ``interpolated`` (``numpy.gradient`` read at epoch ``p · E``,
  linearly interpolated between epochs) and ``central_difference`` (the released code,
  ``utils.py: get_curve_gradients``: ``(y[i+1] − y[i−1]) / (x[i+1] − x[i−1])`` at index
  ``i = int(n · p)`` of the first ``n = gradient_epochs`` epochs),
- ``curve_fit_a``, ``curve_fit_c``: parameters of the fit
  ``loss(i) ≈ a · ln(c · i + d) + b`` (``scipy.optimize.curve_fit``). ``a`` is the coefficient of
  the logarithm: the released code writes ``a + b·ln(c·x + d)`` and returns ``b`` and ``c``
  (``utils.py: get_curve_params``), the same two numbers under other letters.

Identifiability: ``a·ln(c·i + d) + b = a·ln(i + d/c) + (b + a·ln c)``, so with ``d`` free the
split between ``c`` and ``b`` is not determined by the data and the reported ``c`` depends on the
optimiser's path. By default ``d`` is therefore held at ``fit_d`` (1.0), which makes ``a`` and
``c`` unique; ``fit_d=None`` fits ``d`` too (bounded to ``[0, max_d]``), as the formula is written.

Released-code fit (``fit_d=None, fit_start="ones", fit_bounded=False, epoch_origin=0``): all four
parameters free, scipy's default start (every parameter 1) and its unbounded Levenberg–Marquardt,
x = the 0-based epoch index of the Keras log.

A fit that cannot be made (missing or non-finite losses, a constant curve, fewer than four
epochs, or the optimiser failing) yields NaN parameters, a logged warning, and
``curve_fit_failed = True``; it never raises.

Statistics are computed once per (task, seed) and joined onto pairs as ``main_``/``aux_``/
``ratio_`` columns (:func:`mtl_pipeline.features.ratios.join_task_statistics`).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from scipy.optimize import OptimizeWarning, curve_fit

from mtl_pipeline.features.ratios import join_task_statistics, pair_seed_grid
from mtl_pipeline.frames import require_columns

logger = logging.getLogger(__name__)

DEFAULT_GRADIENT_POINTS = (0.1, 0.25, 0.5, 0.75)
GRADIENT_METHODS = ("interpolated", "central_difference")
FIT_STARTS = ("heuristic", "ones")
#: Every curve statistic is named ``curve_<...>`` (its gradient points are parameters).
CURVE_STATISTICS = ("curve",)


@dataclass(frozen=True)
class LogFit:
    """Result of :func:`fit_log_curve`: parameters of ``a·ln(c·i + d) + b`` (NaN if failed)."""

    a: float
    b: float
    c: float
    d: float
    failed: bool
    reason: str = ""


def gradient_name(point: float) -> str:
    """Column name of the gradient read at a fraction of training, e.g. 0.25 → ``curve_grad_25``."""
    return f"curve_grad_{round(point * 100):d}"


def curve_gradients(
    epochs: np.ndarray,
    loss: np.ndarray,
    points: Sequence[float] = DEFAULT_GRADIENT_POINTS,
    method: str = "interpolated",
) -> dict[str, float]:
    """Gradient d loss / d epoch read at fractions ``points`` of training.

    ``interpolated``: ``numpy.gradient`` read at epoch ``p · E`` (``E`` = last epoch), clipped to
    the epochs present, interpolating linearly between neighbouring epochs.
    ``central_difference`` (released code): ``(y[i+1] − y[i−1]) / (x[i+1] − x[i−1])`` at index
    ``i = int(len(x) · p)``; NaN where ``i − 1`` or ``i + 1`` falls outside the curve.
    """
    if method not in GRADIENT_METHODS:
        raise ValueError(f"gradient_method must be one of {GRADIENT_METHODS}, got {method!r}")
    epochs = np.asarray(epochs, dtype=float)
    loss = np.asarray(loss, dtype=float)
    for p in points:
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"gradient_points must be fractions in [0, 1], got {p!r}")
    if len(epochs) < 2:
        return {gradient_name(p): float("nan") for p in points}
    if method == "central_difference":
        out = {}
        for p in points:
            i = int(len(epochs) * p)
            if 1 <= i <= len(epochs) - 2:
                out[gradient_name(p)] = float(
                    (loss[i + 1] - loss[i - 1]) / (epochs[i + 1] - epochs[i - 1])
                )
            else:
                out[gradient_name(p)] = float("nan")
        return out
    grad = np.gradient(loss, epochs)
    last = epochs.max()
    return {
        gradient_name(p): float(np.interp(np.clip(p * last, epochs.min(), last), epochs, grad))
        for p in points
    }


def _log_model(i: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    return a * np.log(c * i + d) + b


def fit_log_curve(
    epochs: np.ndarray,
    loss: np.ndarray,
    *,
    fit_d: float | None = 1.0,
    c_bounds: tuple[float, float] = (1e-6, 1e3),
    max_d: float = 1e3,
    maxfev: int = 10_000,
    start: str = "heuristic",
    bounded: bool = True,
    label: str = "curve",
) -> LogFit:
    """Fit ``loss(i) ≈ a·ln(c·i + d) + b``; never raises (see the module docstring).

    ``start="heuristic"``: ``c = 1``, ``d = fit_d`` (or 1), ``a`` from the slope of the loss
    against ``ln(i + 1)``, ``b`` = the first loss. ``start="ones"``: every parameter starts at 1
    (scipy's default, the released code). ``bounded``: ``c`` within ``c_bounds`` (positive, so the
    logarithm's argument stays positive for ``i ≥ 0``) and ``d`` within ``[0, max_d]``; unbounded
    is scipy's Levenberg–Marquardt, as released (a covariance warning is then not a failure).
    """
    if start not in FIT_STARTS:
        raise ValueError(f"fit_start must be one of {FIT_STARTS}, got {start!r}")

    def failed(reason: str) -> LogFit:
        logger.warning("log-curve fit failed for %s: %s (features set to NaN)", label, reason)
        nan = float("nan")
        return LogFit(nan, nan, nan, nan, failed=True, reason=reason)

    x = np.asarray(epochs, dtype=float)
    y = np.asarray(loss, dtype=float)
    if len(x) < 4:
        return failed(f"{len(x)} epochs, at least 4 needed")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        return failed("non-finite loss or epoch values")
    if np.ptp(y) == 0:
        return failed("constant curve (a = 0, c undetermined)")
    d0 = 1.0 if fit_d is None else float(fit_d)
    if start == "ones":
        p0 = [1.0, 1.0, 1.0]  # a, b, c
    else:
        slope = np.polyfit(np.log(x + 1.0), y, 1)[0]
        p0 = [float(slope), float(y[0]), 1.0]
    lower, upper = [-np.inf, -np.inf, c_bounds[0]], [np.inf, np.inf, c_bounds[1]]
    if fit_d is None:  # d is fitted too, within [0, max_d] when bounded
        model, p0, lower, upper = _log_model, [*p0, d0], [*lower, 0.0], [*upper, max_d]
    else:  # d is held at fit_d
        model = partial(_log_model, d=d0)
    kwargs = {"bounds": (lower, upper)} if bounded else {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error" if bounded else "ignore", OptimizeWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            popt, _ = curve_fit(model, x, y, p0=p0, maxfev=maxfev, **kwargs)
    except (RuntimeError, ValueError, OptimizeWarning) as err:
        return failed(f"{type(err).__name__}: {err}")
    a, b, c = (float(v) for v in popt[:3])
    d = float(popt[3]) if fit_d is None else d0
    if not all(np.isfinite([a, b, c, d])):
        return failed("non-finite parameters")
    return LogFit(a, b, c, d, failed=False)


def _checked_curves(
    learning_curves: pd.DataFrame,
    kind: str,
    loss_column: str,
    epoch_origin: int,
    gradient_epochs: int | None,
    fit_epochs: int | None,
) -> pd.DataFrame:
    """The ``kind`` curves, one model per (task, seed), after checking the options."""
    if epoch_origin not in (0, 1):
        raise ValueError(f"epoch_origin must be 0 or 1, got {epoch_origin!r}")
    for name, n in (("gradient_epochs", gradient_epochs), ("fit_epochs", fit_epochs)):
        if n is not None and int(n) < 1:
            raise ValueError(f"{name} must be a positive number of epochs or null, got {n!r}")
    require_columns(
        learning_curves, ["kind", "seed", "task", "epoch", loss_column], "learning_curves"
    )
    curves = learning_curves.loc[learning_curves["kind"] == kind]
    if "model_id" in curves.columns:
        n_models = curves.groupby(["task", "seed"])["model_id"].nunique()
        if (n_models > 1).any():
            bad = n_models[n_models > 1].index[0]
            raise ValueError(
                f"learning_curves hold {int(n_models.max())} {kind!r} models for (task, seed) = "
                f"{bad}; one expected"
            )
    return curves


def curve_statistics(
    learning_curves: pd.DataFrame,
    *,
    kind: str = "stl",
    loss_column: str = "train_loss",
    gradient_points: Sequence[float] = DEFAULT_GRADIENT_POINTS,
    fit_d: float | None = 1.0,
    c_bounds: tuple[float, float] = (1e-6, 1e3),
    max_d: float = 1e3,
    maxfev: int = 10_000,
    gradient_method: str = "interpolated",
    gradient_epochs: int | None = None,
    fit_start: str = "heuristic",
    fit_bounded: bool = True,
    fit_epochs: int | None = None,
    epoch_origin: int = 1,
) -> pd.DataFrame:
    """One row per (task, seed) of the ``kind`` models: gradients, fit a and c, fit flag.

    ``gradient_epochs`` / ``fit_epochs``: use only the first that many epochs (None = all).
    ``epoch_origin``: the x of the first epoch in the fit (our curves count epochs from 1; the
    released code fitted Keras' 0-based epoch index). Gradients do not depend on it.
    """
    curves = _checked_curves(
        learning_curves, kind, loss_column, epoch_origin, gradient_epochs, fit_epochs
    )
    records = []
    for (task, seed), grp in curves.groupby(["task", "seed"], sort=True):
        x, y = _curve_points(grp, task, seed, loss_column, epoch_origin)
        n_fit = len(x) if fit_epochs is None else int(fit_epochs)
        fit = fit_log_curve(
            x[:n_fit],
            y[:n_fit],
            fit_d=fit_d,
            c_bounds=c_bounds,
            max_d=max_d,
            maxfev=maxfev,
            start=fit_start,
            bounded=fit_bounded,
            label=f"{kind} task {task!r} seed {seed}",
        )
        grads = _first_gradients(x, y, gradient_epochs, gradient_points, gradient_method)
        records.append(
            {
                "task": task,
                "seed": int(seed),
                **grads,
                "curve_fit_a": fit.a,
                "curve_fit_c": fit.c,
                "curve_fit_failed": fit.failed,
            }
        )
    columns = ["task", "seed", *(gradient_name(p) for p in gradient_points), *FIT_COLUMNS]
    out = pd.DataFrame.from_records(records, columns=columns)
    return out.astype({"seed": "int64", "curve_fit_failed": bool})


#: The log-fit columns of :func:`curve_statistics`, after the gradients.
FIT_COLUMNS = ("curve_fit_a", "curve_fit_c", "curve_fit_failed")


def _curve_points(
    grp: pd.DataFrame, task: str, seed: int, loss_column: str, epoch_origin: int
) -> tuple[np.ndarray, np.ndarray]:
    """(x, loss) of one model's curve in epoch order, x counted from ``epoch_origin``."""
    grp = grp.sort_values("epoch")
    if grp["epoch"].duplicated().any():
        raise ValueError(f"learning_curves: task {task!r} seed {seed} repeats an epoch")
    x = grp["epoch"].to_numpy(dtype=float) - 1 + epoch_origin
    return x, grp[loss_column].to_numpy(dtype=float)


def _first_gradients(
    x: np.ndarray,
    y: np.ndarray,
    gradient_epochs: int | None,
    gradient_points: Sequence[float],
    gradient_method: str,
) -> dict[str, float]:
    """The gradients of the first ``gradient_epochs`` epochs (None: all), on finite losses."""
    n_grad = len(x) if gradient_epochs is None else int(gradient_epochs)
    xg, yg = x[:n_grad], y[:n_grad]
    finite = np.isfinite(yg)
    return curve_gradients(xg[finite], yg[finite], gradient_points, gradient_method)


def curve_features(
    task_pairs: pd.DataFrame,
    learning_curves: pd.DataFrame,
    *,
    ratio_when_aux_is_zero: str = "nan",
    **statistics_kwargs,
) -> pd.DataFrame:
    """Curve features of every pair × seed (the pairs' ``seeds`` column, else every seed of the
    ``kind`` curves).

    Returns one row per (pair_id, problem, seed) with ``main_task``, ``aux_task``, the
    ``main_``/``aux_`` curve statistics, ``ratio_`` for the numeric ones and the boolean
    ``main_curve_fit_failed`` / ``aux_curve_fit_failed`` flags. Keyword arguments go to
    :func:`curve_statistics`.
    """
    require_columns(task_pairs, ["pair_id", "problem", "main_task", "aux_task"], "task_pairs")
    stats = curve_statistics(learning_curves, **statistics_kwargs)
    seeds = sorted({int(s) for s in stats["seed"]})
    grid = pair_seed_grid(task_pairs, ["pair_id", "problem", "main_task", "aux_task"], seeds)
    stat_cols = [c for c in stats.columns if c not in ("task", "seed")]
    ratio_cols = [c for c in stat_cols if c != "curve_fit_failed"]
    out = join_task_statistics(
        grid, stats, stat_cols, ratio_cols, when_aux_is_zero=ratio_when_aux_is_zero
    )
    for role in ("main", "aux"):  # a missing curve counts as a failed fit
        out[f"{role}_curve_fit_failed"] = out[f"{role}_curve_fit_failed"].fillna(True).astype(bool)
    return out.reset_index(drop=True)
