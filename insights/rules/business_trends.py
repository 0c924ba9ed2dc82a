"""Business metrics going the bad way: a significant week-long trend against the
series' better direction, or a week-on-week change of more than 20% the bad way."""

from datetime import datetime
from urllib.parse import urlencode

from analytics.business import business_series
from insights.engine import Finding, Rule

WEEK_CHANGE_PERCENT = 20


def _bad_week_change(row: dict) -> float | None:
    """The week-on-week change in percent when it moved the bad way by more than 20%."""
    change = row["change_week_percent"]
    if change is None:
        return None
    worse = -change if row["higher_is_better"] else change
    return change if worse > WEEK_CHANGE_PERCENT else None


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _labels(row: dict) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(row["labels"].items()))


def _name(row: dict) -> str:
    labels = _labels(row)
    return f"{row['metric']}{{{labels}}}" if labels else row["metric"]


def _trend_url(row: dict) -> str:
    params = {"metric": row["metric"]}
    if labels := _labels(row):
        params["labels"] = labels
    return f"/api/analytics/trends?{urlencode(params)}"


def find(now: datetime) -> list[Finding]:
    findings = []
    for row in business_series(now=now):
        bad_trend = row["trend_good"] is False
        week_change = _bad_week_change(row)
        if not bad_trend and week_change is None:
            continue
        name = _name(row)
        better = "higher" if row["higher_is_better"] else "lower"
        if bad_trend:
            title = f"{name} is {row['trend']} over the last week ({better} is better)"
        else:
            title = f"{name} moved {week_change:+.0f}% in a week ({better} is better)"
        findings.append(
            Finding(
                subject=f"series:{row['id']}",
                title=title,
                severity="warning" if bad_trend else "info",
                recommendation=(
                    "Find what changed when it turned: line it up with releases, incidents and "
                    "anomalies of the same days, and give the owner of the metric a look at it."
                    if bad_trend
                    else "A large week-on-week move without a steady trend yet: check whether "
                    "it is a one-off (a holiday, a data gap) or the start of one."
                ),
                evidence=(
                    ("Series", f"/admin/analytics/metricseries/{row['id']}/change/"),
                    ("Trend", _trend_url(row)),
                ),
                figures={
                    "trend": row["trend"],
                    "trend_slope_per_day": _rounded(row["trend_slope_per_day"], 3),
                    "change_week_percent": _rounded(row["change_week_percent"]),
                    "latest_value": row["latest_value"],
                    "previous_week_value": row["previous_week_value"],
                    "higher_is_better": row["higher_is_better"],
                },
            )
        )
    return findings


RULE = Rule(
    "business_trends",
    "Business metrics trending the bad way, or more than 20% worse than a week before.",
    find,
)
