"""Forecasts: the linear prediction interval against the matrix form of the OLS formula,
the moving average by hand, Holt-Winters by its behaviour on simulated series (95%
interval coverage with a known noise, beating seasonal-naive, a line forecast exactly),
season detection on known cycles, and the edges (empty, short, constant, NaN)."""

import json
import math
import time
from dataclasses import asdict

import numpy as np
import pytest
from scipy import stats

from analytics.stats.forecast import METHODS, ForecastPoint, forecast, season_length

HOUR = 3600
DAY = 86400
START = 1_782_000_000 - 1_782_000_000 % DAY  # a midnight in 2026


def hourly(n: int) -> np.ndarray:
    return START + HOUR * np.arange(n, dtype=np.float64)


def daily_cycle(n: int, rng, sigma: float, level: float = 100.0, slope: float = 0.0):
    """level + slope per hour + a daily cycle (two harmonics) + N(0, sigma) noise."""
    k = np.arange(n)
    cycle = 10 * np.sin(2 * np.pi * k / 24) + 4 * np.cos(2 * np.pi * k / 12)
    return level + slope * k + cycle + rng.normal(0, sigma, n)


def columns(points: list[ForecastPoint]):
    return tuple(
        np.array([getattr(p, name) for p in points]) for name in ("value", "lower", "upper")
    )


def test_linear_matches_the_ols_prediction_interval_in_matrix_form():
    rng = np.random.default_rng(10)
    t = np.sort(START + rng.choice(30 * 24, 120, replace=False) * float(HOUR))  # with gaps
    v = 5 + 0.8 * (t - t[0]) / DAY + rng.normal(0, 2, t.size)

    points = forecast(t, v, interval=HOUR, horizon=48, method="linear")

    # Independent form: var(new obs) = s² (1 + x0ᵀ (XᵀX)⁻¹ x0), coefficients by lstsq.
    x = (t - t[0]) / DAY
    design = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(design, v, rcond=None)
    residuals = v - design @ coef
    s2 = residuals @ residuals / (v.size - 2)
    inverse = np.linalg.inv(design.T @ design)
    steps = t[-1] + HOUR * np.arange(1, 49)
    x0 = np.column_stack([np.ones(48), (steps - t[0]) / DAY])
    expected = x0 @ coef
    half = stats.t.ppf(0.975, v.size - 2) * np.sqrt(s2 * (1 + np.sum(x0 @ inverse * x0, axis=1)))

    value, lower, upper = columns(points)
    assert [p.timestamp for p in points] == steps.tolist()
    np.testing.assert_allclose(value, expected, rtol=1e-10)
    np.testing.assert_allclose(lower, expected - half, rtol=1e-10)
    np.testing.assert_allclose(upper, expected + half, rtol=1e-10)


def test_linear_needs_three_points():
    assert (
        forecast(hourly(2), np.array([1.0, 2.0]), interval=HOUR, horizon=3, method="linear") == []
    )
    points = forecast(
        hourly(3), np.array([1.0, 2.0, 4.0]), interval=HOUR, horizon=1, method="linear"
    )
    assert len(points) == 1
    assert points[0].lower < points[0].value < points[0].upper


def moving_average_by_hand(values: list[float], k: int):
    last = values[-k:]
    mean = sum(last) / k
    sd = math.sqrt(sum((x - mean) ** 2 for x in last) / (k - 1))
    half = stats.t.ppf(0.975, k - 1) * sd * math.sqrt(1 + 1 / k)
    return mean, mean - half, mean + half


def test_moving_average_without_a_season_averages_the_last_24_points():
    rng = np.random.default_rng(11)
    v = rng.normal(20, 3, 100)

    points = forecast(hourly(100), v, interval=HOUR, horizon=5, method="moving_average")

    mean, lower, upper = moving_average_by_hand(v.tolist(), 24)
    assert len(points) == 5
    for point in points:
        assert point.value == pytest.approx(mean, rel=1e-12)
        assert point.lower == pytest.approx(lower, rel=1e-12)
        assert point.upper == pytest.approx(upper, rel=1e-12)


def test_moving_average_with_a_season_averages_one_whole_season():
    rng = np.random.default_rng(12)
    t = START + 1800.0 * np.arange(48 * 5)  # half-hourly: a day is 48 points
    v = 50 + 10 * np.sin(2 * np.pi * np.arange(t.size) / 48) + rng.normal(0, 1, t.size)
    assert season_length(t, v, 1800) == 48

    points = forecast(t, v, interval=1800, horizon=2, method="moving_average")

    mean, lower, upper = moving_average_by_hand(v.tolist(), 48)
    assert (points[0].value, points[0].lower, points[0].upper) == pytest.approx(
        (mean, lower, upper), rel=1e-12
    )


def test_moving_average_with_fewer_than_24_points_uses_them_all_and_needs_two():
    v = [3.0, 5.0, 4.0, 8.0]
    points = forecast(hourly(4), np.array(v), interval=HOUR, horizon=1, method="moving_average")
    assert (points[0].value, points[0].lower, points[0].upper) == pytest.approx(
        moving_average_by_hand(v, 4), rel=1e-12
    )
    assert (
        forecast(hourly(1), np.array([3.0]), interval=HOUR, horizon=1, method="moving_average")
        == []
    )


def test_holt_winters_95_percent_interval_covers_about_95_percent_of_held_out_points():
    rng = np.random.default_rng(13)
    sigma = 2.0
    v = daily_cycle(24 * 30, rng, sigma)
    t = hourly(v.size)

    inside = total = 0
    half_widths = []
    for origin in range(24 * 20, v.size - 23, 24):  # 10 origins x 24 steps
        points = forecast(t[:origin], v[:origin], interval=HOUR, horizon=24, method="holt_winters")
        _, lower, upper = columns(points)
        actual = v[origin : origin + 24]
        inside += int(np.sum((lower <= actual) & (actual <= upper)))
        total += actual.size
        half_widths.append(np.mean(upper - lower) / 2)

    assert 0.85 <= inside / total <= 0.99
    # And not by being vague: the half width is close to 1.96 sigma.
    assert np.mean(half_widths) == pytest.approx(1.96 * sigma, rel=0.25)


def test_holt_winters_beats_seasonal_naive_on_a_seasonal_series_with_a_trend():
    rng = np.random.default_rng(14)
    v = daily_cycle(24 * 20, rng, sigma=0.5, slope=0.05)
    t = hourly(v.size)

    hw_errors, naive_errors = [], []
    for origin in range(24 * 14, v.size - 23, 24):
        value, _, _ = columns(
            forecast(t[:origin], v[:origin], interval=HOUR, horizon=24, method="holt_winters")
        )
        actual = v[origin : origin + 24]
        hw_errors.append(np.abs(actual - value))
        naive_errors.append(np.abs(actual - v[origin - 24 : origin]))

    assert np.mean(hw_errors) < 0.75 * np.mean(naive_errors)


def test_holt_winters_forecasts_a_straight_line_exactly():
    v = 3.0 + 0.5 * np.arange(200)
    points = forecast(hourly(200), v, interval=HOUR, horizon=10, method="holt_winters")
    value, lower, upper = columns(points)
    np.testing.assert_allclose(value, 3.0 + 0.5 * np.arange(200, 210), rtol=1e-6)
    assert np.all(upper - lower < 1e-6)


def test_holt_winters_fills_gaps_and_degrades_without_two_seasons():
    rng = np.random.default_rng(15)
    v = daily_cycle(24 * 12, rng, sigma=1.0)
    t = hourly(v.size)
    keep = np.ones(v.size, dtype=bool)
    keep[rng.choice(v.size - 1, 40, replace=False)] = False  # empty buckets, not the last
    gappy = forecast(t[keep], v[keep], interval=HOUR, horizon=24, method="holt_winters")
    assert len(gappy) == 24
    assert [p.timestamp for p in gappy] == (t[-1] + HOUR * np.arange(1, 25)).tolist()

    short = forecast(t[:30], v[:30], interval=HOUR, horizon=6, method="holt_winters")  # < 2 days
    assert len(short) == 6
    assert forecast(t[:5], v[:5], interval=HOUR, horizon=2, method="holt_winters")
    assert forecast(t[:3], v[:3], interval=HOUR, horizon=2, method="holt_winters") == []


def test_holt_winters_on_1000_hourly_points_is_fast():
    rng = np.random.default_rng(16)
    v = daily_cycle(1000, rng, sigma=2.0)
    forecast(hourly(1000), v, interval=HOUR, horizon=24, method="holt_winters")  # warm
    began = time.perf_counter()
    points = forecast(hourly(1000), v, interval=HOUR, horizon=24, method="holt_winters")
    assert time.perf_counter() - began < 1.0  # 5 to 30 ms measured
    assert len(points) == 24


def test_season_length_finds_a_daily_cycle_in_hourly_data_even_with_a_trend():
    rng = np.random.default_rng(17)
    assert season_length(hourly(24 * 10), daily_cycle(24 * 10, rng, sigma=2.0), HOUR) == 24
    trended = daily_cycle(24 * 10, rng, sigma=2.0, slope=0.5)
    assert season_length(hourly(24 * 10), trended, HOUR) == 24


def test_season_length_finds_a_weekly_only_pattern():
    rng = np.random.default_rng(18)
    k = np.arange(24 * 7 * 6)
    weekend = np.where((k // 24) % 7 >= 5, 40.0, 60.0)  # quieter Saturdays and Sundays
    assert season_length(hourly(k.size), weekend + rng.normal(0, 3, k.size), HOUR) == 168

    days = START + DAY * np.arange(10 * 7, dtype=np.float64)
    by_day = np.where(np.arange(days.size) % 7 >= 5, 40.0, 60.0) + rng.normal(0, 3, days.size)
    assert season_length(days, by_day, DAY) == 7


def test_season_length_prefers_the_week_only_when_the_week_adds_to_the_day():
    # Six weeks: both lags qualify; the week must explain more than the day repeated.
    rng = np.random.default_rng(21)
    n = 24 * 7 * 6
    k = np.arange(n)
    daily_only = daily_cycle(n, rng, sigma=2.0)
    assert season_length(hourly(n), daily_only, HOUR) == 24
    weekend_dip = daily_cycle(n, rng, sigma=2.0) - 5.0 * ((k // 24) % 7 >= 5)
    assert season_length(hourly(n), weekend_dip, HOUR) == 168


def test_season_length_finds_none_in_noise_a_random_walk_or_too_little_data():
    rng = np.random.default_rng(19)
    noise_found = [season_length(hourly(500), rng.normal(size=500), HOUR) for _ in range(20)]
    assert noise_found == [None] * 20
    assert season_length(hourly(500), np.cumsum(rng.normal(size=500)), HOUR) is None
    assert season_length(hourly(40), daily_cycle(40, rng, sigma=0.1), HOUR) is None
    assert season_length(hourly(100), np.full(100, 3.0), HOUR) is None
    assert season_length(np.array([]), np.array([]), HOUR) is None
    # 5,000 s divides neither a day nor a week: no candidate.
    assert season_length(START + 5000.0 * np.arange(500), rng.normal(size=500), 5000) is None


@pytest.mark.parametrize("method", METHODS)
def test_edges_never_raise_and_never_give_nan(method):
    assert forecast(np.array([]), np.array([]), interval=HOUR, horizon=5, method=method) == []
    assert forecast(hourly(1), np.array([1.0]), interval=HOUR, horizon=5, method=method) == []
    assert forecast(hourly(50), np.ones(50), interval=HOUR, horizon=0, method=method) == []

    constant = forecast(hourly(50), np.full(50, 4.5), interval=HOUR, horizon=3, method=method)
    assert [(p.value, p.lower, p.upper) for p in constant] == [(4.5, 4.5, 4.5)] * 3

    rng = np.random.default_rng(20)
    v = daily_cycle(24 * 5, rng, sigma=1.0)
    v[[3, 50, 70]] = [np.nan, np.inf, -np.inf]
    for values in (v, np.array([1e308, -1e308] * 30), np.array([0.0] * 59 + [1e300])):
        points = forecast(hourly(values.size), values, interval=HOUR, horizon=6, method=method)
        json.dumps([asdict(p) for p in points], allow_nan=False)
        assert all(p.lower <= p.value <= p.upper for p in points)
    assert len(forecast(hourly(v.size), v, interval=HOUR, horizon=6, method=method)) == 6


def test_an_unknown_method_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown forecast method"):
        forecast(hourly(10), np.ones(10), interval=HOUR, horizon=1, method="arima")
