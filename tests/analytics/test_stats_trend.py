"""Resampling and the trend line, each checked against an independent computation: a plain
Python loop for the buckets, np.polyfit and the normal equations for the line, the slope's
t statistic written out for its p."""

import json
import math
import time
from collections import defaultdict
from dataclasses import asdict

import numpy as np
import pytest
from scipy import stats

from analytics.stats.trend import Trend, fit_trend, resample

DAY = 86400.0
EPOCH = 1_782_000_000.0  # mid 2026


def buckets_by_loop(t, v, interval):
    groups = defaultdict(list)
    for ti, vi in zip(t.tolist(), v.tolist(), strict=True):
        groups[math.floor(ti / interval) * interval].append(vi)
    starts = sorted(groups)
    return starts, [sum(groups[s]) / len(groups[s]) for s in starts]


def test_resample_matches_a_python_loop_on_irregular_repeated_times_with_empty_buckets():
    rng = np.random.default_rng(1)
    # Irregular times over 5 days, then a 2-day hole, then more; every 7th time repeated.
    t = np.concatenate(
        [EPOCH + rng.uniform(0, 5 * DAY, 3000), EPOCH + rng.uniform(7 * DAY, 8 * DAY, 500)]
    )
    t = np.concatenate([t, t[::7]])
    v = rng.normal(50, 10, t.size)
    order = rng.permutation(t.size)  # any order
    t, v = t[order], v[order]

    for interval in (60, 300, 3600, 86400):
        starts, means = resample(t, v, interval)
        expected_starts, expected_means = buckets_by_loop(t, v, interval)
        assert starts.tolist() == expected_starts
        np.testing.assert_allclose(means, expected_means, rtol=1e-12)
        assert np.all(np.diff(starts) > 0)
        assert np.all(starts % interval == 0)


def test_resample_aligns_buckets_to_the_epoch_and_leaves_empty_ones_out():
    t = np.array([1000.0, 1019.0, 1020.0, 1200.0, 1000.0])
    v = np.array([1.0, 2.0, 4.0, 8.0, 3.0])
    starts, means = resample(t, v, 60)
    assert starts.tolist() == [960.0, 1020.0, 1200.0]
    assert means.tolist() == [2.0, 4.0, 8.0]


def test_resample_of_nothing_is_nothing_and_non_finite_samples_are_dropped():
    starts, means = resample(np.array([]), np.array([]), 60)
    assert starts.size == 0
    assert means.size == 0

    starts, means = resample(
        np.array([0.0, 10.0, 70.0, np.nan]), np.array([1.0, np.nan, np.inf, 5.0]), 60
    )
    assert starts.tolist() == [0.0]
    assert means.tolist() == [1.0]


def test_resample_refuses_a_non_positive_interval_and_mismatched_lengths():
    with pytest.raises(ValueError, match="interval"):
        resample(np.array([1.0]), np.array([1.0]), 0)
    with pytest.raises(ValueError, match="length"):
        resample(np.array([1.0, 2.0]), np.array([1.0]), 60)


def test_resample_handles_50000_samples_in_a_few_milliseconds():
    rng = np.random.default_rng(2)
    t = EPOCH + rng.uniform(0, 30 * DAY, 50_000)
    v = rng.normal(size=t.size)
    best = math.inf
    for _ in range(5):
        began = time.perf_counter()
        resample(t, v, 300)
        best = min(best, time.perf_counter() - began)
    assert best < 0.05  # a few ms on a laptop; generous for a loaded CI machine


def by_normal_equations(t, v):
    """slope, intercept, r², p of the slope from (XᵀX) b = Xᵀy and var(b) = s² (XᵀX)⁻¹."""
    x = (t - t[0]) / DAY
    design = np.column_stack([np.ones_like(x), x])
    gram = design.T @ design
    intercept, slope = np.linalg.solve(gram, design.T @ v)
    residuals = v - design @ np.array([intercept, slope])
    n = v.size
    s2 = residuals @ residuals / (n - 2)
    se = math.sqrt(s2 * np.linalg.inv(gram)[1, 1])
    p = 2 * stats.t.sf(abs(slope / se), n - 2)
    r_squared = np.corrcoef(x, v)[0, 1] ** 2
    return slope, intercept, r_squared, p


@pytest.mark.parametrize(
    ("slope_per_day", "direction"), [(2.5, "increasing"), (-1.5, "decreasing")]
)
def test_fit_trend_matches_polyfit_and_the_normal_equations(slope_per_day, direction):
    rng = np.random.default_rng(3)
    t = np.sort(EPOCH + rng.uniform(0, 14 * DAY, 200))
    v = 40 + slope_per_day * (t - t[0]) / DAY + rng.normal(0, 3, t.size)

    trend = fit_trend(t, v)

    poly_slope, poly_intercept = np.polyfit((t - t[0]) / DAY, v, 1)
    slope, intercept, r_squared, p = by_normal_equations(t, v)
    assert trend.slope_per_day == pytest.approx(poly_slope, rel=1e-9)
    assert trend.intercept == pytest.approx(poly_intercept, rel=1e-9)
    assert trend.slope_per_day == pytest.approx(slope, rel=1e-9)
    assert trend.intercept == pytest.approx(intercept, rel=1e-9)
    assert trend.r_squared == pytest.approx(r_squared, rel=1e-9)
    assert trend.p_value == pytest.approx(p, rel=1e-6, abs=1e-300)
    assert trend.p_value < 0.05
    assert trend.direction == direction
    assert trend.n == 200


def test_a_weak_slope_in_noise_is_stable_with_its_p_value_reported():
    rng = np.random.default_rng(4)
    t = EPOCH + 3600.0 * np.arange(48)
    v = 10 + rng.normal(0, 5, t.size)

    trend = fit_trend(t, v)

    slope, _, r_squared, p = by_normal_equations(t, v)
    assert p >= 0.05
    assert trend.p_value == pytest.approx(p, rel=1e-9)
    assert trend.slope_per_day == pytest.approx(slope, rel=1e-9)
    assert trend.r_squared == pytest.approx(r_squared, rel=1e-9)
    assert trend.direction == "stable"


def test_the_slope_is_per_day_and_the_intercept_at_the_first_point_whatever_the_epoch():
    t = EPOCH + 600.0 * np.arange(500)
    v = 7.0 + 0.25 * (t - t[0]) / DAY

    trend = fit_trend(t, v)

    assert trend.slope_per_day == pytest.approx(0.25, rel=1e-9)
    assert trend.intercept == pytest.approx(7.0, rel=1e-12)
    assert trend.r_squared == pytest.approx(1.0)
    assert trend.p_value == pytest.approx(0.0, abs=1e-12)
    assert trend.direction == "increasing"


@pytest.mark.parametrize(
    ("t", "v"),
    [
        ([], []),
        ([EPOCH], [1.0]),
        ([EPOCH, EPOCH + 60], [1.0, 2.0]),
        ([EPOCH, EPOCH, EPOCH], [1.0, 2.0, 3.0]),  # no variance in time
    ],
)
def test_too_few_points_or_one_instant_give_no_trend(t, v):
    trend = fit_trend(np.array(t), np.array(v))
    assert trend == Trend(None, None, None, None, "stable", len(t))


def test_constant_values_have_a_zero_slope_and_no_r_squared_or_p():
    t = EPOCH + 60.0 * np.arange(10)
    trend = fit_trend(t, np.full(10, 0.1))
    assert trend == Trend(0.0, 0.1, None, None, "stable", 10)


def test_non_finite_samples_are_left_out_and_nothing_non_finite_comes_out():
    t = EPOCH + 3600.0 * np.arange(6)
    v = np.array([1.0, 2.0, np.nan, 4.0, np.inf, 6.0])

    trend = fit_trend(t, v)

    assert trend.n == 4
    assert trend.slope_per_day == pytest.approx(24.0)
    json.dumps(asdict(trend), allow_nan=False)
    for values in ([1e308, -1e308, 1e308, -1e308], [5.0, 5.0, 5.0, 5.0], [1.0, 2.0, 3.0, 4.0]):
        json.dumps(asdict(fit_trend(t[:4], np.array(values))), allow_nan=False)
