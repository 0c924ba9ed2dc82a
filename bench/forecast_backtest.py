"""Forecast accuracy: a rolling-origin backtest of each method of
``analytics.stats.forecast`` on synthetic hourly series, as MASE against the seasonal-naive
forecast (below 1: better than repeating yesterday), with the 95% intervals' coverage and
the time per forecast.

    .venv/bin/python bench/forecast_backtest.py [--days 60] [--origins 14] [--series 5]

No database, no Django: the methods are pure functions. Each series is ``--days`` days of
hourly samples (timestamps jittered by up to a minute, about 1% missing), resampled to
hourly buckets by ``trend.resample`` as the product does, with a fixed seed per (kind,
number), so every run sees the same series:

  seasonal      level 100, a daily cycle of amplitude 20, Saturdays and Sundays 15
                lower, Gaussian noise of sigma 5: both a daily and a weekly season.
  trend+daily   level 50 rising 1.2 a day, a daily cycle of amplitude 10, noise 2.
  random walk   level 100 plus the running sum of N(0, 1) steps.
  noisy level   level 100, noise of sigma 10, nothing else.

The origins are the last ``--origins`` midnights; from each, every method forecasts the
next 24 hours from the buckets before it. For one series and origin:

  MASE      mean |actual - forecast| over the 24 hours, divided by the in-sample mean
            |y[t] - y[t - 24]| before the origin (the seasonal-naive forecast's
            one-day error, daily period). The table shows the mean over origins and
            series; the seasonal-naive column is that forecast's own out-of-sample MASE.
            The scale and the seasonal-naive forecast use the complete hourly values
            (no hour lost), which if anything flatters the baseline.
  coverage  the share of the held-out hours inside the 95% prediction interval.
"""

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.stats.forecast import METHODS, forecast, season_length
from analytics.stats.trend import resample

HOUR = 3600
DAY = 24 * HOUR
START = 1767571200  # 2026-01-05 00:00 UTC, a Monday
HORIZON = 24
KINDS = ("seasonal", "trend+daily", "random walk", "noisy level")
NAIVE = "seasonal_naive"


def truth(kind: str, number: int, days: int) -> np.ndarray:
    """The hourly values of one series, the same for the same arguments."""
    rng = np.random.default_rng([KINDS.index(kind), number])
    hours = np.arange(days * 24)
    daily = np.sin(2 * np.pi * (hours % 24 - 6) / 24)
    if kind == "seasonal":
        weekend = ((hours // 24) % 7) >= 5
        return 100 + 20 * daily - 15 * weekend + rng.normal(0, 5, hours.size)
    if kind == "trend+daily":
        return 50 + 1.2 * hours / 24 + 10 * daily + rng.normal(0, 2, hours.size)
    if kind == "random walk":
        return 100 + np.cumsum(rng.normal(0, 1, hours.size))
    return 100 + rng.normal(0, 10, hours.size)


def observed(values: np.ndarray, number: int) -> tuple[np.ndarray, np.ndarray]:
    """What the product would store and resample: jittered samples, about 1% lost."""
    rng = np.random.default_rng([99, number])
    t = START + HOUR * np.arange(values.size) + rng.uniform(0, 60, values.size)
    keep = rng.random(values.size) >= 0.01
    return resample(t[keep], values[keep], HOUR)


def evaluate(kind: str, number: int, days: int, origins: int, tally: dict) -> int | None:
    """Backtests one series into tally[(kind, method)]; returns the season length found
    in the history before the first origin."""
    values = truth(kind, number, days)
    t, v = observed(values, number)
    for back in range(origins, 0, -1):
        origin = values.size - back * 24  # index of the first held-out hour
        cut = START + origin * HOUR
        history = t < cut
        actual = values[origin : origin + HORIZON]
        scale = float(np.mean(np.abs(values[24:origin] - values[: origin - 24])))
        naive = values[origin - 24 : origin]
        tally[kind, NAIVE]["mase"].append(np.mean(np.abs(actual - naive)) / scale)
        # When the hour before the origin was lost, the forecast starts an hour early.
        early = int((cut - t[history][-1]) // HOUR) - 1
        for method in METHODS:
            began = time.perf_counter()
            points = forecast(
                t[history], v[history], interval=HOUR, horizon=early + HORIZON, method=method
            )
            seconds = time.perf_counter() - began
            cell = tally[kind, method]
            cell["seconds"].append(seconds)
            points = points[early:]
            if len(points) != HORIZON:
                cell["failed"].append(1)
                continue
            value = np.array([p.value for p in points])
            lower = np.array([p.lower for p in points])
            upper = np.array([p.upper for p in points])
            cell["mase"].append(np.mean(np.abs(actual - value)) / scale)
            cell["coverage"].append(np.mean((lower <= actual) & (actual <= upper)))
    first_origin = t < START + (values.size - origins * 24) * HOUR
    return season_length(t[first_origin], v[first_origin], HOUR)


def report(tally: dict, seasons: dict) -> None:
    columns = (NAIVE, *METHODS)
    print("MASE (mean over origins and series; < 1 beats seasonal naive)")
    print(f"{'series':<14}" + "".join(f"{name:>16}" for name in columns) + "   seasons found")
    for kind in KINDS:
        cells = "".join(f"{np.mean(tally[kind, name]['mase']):>16.3f}" for name in columns)
        found = ", ".join(f"{season}x{count}" for season, count in seasons[kind].items())
        print(f"{kind:<14}{cells}   {found}")
    print()
    print("95% interval coverage (share of held-out hours inside)")
    print(f"{'series':<14}" + "".join(f"{name:>16}" for name in METHODS))
    for kind in KINDS:
        print(
            f"{kind:<14}"
            + "".join(f"{np.mean(tally[kind, name]['coverage']):>16.3f}" for name in METHODS)
        )
    print()
    print(f"{'method':<16}{'forecasts':>10}{'failed':>8}{'ms mean':>9}{'ms max':>8}")
    for method in METHODS:
        seconds = [s for kind in KINDS for s in tally[kind, method]["seconds"]]
        failed = sum(len(tally[kind, method]["failed"]) for kind in KINDS)
        print(
            f"{method:<16}{len(seconds):>10}{failed:>8}{1000 * np.mean(seconds):>9.1f}"
            f"{1000 * np.max(seconds):>8.1f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60, help="days of hourly data per series")
    parser.add_argument("--origins", type=int, default=14, help="forecast origins (days)")
    parser.add_argument("--series", type=int, default=5, help="series per kind")
    args = parser.parse_args()
    if args.origins + 14 > args.days:
        parser.error("--days must exceed --origins by at least 14 (two weeks of history)")

    print(
        f"Forecast backtest: {args.series} series per kind, {args.days} days hourly, "
        f"{args.origins} origins, {HORIZON} h ahead",
        flush=True,
    )
    tally: dict = defaultdict(lambda: defaultdict(list))
    seasons: dict = defaultdict(lambda: defaultdict(int))
    began = time.perf_counter()
    for kind in KINDS:
        for number in range(args.series):
            seasons[kind][evaluate(kind, number, args.days, args.origins, tally)] += 1
        elapsed = time.perf_counter() - began
        print(f"  {kind}: {args.series} series done, {elapsed:.1f} s", file=sys.stderr)
    report(tally, seasons)
    print()
    print(f"Run time: {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
