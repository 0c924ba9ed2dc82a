"""The usage report: how much the platform was used and for what: requests, the people
who used it each day and week, the features they used and through which channel, and the
routes they asked for.

Its figures are ``/api/analytics/usage``'s for the same period (the same
``usage_report``: hours and days overlapping the period count whole, days are UTC),
with the requests per day added (from the same hourly rows, so they add up to its
total)."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from analytics import selectors as analytics_selectors
from analytics.usage import usage_report
from insights.reports import charts
from insights.reports.document import Period, ReportContent

TEMPLATE = "reports/usage.html"

TOP_ROUTES = 20
# The features and channels ``analytics.usage`` counts, in the order the report lists them.
FEATURES = (
    ("acknowledge", "Acknowledge"),
    ("resolve", "Resolve"),
    ("export", "Review export"),
    ("report", "Report generated"),
)
CHANNELS = (("api", "API"), ("admin", "Admin"), ("email_link", "Email link"))
# Where a route belongs, by the start of its URL pattern.
AREAS = (
    ("api/", "API"),
    ("v2/", "Event ingestion (PagerDuty API)"),
    ("admin/", "Admin"),
    ("runbooks/", "Runbooks"),
    ("respond/", "Email links"),
)


def utc_days(period: Period) -> list[date]:
    """The UTC days the usage figures count for the period (each overlapping day whole)."""
    first = period.start.astimezone(UTC).date()
    end = period.end.astimezone(UTC)
    last = end.date() if end.time() != datetime.min.time() else end.date() - timedelta(days=1)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def area_of(route: str) -> str:
    route = route.lstrip("/")
    return next((name for prefix, name in AREAS if route.startswith(prefix)), "Other")


def areas(routes: list[dict]) -> list[dict]:
    requests: dict[str, int] = defaultdict(int)
    for row in routes:
        requests[area_of(row["route"])] += row["requests"]
    order = [name for _, name in AREAS] + ["Other"]
    return [{"area": name, "requests": requests[name]} for name in order if requests.get(name)]


def feature_table(features: list[dict]) -> tuple[list[dict], list[str]]:
    """Uses per feature and channel, every known pair shown (zeros too), and any other
    feature or channel the counts hold."""
    uses = {(row["feature"], row["channel"]): row["count"] for row in features}
    known = {name for name, _ in FEATURES}
    extra = sorted({feature for feature, _ in uses} - known)
    channels = [name for name, _ in CHANNELS]
    extra_channels = sorted({channel for _, channel in uses} - set(channels))
    rows = []
    for feature, label in [*FEATURES, *((name, name) for name in extra)]:
        counts = [uses.get((feature, channel), 0) for channel in channels + extra_channels]
        rows.append({"feature": feature, "label": label, "counts": counts, "total": sum(counts)})
    return rows, [label for _, label in CHANNELS] + extra_channels


def _iso_day(value) -> str:
    return value.isoformat()


def build(period: Period, params: dict) -> ReportContent:
    usage = usage_report(start=period.start, end=period.end)
    days = utc_days(period)
    per_day = {
        row["day"]: row
        for row in analytics_selectors.usage_by_day(start=period.start, end=period.end)
    }
    users_per_day = {row["day"]: row["users"] for row in usage["active_users"]["per_day"]}
    users_daily = [users_per_day.get(day, 0) for day in days]
    busiest = max(days, key=lambda day: (users_per_day.get(day, 0), day)) if days else None
    totals = usage["totals"]
    figures = {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "days": len(days),
        "totals": totals,
        "requests_per_day": [
            {"day": _iso_day(day), "requests": row["requests"]} for day, row in per_day.items()
        ],
        "active_users": {
            "per_day": [
                {"day": _iso_day(row["day"]), "users": row["users"]}
                for row in usage["active_users"]["per_day"]
            ],
            "per_week": [
                {"week": _iso_day(row["week"]), "users": row["users"]}
                for row in usage["active_users"]["per_week"]
            ],
            "mean_per_day": sum(users_daily) / len(days) if days else None,
            "busiest_day": {"day": _iso_day(busiest), "users": users_per_day.get(busiest, 0)}
            if busiest and users_per_day
            else None,
        },
        "features": usage["features"],
        "areas": areas(usage["routes"]),
        "routes": usage["routes"][:TOP_ROUTES],
        "routes_count": len(usage["routes"]),
    }
    day_starts = [datetime(day.year, day.month, day.day, tzinfo=UTC) for day in days]
    requests_daily = [per_day[day]["requests"] if day in per_day else 0 for day in days]
    feature_rows, channel_labels = feature_table(usage["features"])
    return ReportContent(
        title="Usage report",
        figures=figures,
        context={
            "requests_chart": charts.per_day(day_starts, requests_daily, unit="requests")
            if any(requests_daily)
            else None,
            "users_chart": charts.per_day(day_starts, users_daily, unit="people")
            if any(users_daily)
            else None,
            "feature_rows": feature_rows,
            "channel_labels": channel_labels,
        },
    )
