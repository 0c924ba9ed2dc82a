"""Two periods of raw samples side by side: their summaries, the change in the mean, and
whether the difference is more than noise (Welch's t-test, which does not assume equal
variances, and Mann-Whitney's U, which does not assume normality: latencies are
skewed).

Every figure is a Python float or None, never NaN or infinity (JSON carries neither).
NaN and infinite samples are dropped before anything is computed.
"""

import math
import warnings

import numpy as np
from scipy import stats

from analytics.stats.trend import SIGNIFICANCE, finite_or_none


def finite(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64).ravel()
    return v[np.isfinite(v)]


def describe(v: np.ndarray) -> dict:
    """{"count", "mean", "median", "p95", "stdev"}: stdev is the sample one (ddof=1), p95
    numpy's default (linear interpolation between order statistics). Empty: count 0 and
    the rest None; one sample: stdev None."""
    v = finite(v)
    if v.size == 0:
        return {"count": 0, "mean": None, "median": None, "p95": None, "stdev": None}
    # Samples near the float limit overflow the sums; finite_or_none makes that None.
    with np.errstate(over="ignore", invalid="ignore"):
        return {
            "count": int(v.size),
            "mean": finite_or_none(float(v.mean())),
            "median": finite_or_none(float(np.median(v))),
            "p95": finite_or_none(float(np.percentile(v, 95))),
            "stdev": finite_or_none(float(v.std(ddof=1))) if v.size > 1 else None,
        }


def compare(a: np.ndarray, b: np.ndarray) -> dict:
    """a is the baseline period, b the compared one.

    change_percent: (mean b - mean a) / mean a * 100; None when either is empty or
    mean a is 0. welch: {"t", "p_value"} of a against b, both None when undefined
    (fewer than 2 samples in either, or no variance in both). mann_whitney: {"u",
    "p_value"}, U of a, two-sided (scipy's default: exact for small samples without
    ties, else the normal approximation with tie and continuity corrections); None
    when either is empty. significant: either p < 0.05.
    """
    a, b = finite(a), finite(b)
    summary_a, summary_b = describe(a), describe(b)
    welch = welch_test(a, b)
    mann_whitney = mann_whitney_test(a, b)
    p_values = [p for p in (welch["p_value"], mann_whitney["p_value"]) if p is not None]
    return {
        "a": summary_a,
        "b": summary_b,
        "change_percent": change_percent(summary_a["mean"], summary_b["mean"]),
        "welch": welch,
        "mann_whitney": mann_whitney,
        "significant": any(p < SIGNIFICANCE for p in p_values),
    }


def change_percent(mean_a: float | None, mean_b: float | None) -> float | None:
    if mean_a is None or mean_b is None or mean_a == 0:
        return None
    return finite_or_none((mean_b - mean_a) / mean_a * 100)


def welch_test(a: np.ndarray, b: np.ndarray) -> dict:
    if a.size < 2 or b.size < 2:
        return {"t": None, "p_value": None}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # Both constant: scipy warns of the 0/0 it returns as NaN, which is our None.
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ttest_ind(a, b, equal_var=False)
    return pair("t", result.statistic, result.pvalue)


def mann_whitney_test(a: np.ndarray, b: np.ndarray) -> dict:
    if a.size == 0 or b.size == 0:
        return {"u": None, "p_value": None}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # All samples tied: the normal approximation's variance is 0 and p is NaN.
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.mannwhitneyu(a, b, alternative="two-sided")
    return pair("u", result.statistic, result.pvalue)


def pair(name: str, statistic: float, p_value: float) -> dict:
    """A statistic and its p, both None if either is undefined: a p without its
    statistic (or an infinite t) would mislead."""
    statistic, p_value = float(statistic), float(p_value)
    if not (math.isfinite(statistic) and math.isfinite(p_value)):
        return {name: None, "p_value": None}
    return {name: statistic, "p_value": min(max(p_value, 0.0), 1.0)}
