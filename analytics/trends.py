"""Trends: a metric resampled to an interval, its least-squares line and forecasts with
95% prediction intervals. The arithmetic is ``analytics.stats``; this module fetches
the points (stored or built in) and shapes the answer."""

from datetime import UTC, datetime

from analytics.selectors import metric_points
from analytics.stats import forecast as forecasting
from analytics.stats.trend import fit_trend, resample

# A trend over more buckets than this is a request for a coarser interval.
MAX_BUCKETS = 20_000


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def trend_report(
    *,
    metric: str,
    labels: dict,
    start: datetime,
    end: datetime,
    interval: int,
    horizon: int,
    methods=forecasting.METHODS,
) -> dict:
    """The trend of ``metric`` from ``start`` to ``end`` in buckets of ``interval``
    seconds, with ``horizon`` seconds of forecast by each of ``methods``."""
    t, v = metric_points(metric, labels, start, end)
    times, values = resample(t, v, interval)
    fit = fit_trend(times, values)
    steps = horizon // interval
    season = forecasting.season_length(times, values, interval) if len(times) else None
    return {
        "metric": metric,
        "labels": labels,
        "start": start,
        "end": end,
        "interval_seconds": interval,
        "samples": len(t),
        "slope_per_day": fit.slope_per_day,
        "intercept": fit.intercept,
        "r_squared": fit.r_squared,
        "p_value": fit.p_value,
        "direction": fit.direction,
        "season_points": season,
        "points": [
            {"timestamp": _time(at), "value": float(value)}
            for at, value in zip(times, values, strict=True)
        ],
        "forecast": {
            method: [
                {
                    "timestamp": _time(point.timestamp),
                    "value": point.value,
                    "lower": point.lower,
                    "upper": point.upper,
                }
                for point in forecasting.forecast(
                    times, values, interval=interval, horizon=steps, method=method
                )
            ]
            if steps
            else []
            for method in methods
        },
    }
