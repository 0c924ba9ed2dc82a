"""Forecasts of a resampled metric with 95% prediction intervals: a straight line, a
moving average, and Holt-Winters (an ETS state space model, seasonal when the data has a
daily or weekly cycle).

The input is what ``trend.resample`` returns: bucket starts ascending, one mean each,
gaps where buckets were empty. No method raises on short or odd data; each returns []
(or a simpler model) instead, so a chart can always ask.
"""

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from threadpoolctl import ThreadpoolController

from analytics.stats.trend import DAY, days_since_first, finite_pairs, line_fit

METHODS = ("linear", "moving_average", "holt_winters")

WEEK = 7 * DAY
CONFIDENCE = 0.95
# A season is believed when the autocorrelation at its lag exceeds this and the value at
# half the lag. White noise of n points has an ACF of about ±2/sqrt(n), below 0.3 from
# 48 points on; a random walk's ACF is high but falls with the lag, so it fails the
# half-lag test; a cycle's ACF peaks at its lag and dips at half of it.
ACF_THRESHOLD = 0.3
# A weekly season over a daily one needs this p (see season_length).
NESTED_SEASON_P = 0.001
# The last points that season detection looks at: 5,000 hourly points are 30 weeks.
SEASON_WINDOW = 5000
# Holt-Winters fits the last 10 seasons, at most this many points: older data says
# little about the next hours and the fit's cost grows with the length.
HW_SEASONS = 10
HW_MAX_POINTS = 2000
# ETSModel's heuristic initial states (Hyndman & Athanasopoulos, section 2.6) need 10
# points; below that the initial level and trend are estimated with the parameters.
HW_HEURISTIC_MIN = 10
HW_MIN_POINTS = 4
MOVING_AVERAGE_MAX = 24


@dataclass(frozen=True)
class ForecastPoint:
    timestamp: float  # Unix seconds
    value: float
    lower: float  # 95% prediction interval
    upper: float


def forecast(
    t: np.ndarray, v: np.ndarray, *, interval: int, horizon: int, method: str
) -> list[ForecastPoint]:
    """`horizon` steps of `interval` seconds after the last point, by `method`:

    - linear: the least-squares line of ``fit_trend`` (x = days since the first point),
      with the classical OLS prediction interval
      yhat ± t(0.975, n-2) * s * sqrt(1 + 1/n + (x0 - xbar)² / Sxx). Needs 3 points.
    - moving_average: the mean of the last k points, k = the season length if there is
      one (at most n), else min(n, 24), flat, ± t(0.975, k-1) * sd * sqrt(1 + 1/k).
      Needs 2 points.
    - holt_winters: see ``holt_winters``. Needs 4 points.

    With fewer points than its method needs, an empty series, horizon <= 0, or a result
    that would overflow: []. NaN or infinite samples are dropped first. Every point has
    lower <= value <= upper, all finite.
    """
    if method not in METHODS:
        raise ValueError(f"unknown forecast method {method!r}, not one of {METHODS}")
    if interval <= 0:
        raise ValueError(f"interval must be positive, not {interval}")
    t, v = sorted_finite(t, v)
    if horizon <= 0 or t.size == 0:
        return []
    steps = t[-1] + interval * np.arange(1, horizon + 1, dtype=np.float64)
    # Values near the float limit overflow; as_points turns that into [] without numpy's
    # warnings.
    with np.errstate(over="ignore", invalid="ignore"):
        if method == "linear":
            bands = linear(t, v, steps)
        elif method == "moving_average":
            bands = moving_average(t, v, interval, horizon)
        else:
            bands = holt_winters(t, v, interval, horizon)
    if bands is None:
        return []
    return as_points(steps, *bands)


Bands = tuple[np.ndarray, np.ndarray, np.ndarray]  # value, lower, upper per step


def sorted_finite(t: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t, v = finite_pairs(t, v)
    if t.size > 1 and np.any(np.diff(t) < 0):
        order = np.argsort(t, kind="stable")
        t, v = t[order], v[order]
    return t, v


def as_points(
    steps: np.ndarray,
    value: np.ndarray | float,
    lower: np.ndarray | float,
    upper: np.ndarray | float,
) -> list[ForecastPoint]:
    """The bands as points, or [] if any figure overflowed: a forecast with a hole or an
    infinite interval would mislead more than none."""
    value, lower, upper = (
        np.broadcast_to(np.asarray(a, float), steps.shape) for a in (value, lower, upper)
    )
    if not (np.isfinite(value).all() and np.isfinite(lower).all() and np.isfinite(upper).all()):
        return []
    # Guards the contract against rounding in a zero-width interval.
    lower = np.minimum(lower, value)
    upper = np.maximum(upper, value)
    return [
        ForecastPoint(float(ts), float(y), float(lo), float(hi))
        for ts, y, lo, hi in zip(steps, value, lower, upper, strict=True)
    ]


def linear(t: np.ndarray, v: np.ndarray, steps: np.ndarray) -> Bands | None:
    """The OLS line and its prediction interval for a new observation at each step."""
    fit = line_fit(days_since_first(t), v)
    if fit is None:
        return None
    x0 = (steps - t[0]) / DAY
    value = fit.intercept + fit.slope * x0
    quantile = stats.t.ppf((1 + CONFIDENCE) / 2, fit.n - 2)
    half = quantile * fit.residual_sd * np.sqrt(1 + 1 / fit.n + (x0 - fit.x_mean) ** 2 / fit.sxx)
    return value, value - half, value + half


def moving_average(t: np.ndarray, v: np.ndarray, interval: int, horizon: int) -> Bands | None:
    """The mean of the last k points, flat: k spans a whole season when there is one, so
    the mean is not pulled by where in the cycle the data happens to end."""
    k = season_length(t, v, interval) or MOVING_AVERAGE_MAX
    k = min(k, v.size)
    if k < 2:
        return None
    last = v[-k:]
    mean = float(last.mean())
    half = stats.t.ppf((1 + CONFIDENCE) / 2, k - 1) * last.std(ddof=1) * math.sqrt(1 + 1 / k)
    value = np.full(horizon, mean)
    return value, value - half, value + half


def holt_winters(t: np.ndarray, v: np.ndarray, interval: int, horizon: int) -> Bands | None:
    """Additive Holt-Winters as statsmodels' ETSModel: additive error and trend, and an
    additive season when ``season_length`` finds one.

    ETS rather than ExponentialSmoothing because its state space form gives the exact
    95% prediction interval of the additive models (Hyndman et al. 2008, class 1), with
    no simulation noise and no simulation cost. The trend is not damped: the straight
    line is the model's limit, and a pure line is forecast exactly.

    Gaps in the grid are filled by linear interpolation first. The fit sees at most the
    last 10 seasons (2,000 points without a season); initial states are heuristic (from
    the first cycles) so that only the 3 smoothing parameters are optimised. Measured on
    2 cores shared with other work (load 3 to 5): 1,000 hourly points with a daily
    cycle, season detection included, 5 to 30 ms (240 points fitted); 60 days hourly
    with a weekly season (1,440 points, 168 seasonal states) 15 to 30 ms. Estimating
    the initial states as parameters instead took 80 ms (240 points) to 230 ms (1,000).

    Fewer than two whole seasons: the non-seasonal model (Holt's linear trend). Fewer
    than 4 points: None. If statsmodels cannot fit (degenerate data), the linear method.
    """
    season = season_length(t, v, interval)
    window = min(HW_SEASONS * season, HW_MAX_POINTS) if season else HW_MAX_POINTS
    _, y = regular_grid(t, v, interval, window)
    if y.size < HW_MIN_POINTS:
        return None
    if np.all(y == y[0]):
        # Nothing to smooth, and a zero variance makes the likelihood degenerate.
        value = np.full(horizon, y[0])
        return value, value, value
    if season and y.size < max(2 * season, HW_HEURISTIC_MIN + 2 * (season // 2)):
        season = None
    try:
        bands = ets_forecast(y, season, horizon)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError):
        bands = None
    if bands is None or not all(np.isfinite(band).all() for band in bands):
        steps = t[-1] + interval * np.arange(1, horizon + 1, dtype=np.float64)
        return linear(t, v, steps)
    return bands


def ets_forecast(y: np.ndarray, season: int | None, horizon: int) -> Bands:
    # A pandas Series, not the array: statsmodels 0.15's get_prediction reads
    # predicted_mean.index and fails on plain arrays.
    endog = pd.Series(y)
    with (
        blas().limit(limits=1, user_api="blas"),
        warnings.catch_warnings(),
        np.errstate(all="ignore"),
    ):
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ETSModel(
            endog,
            error="add",
            trend="add",
            seasonal="add" if season else None,
            seasonal_periods=season,
            initialization_method=("heuristic" if y.size >= HW_HEURISTIC_MIN else "estimated"),
        )
        result = model.fit(disp=False)
        frame = result.get_prediction(start=y.size, end=y.size + horizon - 1).summary_frame(
            alpha=1 - CONFIDENCE
        )
    return (
        frame["mean"].to_numpy(dtype=np.float64),
        frame["pi_lower"].to_numpy(dtype=np.float64),
        frame["pi_upper"].to_numpy(dtype=np.float64),
    )


@functools.cache
def blas() -> ThreadpoolController:
    """The BLAS libraries loaded, to run the fit on one thread: L-BFGS-B on 3 parameters
    makes thousands of tiny BLAS calls, and OpenBLAS's threads spinning for them on a
    busy machine (web and task workers sharing the cores) made one fit 10x slower
    (150 ms instead of 15 ms). threadpoolctl comes with scikit-learn."""
    return ThreadpoolController()


def season_length(t: np.ndarray, v: np.ndarray, interval: int) -> int | None:
    """Points per season, if the regularly spaced data has a daily or weekly cycle.

    Candidates: 86400 / interval and 604800 / interval when whole numbers >= 2. A
    candidate m needs two whole seasons (2m points on the grid, gaps interpolated, the
    last 5,000 at most) and, on the series less its least-squares line (a trend
    correlates at every lag), an autocorrelation at lag m above 0.3 and above that at
    lag m // 2.

    When both pass, the evidence is weighed directly, because a daily cycle repeats
    every week too and so correlates at both lags: the week wins only if its per-phase
    means explain significantly more than the day's (F-test of the nested fits, p <
    0.001). A week of hourly states costs HW 7x the data and adapts 7x more slowly, so
    it must earn its place; on a weekday/weekend pattern it does (the backtest's
    seasonal series: MASE 0.53 with the week, 0.67 with the day).
    """
    if interval <= 0:
        return None
    candidates = [
        int(period // interval)
        for period in (DAY, WEEK)
        if (period / interval).is_integer() and period // interval >= 2
    ]
    t, v = sorted_finite(t, v)
    if not candidates or t.size < 2:
        return None
    _, y = regular_grid(t, v, interval, SEASON_WINDOW)
    y = detrended(y)
    passing = [
        m
        for m in candidates
        if y.size >= 2 * m
        and (peak := autocorrelation(y, m)) > ACF_THRESHOLD
        and peak > autocorrelation(y, m // 2)
    ]
    if len(passing) == 2:
        day, week = passing
        return week if longer_season_is_better(y, day, week) else day
    return passing[0] if passing else None


def longer_season_is_better(y: np.ndarray, short: int, long: int) -> bool:
    """Whether means per phase of the `long` season (which nests `short`) fit y
    significantly better than those of the short one: an F-test of the nested models."""
    rss_short, rss_long = phase_rss(y, short), phase_rss(y, long)
    dof_long = y.size - long
    if dof_long <= 0 or not rss_long > 0:
        return rss_long < rss_short
    f = ((rss_short - rss_long) / (long - short)) / (rss_long / dof_long)
    return bool(stats.f.sf(f, long - short, dof_long) < NESTED_SEASON_P)


def phase_rss(y: np.ndarray, m: int) -> float:
    """Residual sum of squares of y about its mean at each phase of a season of m."""
    phase = np.arange(y.size) % m
    means = np.bincount(phase, weights=y, minlength=m) / np.bincount(phase, minlength=m)
    residuals = y - means[phase]
    return float(residuals @ residuals)


def regular_grid(
    t: np.ndarray, v: np.ndarray, interval: int, max_points: int
) -> tuple[np.ndarray, np.ndarray]:
    """The last `max_points` (at most) points of a grid of step `interval` ending at the
    last sample, values linearly interpolated between the samples around them."""
    if t.size == 0:
        return np.empty(0), np.empty(0)
    span = (t[-1] - t[0]) // interval  # inf only for absurd times, which get the cap
    steps = int(min(span, max_points - 1)) if math.isfinite(span) else max_points - 1
    grid = t[-1] - interval * np.arange(steps, -1, -1, dtype=np.float64)
    return grid, np.interp(grid, t, v)


def detrended(y: np.ndarray) -> np.ndarray:
    x = np.arange(y.size, dtype=np.float64)
    fit = line_fit(x, y)
    if fit is None:
        return y - y.mean()
    return y - (fit.intercept + fit.slope * x)


def autocorrelation(y: np.ndarray, lag: int) -> float:
    """The usual (biased) sample ACF: sum of lagged products over the total sum of squares,
    0 for a constant series."""
    x = y - y.mean()
    total = float(x @ x)
    if lag <= 0 or lag >= x.size or not total > 0:
        return 0.0
    return float(x[:-lag] @ x[lag:]) / total
