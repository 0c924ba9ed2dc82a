"""Metric samples bucketed onto a regular grid, and the straight line through them.

Everything returned is a plain float or None, never NaN or infinity: the results travel
as JSON, which cannot carry either.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

DAY = 86400.0
SIGNIFICANCE = 0.05


def finite_pairs(t: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(t, v) as float64 without the pairs where either is NaN or infinite: one bad sample
    must not poison a mean or a fit."""
    t = np.asarray(t, dtype=np.float64).ravel()
    v = np.asarray(v, dtype=np.float64).ravel()
    if t.shape != v.shape:
        raise ValueError(f"t and v differ in length: {t.size} and {v.size}")
    keep = np.isfinite(t) & np.isfinite(v)
    if keep.all():
        return t, v
    return t[keep], v[keep]


def resample(t: np.ndarray, v: np.ndarray, interval: int) -> tuple[np.ndarray, np.ndarray]:
    """Buckets of `interval` seconds aligned to the Unix epoch (start = floor(t / interval)
    * interval), each the mean of its samples; empty buckets are left out rather than
    invented. Returns (bucket starts ascending, means). Samples with a NaN or infinite
    time or value are dropped.

    One sort (np.unique) and two bincounts: about 3 ms for 50,000 samples.
    """
    if interval <= 0:
        raise ValueError(f"interval must be positive, not {interval}")
    t, v = finite_pairs(t, v)
    if t.size == 0:
        return np.empty(0), np.empty(0)
    buckets, inverse = np.unique(np.floor(t / interval), return_inverse=True)
    sums = np.bincount(inverse, weights=v)
    counts = np.bincount(inverse)
    return buckets * interval, sums / counts


@dataclass(frozen=True)
class LineFit:
    """Ordinary least squares of y on x, with what the slope's test and the prediction
    interval need."""

    slope: float
    intercept: float  # at x = 0
    n: int
    x_mean: float
    sxx: float  # sum of squared deviations of x
    sse: float  # residual sum of squares
    syy: float  # total sum of squares of y

    @property
    def residual_sd(self) -> float:
        """s, the residuals' standard deviation on n - 2 degrees of freedom."""
        return math.sqrt(self.sse / (self.n - 2))


def line_fit(x: np.ndarray, y: np.ndarray) -> LineFit | None:
    """The least-squares line, or None when it is not determined or has no degrees of
    freedom left for its error (fewer than 3 points, or all x equal)."""
    n = x.size
    if n < 3:
        return None
    x_mean = float(x.mean())
    dx = x - x_mean
    sxx = float(dx @ dx)
    if not sxx > 0 or not math.isfinite(sxx):
        return None
    if np.all(y == y[0]):
        # Exactly constant: said outright, because mean() may round (0.1 ten times is
        # not 0.1) and leave deviations of 1e-17 that would fake a slope and an r².
        return LineFit(0.0, float(y[0]), n, x_mean, sxx, 0.0, 0.0)
    # Values near the float limit overflow to inf or NaN, which the callers turn into
    # None; numpy need not warn about it.
    with np.errstate(over="ignore", invalid="ignore"):
        y_mean = float(y.mean())
        dy = y - y_mean
        slope = float(dx @ dy) / sxx
        intercept = y_mean - slope * x_mean
        residuals = dy - slope * dx
        # The sums from the residuals themselves, not Syy - slope * Sxy, which cancels
        # catastrophically when the fit is nearly perfect.
        sse = float(residuals @ residuals)
        syy = float(dy @ dy)
    return LineFit(slope, intercept, n, x_mean, sxx, sse, syy)


@dataclass(frozen=True)
class Trend:
    slope_per_day: float | None
    intercept: float | None  # fitted value at the first point's time (x = days since it)
    r_squared: float | None
    p_value: float | None  # two-sided p of the slope (t-test, n - 2 degrees of freedom)
    direction: str  # "increasing" | "decreasing" | "stable"
    n: int


def days_since_first(t: np.ndarray) -> np.ndarray:
    """x of the fits: days since the first point, small numbers whatever the epoch, so the
    sums of squares keep their precision."""
    return (t - t[0]) / DAY


def fit_trend(t: np.ndarray, v: np.ndarray) -> Trend:
    """The least-squares line of v against time in days since the first point (t[0]).

    Pairs with a NaN or infinite member are dropped first; n counts the pairs used.
    Fewer than 3 points, or all at one time: every figure None, "stable".
    Constant v: slope 0 and the constant as intercept, but r_squared and p_value None,
    since there is no variance to explain and no error to test against (0/0), hence
    "stable". A perfect non-constant line has r_squared 1 and p_value 0.
    The direction follows the slope's sign only when p < 0.05; otherwise "stable".
    """
    t, v = finite_pairs(t, v)
    fit = line_fit(days_since_first(t), v) if t.size else None
    if fit is None:
        return Trend(None, None, None, None, "stable", int(t.size))
    if fit.syy == 0:
        return Trend(0.0, fit.intercept, None, None, "stable", fit.n)
    r_squared = min(max(1.0 - fit.sse / fit.syy, 0.0), 1.0)
    p_value = slope_p_value(fit)
    direction = "stable"
    if p_value is not None and p_value < SIGNIFICANCE:
        direction = "increasing" if fit.slope > 0 else "decreasing"
    return Trend(
        finite_or_none(fit.slope),
        finite_or_none(fit.intercept),
        finite_or_none(r_squared),
        p_value,
        direction,
        fit.n,
    )


def slope_p_value(fit: LineFit) -> float | None:
    """Two-sided p of H0 slope = 0: t = slope / se, se = s / sqrt(Sxx), n - 2 dof."""
    se = math.sqrt(fit.sse / (fit.n - 2) / fit.sxx)
    if se == 0:
        # No residual at all: the slope is exact, so any nonzero slope is certain.
        return 0.0 if fit.slope != 0 else None
    return finite_or_none(float(2 * stats.t.sf(abs(fit.slope / se), fit.n - 2)))


def finite_or_none(x: float | None) -> float | None:
    """x as a Python float, or None where JSON could not carry it."""
    if x is None or not math.isfinite(x):
        return None
    return float(x)
