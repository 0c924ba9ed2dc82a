"""The trend report: one metric over the period, its least-squares line and its
forecasts, ``params = {"metric": name, "labels": {...}}``.

Everything comes from ``analytics.trends.trend_report``, the function that answers
``GET /api/analytics/trends``: asked with this period as start and end and with the
interval and horizon that the figures name, the API answers the same numbers. A metric
that does not exist raises ``analytics.selectors.UnknownMetric`` (a built-in metric
given a label it does not take, a ValueError), and the report fails with its message."""

from datetime import datetime

import numpy as np

from analytics import selectors as analytics_selectors
from analytics.builtin import BUILTIN
from analytics.stats.forecast import METHODS
from analytics.stats.trend import DAY, SIGNIFICANCE
from analytics.trends import trend_report
from insights.reports import charts
from insights.reports.document import Period, ReportContent

TEMPLATE = "reports/trend.html"

HOUR = 3600
# Hourly points up to a quarter (2,200 of them), daily beyond: what the API would be
# asked for to read the period at a glance.
HOURLY_UP_TO_DAYS = 92
# Units the figures are converted for (durations, MiB, percent); others are a label.
CONVERTED_UNITS = ("seconds", "bytes", "ratio")
METHOD_NAMES = {
    "linear": "Linear",
    "moving_average": "Moving average",
    "holt_winters": "Holt-Winters",
}


def grid(period: Period) -> tuple[int, int]:
    """(interval, horizon) in seconds: the forecast looks a quarter of the period ahead,
    in whole days (at least one)."""
    interval = HOUR if period.days <= HOURLY_UP_TO_DAYS else int(DAY)
    horizon = max(1, int(period.days // 4)) * int(DAY)
    return interval, horizon


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _label_text(labels: dict) -> str:
    return ",".join(f"{name}={labels[name]}" for name in sorted(labels))


def describe(metric: str, labels: dict) -> dict:
    """The metric's unit, description and which way is good, as the store or the
    built-in registry says."""
    if metric in BUILTIN:
        meta = BUILTIN[metric]
        return {
            "unit": meta.unit,
            "description": meta.description,
            "higher_is_better": meta.higher_is_better,
            "builtin": True,
        }
    series = analytics_selectors.series_find(metric, labels)
    return {
        "unit": series.unit if series else "",
        "description": series.description if series else "",
        "higher_is_better": series.higher_is_better if series else None,
        "builtin": False,
    }


def summary(report: dict) -> dict:
    points = report["points"]
    values = np.array([point["value"] for point in points], dtype=float)
    first = points[0] if points else None
    latest = points[-1] if points else None
    change = latest["value"] - first["value"] if points else None
    return {
        "points": len(points),
        "first": {"timestamp": _iso(first["timestamp"]), "value": first["value"]}
        if first
        else None,
        "latest": {"timestamp": _iso(latest["timestamp"]), "value": latest["value"]}
        if latest
        else None,
        "mean": float(values.mean()) if values.size else None,
        "min": float(values.min()) if values.size else None,
        "max": float(values.max()) if values.size else None,
        "change": change,
        "change_ratio": change / first["value"] if points and first["value"] else None,
    }


def fit(report: dict) -> dict:
    p_value = report["p_value"]
    return {
        "slope_per_day": report["slope_per_day"],
        "intercept": report["intercept"],
        "r_squared": report["r_squared"],
        "p_value": p_value,
        "significant": p_value is not None and p_value < SIGNIFICANCE,
        "direction": report["direction"],
        "season_points": report["season_points"],
    }


def forecasts(report: dict) -> dict:
    """Each method's forecast at the horizon (its last point) with its 95% interval."""
    result = {}
    for method in METHODS:
        points = report["forecast"][method]
        last = points[-1] if points else None
        result[method] = (
            {
                "timestamp": _iso(last["timestamp"]),
                "value": last["value"],
                "lower": last["lower"],
                "upper": last["upper"],
            }
            if last
            else None
        )
    return result


def _scale(unit: str, values: list[float]) -> tuple[float, str]:
    """What the chart divides by, and its axis label: hours or minutes for durations,
    MiB for sizes, percent for ratios."""
    largest = max((abs(value) for value in values), default=0.0)
    if unit == "seconds":
        if largest >= 3 * HOUR:
            return HOUR, "hours"
        return (60.0, "minutes") if largest >= 180 else (1.0, "seconds")
    if unit == "bytes":
        return 2.0**20, "MiB"
    if unit == "ratio":
        return 0.01, "%"
    return 1.0, unit


def chart(report: dict, unit: str) -> str | None:
    points = report["points"]
    if not points:
        return None
    times = [point["timestamp"] for point in points]
    values = [point["value"] for point in points]
    divisor, label = _scale(unit, values)
    fitted = None
    if report["slope_per_day"] is not None and report["intercept"] is not None:
        first = times[0].timestamp()
        fitted = [
            (report["intercept"] + report["slope_per_day"] * (at.timestamp() - first) / DAY)
            / divisor
            for at in times
        ]
    ahead = report["forecast"]["holt_winters"]
    return charts.trend_forecast(
        times,
        [value / divisor for value in values],
        fitted,
        [point["timestamp"] for point in ahead],
        [point["value"] / divisor for point in ahead],
        [point["lower"] / divisor for point in ahead],
        [point["upper"] / divisor for point in ahead],
        unit=label,
        forecast_label="Holt-Winters forecast",
    )


def build(period: Period, params: dict) -> ReportContent:
    metric = params["metric"].strip()
    labels = params.get("labels") or {}
    interval, horizon = grid(period)
    report = trend_report(
        metric=metric,
        labels=labels,
        start=period.start,
        end=period.end,
        interval=interval,
        horizon=horizon,
        methods=METHODS,
    )
    about = describe(metric, labels)
    name = f"{metric}{{{_label_text(labels)}}}" if labels else metric
    figures = {
        "metric": metric,
        "labels": labels,
        "name": name,
        **about,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "interval_seconds": interval,
        "horizon_seconds": horizon,
        "samples": report["samples"],
        **summary(report),
        "trend": fit(report),
        "forecast": forecasts(report),
    }
    return ReportContent(
        title=f"Trend: {name}",
        figures=figures,
        context={
            "chart": chart(report, about["unit"]),
            # Figures print as ``{{ value|human:value_unit }}`` under a label naming
            # ``unit_label``: "1 h 5 min" and "12%" carry their unit, "153.3" does not.
            "value_unit": about["unit"] if about["unit"] in CONVERTED_UNITS else "",
            "unit_label": "" if about["unit"] in CONVERTED_UNITS else about["unit"],
            "methods": [(method, METHOD_NAMES[method]) for method in METHODS],
            "interval_hours": interval // HOUR,
            "horizon_days": horizon // int(DAY),
        },
    )
