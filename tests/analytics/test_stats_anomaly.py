"""Anomaly detection (analytics.stats.anomaly), each statistic checked against an
independent computation: plain loops with the statistics module, np.median by hand, the
generator's own seasonal pattern. No database."""

import math
import statistics
import warnings

import numpy as np
import pytest
from scipy import stats

from analytics.stats import anomaly
from analytics.stats.anomaly import METHODS, Finding, detect, severity

START = 1767571200  # 2026-01-05 00:00 UTC, a Monday
HOUR = 3600


def hourly(n: int) -> np.ndarray:
    return START + HOUR * np.arange(n, dtype=np.float64)


def seasonal_base(t: np.ndarray) -> np.ndarray:
    """Level 100, a bump of 10 peaking at 14:00 UTC, half as high and 3 lower at the
    weekend."""
    hour = (t // HOUR) % 24
    weekend = ((t // 86400 + 3) % 7) >= 5
    bump = 10 * np.exp(-(((hour - 14) / 4) ** 2))
    return 100 + np.where(weekend, 0.5 * bump - 3, bump)


def seasonal_series(weeks: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t, v, base): hourly, noise of sigma 1 clipped at 2.5 sigmas, so that no ordinary
    point can honestly be reported and every finding is the method's doing."""
    t = hourly(weeks * 168)
    base = seasonal_base(t)
    noise = np.clip(np.random.default_rng(seed).normal(0, 1, t.size), -2.5, 2.5)
    return t, base + noise, base


def scores(findings: list[Finding]) -> dict[int, float]:
    return {finding.index: finding.score for finding in findings}


# The calendar


def test_hour_and_day_of_week_are_utc_from_a_thursday_epoch():
    t = np.array([0.0, 3599.0, 3600.0, 86400.0 * 4, START, START + 6 * 86400 + 23 * HOUR])
    assert anomaly.hour_of_day(t).tolist() == [0, 0, 1, 0, 0, 23]
    assert anomaly.day_of_week(t).tolist() == [3, 3, 3, 0, 0, 6]  # Monday = 0


# rolling_z


def test_rolling_z_matches_a_plain_loop_with_the_statistics_module():
    rng = np.random.default_rng(1)
    t = np.sort(START + rng.uniform(0, 60 * HOUR, 60))  # irregular
    v = rng.normal(50, 5, 60)
    v[40] += 30

    found = detect(t, v, method="rolling_z", threshold=0.0)

    window, first = anomaly.ROLLING_WINDOW, anomaly.MIN_HISTORY
    assert [f.index for f in found] == list(range(first, 60))
    for finding in found:
        i = finding.index
        previous = [float(x) for x in v[max(0, i - window) : i]]
        mean, sd = statistics.mean(previous), statistics.stdev(previous)
        assert finding.expected == pytest.approx(mean, rel=1e-12)
        assert finding.score == pytest.approx(abs(v[i] - mean) / sd, rel=1e-9)
        assert (finding.timestamp, finding.value) == (t[i], v[i])
        assert finding.method == "rolling_z"
    assert max(found, key=lambda f: f.score).index == 40


def test_rolling_z_default_threshold_is_as_rare_as_3_5_sigmas_for_its_window():
    # Under Gaussian noise the z against 24 samples' own mean and deviation is Student's t
    # with 23 degrees of freedom, times sqrt(1 + 1/24).
    window = anomaly.ROLLING_WINDOW
    z = anomaly.DEFAULT_THRESHOLDS["rolling_z"] / math.sqrt(1 + 1 / window)
    tail = 2 * stats.t.sf(z, window - 1)
    assert tail == pytest.approx(2 * stats.norm.sf(anomaly.DEFAULT_THRESHOLD), rel=0.1)


def test_rolling_z_returns_what_reaches_the_threshold():
    rng = np.random.default_rng(2)
    v = rng.normal(0, 1, 200)
    v[150] = 12.0
    everything = detect(hourly(200), v, method="rolling_z", threshold=0.0)
    found = detect(hourly(200), v, method="rolling_z")
    default = anomaly.DEFAULT_THRESHOLDS["rolling_z"]
    assert [f.index for f in found] == [f.index for f in everything if f.score >= default]
    assert 150 in {f.index for f in found}


# robust_z


def test_robust_z_without_seasonality_matches_median_and_mad_by_hand():
    # 40 hours: too short for a daily profile, so only the level is removed: the median
    # of the hourly values before the point's hour (at most a week of them).
    rng = np.random.default_rng(3)
    v = rng.normal(20, 2, 40) + np.linspace(0, 3, 40)
    v[30] += 15

    found = detect(hourly(40), v, method="robust_z", threshold=0.0)

    level = np.array([v[0]] + [np.median(v[:i]) for i in range(1, 40)])
    r = v - level
    judged = r[anomaly.ROBUST_MIN_HISTORY :]
    centre = np.median(judged)
    mad = np.median(np.abs(judged - centre))
    assert [f.index for f in found] == list(range(anomaly.ROBUST_MIN_HISTORY, 40))
    for finding in found:
        i = finding.index
        assert finding.score == pytest.approx(abs(0.6745 * (r[i] - centre) / mad), rel=1e-9)
        assert finding.expected == pytest.approx(level[i] + centre, rel=1e-12)
    assert max(found, key=lambda f: f.score).index == 30


def test_robust_scale_falls_back_to_the_mean_absolute_deviation_then_a_floor():
    mostly_equal = np.array([3.0] * 7 + [4.0, 6.0, 0.0])
    centre, sigma = anomaly.robust_scale(mostly_equal)
    assert centre == 3.0
    assert sigma == pytest.approx((1 + 3 + 3) / 10 / math.sqrt(2 / math.pi))
    centre, sigma = anomaly.robust_scale(np.full(10, 1e6))
    assert (centre, sigma) == (1e6, pytest.approx(1e-3))


def test_leave_one_out_medians_match_a_loop():
    rng = np.random.default_rng(4)
    groups = rng.integers(0, 6, 80)
    groups[groups == 5] = 4  # no group 5; group 4 larger
    groups[0] = 5  # a group of one
    values = rng.normal(0, 1, 80).round(1)  # ties too
    got = anomaly._leave_one_out_medians(groups, values)
    for i in range(80):
        others = values[(groups == groups[i]) & (np.arange(80) != i)]
        if others.size == 0:
            assert np.isnan(got[i])
        else:
            assert got[i] == pytest.approx(np.median(others))


def test_seasonal_profile_recovers_the_generated_pattern():
    t, v, base = seasonal_series(weeks=4, seed=5)
    baseline = anomaly.seasonal_baseline(t, v)
    # Weekends differ from weekdays, so a profile that tells them apart is chosen.
    assert baseline.season in ("workweek", "week")
    error = baseline.expected - base
    assert np.median(np.abs(error)) < 0.4
    assert np.abs(error).max() < 1.5
    # The daily cycle itself, each slot a median of 20 values on weekdays, 8 at the
    # weekend (so within about 0.2 and 0.4 of the truth).
    for day, slack in ((2, 0.8), (6, 1.5)):
        hours = np.flatnonzero(anomaly.day_of_week(t) == day)[:24]
        cycle = baseline.profile[baseline.slot[hours]]
        truth = base[hours]
        error = (cycle - np.median(cycle)) - (truth - np.median(truth))
        assert np.abs(error).max() < slack
        assert abs(int(np.argmax(cycle)) - 14) <= 2


def test_a_flat_series_gets_no_seasonal_profile():
    t = hourly(4 * 168)
    v = np.random.default_rng(6).normal(100, 1, t.size)
    assert anomaly.seasonal_baseline(t, v).season == "none"


def test_a_daily_cycle_alone_gets_a_profile_by_hour_of_day():
    # Per hour of week would fit as well, from a seventh of the values per slot.
    t = hourly(4 * 168)
    noise = np.clip(np.random.default_rng(12).normal(0, 1, t.size), -2.5, 2.5)
    v = 50 + 8 * np.sin(2 * np.pi * anomaly.hour_of_day(t) / 24) + noise
    assert anomaly.seasonal_baseline(t, v).season == "day"


# A 6-sigma spike on a seasonal series


@pytest.mark.parametrize("method", ["robust_z", "isolation_forest"])
def test_a_six_sigma_spike_at_the_daily_peak_is_the_only_finding(method):
    t, v, base = seasonal_series(weeks=6, seed=7)
    history = 5 * 168
    spike = history + 2 * 24 + 14  # Wednesday 14:00, the top of the daily bump
    v[spike] += 6

    found = detect(t, v, method=method, new_from=history)

    assert [f.index for f in found] == [spike]
    assert found[0].expected == pytest.approx(base[spike], abs=1.0)
    assert found[0].score >= 4.5
    assert severity(found[0].score) in ("medium", "high", "critical")


@pytest.mark.parametrize("method", ["robust_z", "isolation_forest"])
def test_per_minute_samples_are_profiled_by_the_hour(method):
    t = START + 60.0 * np.arange(3 * 1440)
    base = 20 + 3 * np.sin(2 * np.pi * anomaly.hour_of_day(t) / 24)
    v = base + np.clip(np.random.default_rng(13).normal(0, 1, t.size), -2.5, 2.5)
    spike = 2 * 1440 + 1120
    v[spike] += 6

    found = detect(t, v, method=method, new_from=2 * 1440)

    assert [f.index for f in found] == [spike]
    assert found[0].expected == pytest.approx(base[spike], abs=0.3)


def test_isolation_forest_scans_a_long_series_in_chunks():
    # More points than FOREST_TRAINING: scanned FOREST_TRAINING new points at a time, as
    # its docstring advises, a spike at either end is found.
    t, v, base = seasonal_series(weeks=42, seed=14)
    chunk = anomaly.FOREST_TRAINING
    assert t.size > 2 * chunk
    early, late = 500, t.size - 300
    v[early] += 8
    v[late] -= 8

    found = []
    for start in range(0, t.size, chunk):
        end = start + chunk
        found += detect(t[:end], v[:end], method="isolation_forest", new_from=start)

    # The forest scores relative to what it was fitted on: a chunk without a spike can
    # have its most isolated noise point just over the threshold, so the spikes are the
    # top two, not the only two.
    top = sorted(found, key=lambda f: f.score)[-2:]
    assert sorted(f.index for f in top) == [early, late]
    assert [f.expected for f in top] == pytest.approx(base[[f.index for f in top]], abs=1.0)
    assert min(f.score for f in top) >= 6
    # All at once, fitted on a sample of the new points: every point still scored.
    at_once = detect(t, v, method="isolation_forest", threshold=0.0)
    assert [f.index for f in at_once] == list(range(anomaly.ROBUST_MIN_HISTORY, t.size))


def test_rolling_z_does_not_see_the_spike_through_the_daily_cycle():
    # What bench/anomaly_quality.py measures at scale: the day's swing inflates the
    # window's deviation, so a 6-sigma spike stays under the threshold.
    t, v, _ = seasonal_series(weeks=2, seed=7)
    spike = 168 + 2 * 24 + 14
    v[spike] += 6
    assert spike not in scores(detect(t, v, method="rolling_z"))


# new_from


@pytest.mark.parametrize("method", METHODS)
def test_new_from_hides_the_history(method):
    t, v, _ = seasonal_series(weeks=3, seed=8)
    old, new = 2 * 168 + 10, 2 * 168 + 100
    v[old] += 30
    v[new] += 30
    history = 2 * 168 + 50

    everything = detect(t, v, method=method, new_from=0)
    found = detect(t, v, method=method, new_from=history)

    assert {old, new} <= set(scores(everything))
    assert new in scores(found)
    assert all(f.index >= history for f in found)
    assert [f.index for f in found] == sorted(f.index for f in found)


@pytest.mark.parametrize("method", METHODS)
def test_new_from_past_the_end_finds_nothing(method):
    t, v, _ = seasonal_series(weeks=1, seed=9)
    assert detect(t, v, method=method, new_from=t.size) == []


# Severity


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0.0, None),
        (3.49, None),
        (3.5, "low"),
        (4.49, "low"),
        (4.5, "medium"),
        (5.0, "medium"),  # a 5-sigma spike: looked at, no incident
        (5.99, "medium"),
        (6.0, "high"),  # an incident from here
        (7.99, "high"),
        (8.0, "critical"),
        (anomaly.SCORE_CAP, "critical"),
    ],
)
def test_severity_bands(score, expected):
    assert severity(score) == expected


# Degenerate input


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("level", [0.0, 7.25, -3e9])
def test_a_constant_series_gives_no_findings_and_no_warnings(method, level):
    t = hourly(3 * 168)
    v = np.full(t.size, level)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert detect(t, v, method=method) == []
        scored = detect(t, v, method=method, threshold=0.0)
    # Scored (not skipped as NaN), and every score 0.
    assert len(scored) == t.size - (10 if method == "rolling_z" else 24)
    assert {f.score for f in scored} == {0.0}
    assert {f.expected for f in scored} == {level}


@pytest.mark.parametrize("method", METHODS)
def test_a_step_out_of_a_flat_line_is_critical_but_finite(method):
    t = hourly(3 * 168)
    v = np.full(t.size, 7.25)
    v[-1] = 8.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = detect(t, v, method=method)
    assert [f.index for f in found] == [t.size - 1]
    assert 8 <= found[0].score <= anomaly.SCORE_CAP
    assert found[0].expected == 7.25


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("n", [0, 1, 5, 11, 30])
def test_too_little_history_is_skipped_not_raised(method, n):
    rng = np.random.default_rng(n)
    found = detect(hourly(n), rng.normal(0, 1, n), method=method, threshold=0.0)
    first = anomaly.MIN_HISTORY if method == "rolling_z" else anomaly.ROBUST_MIN_HISTORY
    assert all(f.index >= first for f in found)
    assert len(found) == max(0, n - first)


@pytest.mark.parametrize("method", METHODS)
def test_nan_and_infinite_samples_are_ignored_and_findings_are_finite(method):
    t, v, _ = seasonal_series(weeks=3, seed=10)
    v[400] = np.nan
    v[401] = np.inf
    t[402] = np.nan
    spike = 450
    v[spike] += 30

    found = detect(t, v, method=method, new_from=300, threshold=0.0)

    indices = [f.index for f in found]
    assert not {400, 401, 402} & set(indices)
    assert spike in indices
    assert indices == sorted(indices)
    for f in found:
        values = (f.timestamp, f.value, f.expected, f.score)
        assert all(math.isfinite(x) for x in values)
        assert (f.timestamp, f.value) == (t[f.index], v[f.index])
        assert f.score >= 0


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="unknown method"):
        detect(hourly(3), np.zeros(3), method="prophet")
    with pytest.raises(ValueError, match="differ in length"):
        detect(hourly(3), np.zeros(4), method="robust_z")


# Repeatability


@pytest.mark.parametrize("method", METHODS)
def test_results_are_repeatable(method):
    t, v, _ = seasonal_series(weeks=3, seed=11)
    v[450] += 8
    first = detect(t, v, method=method, new_from=400, threshold=1.0)
    assert first
    assert detect(t, v, method=method, new_from=400, threshold=1.0) == first
