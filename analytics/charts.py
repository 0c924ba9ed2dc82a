"""The chart of one metric series: its data, the trend line, the forecast band and the
anomalies found, as an SVG for the admin."""

from datetime import UTC, datetime, timedelta

import numpy as np
from matplotlib import dates

from analytics.models import Anomaly, MetricSeries
from analytics.selectors import series_points
from analytics.stats.forecast import forecast
from analytics.stats.trend import fit_trend, resample
from core import charts

# Intervals a chart may use: the shortest that keeps it under MAX_POINTS points.
INTERVALS = {
    60: "a minute",
    300: "5 minutes",
    900: "15 minutes",
    3600: "an hour",
    6 * 3600: "6 hours",
    86400: "a day",
}
MAX_POINTS = 800


def chart_interval(span_seconds: float) -> int:
    return next((i for i in INTERVALS if span_seconds / i <= MAX_POINTS), max(INTERVALS))


def _when(seconds) -> np.ndarray:
    return np.rint(np.asarray(seconds, dtype=np.float64)).astype(np.int64).astype("datetime64[s]")


def series_chart(series: MetricSeries, *, days: int, now: datetime | None = None) -> dict:
    """``{"image": data URI or None, "interval", "points", "trend", "anomalies"}`` for the
    last ``days`` of the series; the forecast reaches a tenth of that ahead."""
    end = now or datetime.now(tz=UTC)
    start = end - timedelta(days=days)
    t, v = series_points(series.pk, start, end)
    interval = chart_interval((end - start).total_seconds())
    times, values = resample(t, v, interval)
    anomalies = list(
        Anomaly.objects.filter(series=series, timestamp__gte=start, timestamp__lt=end).order_by(
            "-score"
        )[:200]
    )
    if not len(times):
        return {"image": None, "interval": INTERVALS[interval], "points": 0, "anomalies": []}
    trend = fit_trend(times, values)
    horizon = max(1, int((end - start).total_seconds() / 10 / interval))
    predicted = forecast(times, values, interval=interval, horizon=horizon, method="holt_winters")

    figure = charts.figure()
    axes = figure.add_subplot()
    charts.style(axes)
    axes.plot(_when(times), values, color=charts.PRIMARY, linewidth=1.1, label="data")
    if trend.slope_per_day is not None:
        line = trend.intercept + trend.slope_per_day * (times - times[0]) / 86400
        axes.plot(
            _when(times),
            line,
            color=charts.MUTED,
            linewidth=1,
            linestyle="--",
            label=f"trend ({trend.direction})",
        )
    if predicted:
        at = _when([point.timestamp for point in predicted])
        axes.fill_between(
            at,
            [p.lower for p in predicted],
            [p.upper for p in predicted],
            color=charts.ACCENT,
            alpha=0.3,
            linewidth=0,
            label="forecast, 95% interval",
        )
        axes.plot(at, [p.value for p in predicted], color=charts.ACCENT, linewidth=1.1)
    for severity, colour in charts.SEVERITY_COLOURS.items():
        marked = [anomaly for anomaly in anomalies if anomaly.severity == severity]
        if marked:
            axes.scatter(
                _when([anomaly.timestamp.timestamp() for anomaly in marked]),
                [anomaly.value for anomaly in marked],
                color=colour,
                s=22,
                zorder=3,
                label=f"{severity} anomaly",
            )
    axes.xaxis.set_major_formatter(dates.ConciseDateFormatter(axes.xaxis.get_major_locator()))
    if series.unit:
        axes.set_ylabel(series.unit, color=charts.INK, fontsize=8)
    axes.legend(loc="upper left", fontsize=7, frameon=False, ncols=3)
    return {
        "image": charts.svg_data_uri(figure),
        "interval": INTERVALS[interval],
        "points": len(times),
        "trend": trend,
        "anomalies": anomalies[:20],
    }
