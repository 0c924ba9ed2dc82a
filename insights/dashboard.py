"""The executive dashboard on the admin's index page (and ``GET /api/admin/status``):
open incidents, response times against the 30 days before, SLO compliance, who is on
call, the top open insights, recent anomalies and incidents per week.

``dashboard_figures`` only reads, other apps through their selectors, in a constant
number of queries however many incidents there are; it returns plain JSON values, each
figure with the text the page shows. The figures are the same for everyone, so they are
cached for a few seconds for all; ``dashboard_for`` then adds the links the user may
follow (configuration pages only for those who may change them)."""

import hashlib
import logging
import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from analytics import selectors as analytics_selectors
from analytics.models import AnomalyMethod
from analytics.units import humanize
from incidents import selectors as incident_selectors
from incidents.models import IncidentSeverity
from incidents.models.incidents import OPEN_STATUSES, SEVERITY_NAMES
from incidents.oncall_overview import oncall_overview
from incidents.response_times import incident_response_times
from insights import charts
from insights import selectors as insight_selectors
from insights.models import InsightSeverity, InsightStatus
from observability import selectors as slo_selectors
from observability.models import SLOState

logger = logging.getLogger(__name__)

CACHE_KEY = "insights:dashboard:v1"
PERIOD = timedelta(days=30)
WEEKS = 12
TOP_INSIGHTS = 5
RECENT_ANOMALIES = 5
ANOMALY_WINDOW = timedelta(days=7)
CHART_CACHE_SECONDS = 3600


# --- how figures read ----------------------------------------------------------------------

NONE = "—"


def duration_text(seconds: float | None) -> str:
    """``45`` -> ``45 s``, ``250`` -> ``4 min``, ``4330`` -> ``1 h 12 min``,
    ``190000`` -> ``2 d 5 h``; None -> ``—``."""
    if seconds is None:
        return NONE
    if seconds < 59.5:
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _trimmed(value: float | Decimal, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def compliance_text(ratio: float | None) -> str:
    """An SLI as a percentage to three decimals, cut (never rounded) up: 0.99996 reads
    ``99.999%``, not ``100%``, so a figure never looks better than it is."""
    if ratio is None:
        return NONE
    # The epsilon keeps float noise (0.99979 * 100_000 = 99978.99999...) from cutting.
    return f"{_trimmed(math.floor(ratio * 100_000 + 1e-6) / 1000, 3)}%"


def change_text(percent: float | None) -> str:
    """``+35%``, ``\u221212%`` (a minus sign), ``±0%``, as the reports print a change;
    None -> ``—``."""
    if percent is None:
        return NONE
    rounded = round(percent)
    sign = "+" if rounded > 0 else "\u2212" if rounded < 0 else "±"
    return f"{sign}{abs(rounded)}%"


def _change_percent(current: float | None, previous: float | None) -> float | None:
    if current is None or not previous:
        return None
    return round((current - previous) / previous * 100, 1)


def _trend(change: float | None) -> str:
    """For figures where lower is better (response times, incidents)."""
    if change is None:
        return "none"
    return "worse" if round(change) > 0 else "better" if round(change) < 0 else "same"


def _percent(ratio: float | None, digits: int) -> float | None:
    return None if ratio is None else round(ratio * 100, digits)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


# --- the figures ---------------------------------------------------------------------------


def dashboard_figures(now: datetime | None = None) -> dict:
    """Every figure of the dashboard at ``now`` (default: now), as JSON values; no links."""
    now = (now or timezone.now()).replace(microsecond=0)
    return {
        "at": _iso(now),
        "at_display": now.astimezone(UTC).strftime("%H:%M:%S UTC"),
        "open_incidents": _open_incidents(),
        "response_times": _response_times(now),
        "slos": _slos(),
        "oncall": _oncall(now),
        "insights": _insights(),
        "anomalies": _anomalies(now),
        "incidents_per_week": _incidents_per_week(now),
    }


def _open_incidents() -> dict:
    counts = dict(
        incident_selectors.incident_list()
        .filter(status__in=OPEN_STATUSES)
        .order_by()
        .values("severity")
        .annotate(n=Count("id"))
        .values_list("severity", "n")
    )
    rows = [
        {
            "severity": severity,
            "label": SEVERITY_NAMES[severity],
            "count": counts.get(severity, 0),
        }
        for severity in IncidentSeverity.values
    ]
    return {"total": sum(row["count"] for row in rows), "by_severity": rows}


def _response_times(now: datetime) -> dict:
    current_start, previous_start = now - PERIOD, now - 2 * PERIOD
    [current] = incident_response_times(since=current_start, until=now)
    [previous] = incident_response_times(since=previous_start, until=current_start)
    rows = []
    for key, label, field, show in (
        ("mtta", "MTTA", "mtta_mean", duration_text),
        ("mttr", "MTTR", "mttr_mean", duration_text),
        ("incidents", "Incidents", "incidents", str),
    ):
        now_value, before = current[field], previous[field]
        change = _change_percent(now_value, before)
        rows.append(
            {
                "key": key,
                "label": label,
                "current": now_value,
                "previous": before,
                "current_display": show(now_value) if now_value is not None else NONE,
                "previous_display": show(before) if before is not None else NONE,
                "change_percent": change,
                "change_display": change_text(change),
                "trend": _trend(change),
            }
        )
    return {
        "days": PERIOD.days,
        "current_start": _iso(current_start),
        "previous_start": _iso(previous_start),
        "rows": rows,
    }


def _budget_text(remaining: float | None) -> str:
    if remaining is None:
        return "no data"
    if remaining <= 0:
        return "budget exhausted"
    return f"{_trimmed(remaining * 100, 1)}% left"


def _slos() -> list[dict]:
    slos = list(slo_selectors.slo_list())
    latest = slo_selectors.slo_latest_evaluations(slos)
    states = dict(SLOState.choices)
    rows = []
    for slo in slos:
        evaluation = latest.get(slo.pk)
        state = evaluation.state if evaluation else SLOState.UNKNOWN
        sli = evaluation.sli if evaluation else None
        remaining = evaluation.budget_remaining if evaluation else None
        rows.append(
            {
                "id": slo.pk,
                "name": slo.name,
                "service": slo.service.name,
                "service_id": slo.service_id,
                "state": state,
                "state_label": states[state],
                "objective_percent": float(slo.target),
                "objective_display": f"{_trimmed(slo.target, 4)}%",
                "compliance_percent": _percent(sli, 4),
                "compliance_display": compliance_text(sli),
                "budget_remaining_percent": _percent(remaining, 2),
                "budget_display": _budget_text(remaining),
                # The bar's width: what is left of the budget, 0 to 100.
                "budget_bar": min(max(_percent(remaining, 1) or 0.0, 0.0), 100.0),
                "evaluated_at": _iso(evaluation.at) if evaluation else None,
            }
        )
    return rows


def _person(ref: dict | None) -> str | None:
    return (ref["name"] or ref["username"]) if ref else None


def _oncall(now: datetime) -> dict:
    overview = oncall_overview(now)
    return {
        "schedules": [
            {
                "id": schedule["id"],
                "name": schedule["name"],
                "person": _person(schedule["user"]) or "nobody",
                "covered": schedule["user"] is not None,
            }
            for schedule in overview["schedules"]
        ],
        "policies": [
            {
                "id": policy["id"],
                "name": policy["name"],
                "levels": [
                    {
                        "level": level["level"],
                        "label": f"L{level['level']}",
                        "people": ", ".join(_person(user) for user in level["users"]) or "nobody",
                    }
                    for level in policy["levels"]
                ],
            }
            for policy in overview["escalation_policies"]
        ],
    }


def _insights() -> dict:
    counts = dict(
        insight_selectors.insight_list()
        .filter(status=InsightStatus.OPEN)
        .order_by()
        .values("severity")
        .annotate(n=Count("id"))
        .values_list("severity", "n")
    )
    return {
        "open": sum(counts.values()),
        "by_severity": {severity: counts.get(severity, 0) for severity in InsightSeverity.values},
        "top": [
            {
                "id": insight.pk,
                "title": insight.title,
                "severity": insight.severity,
                "rule": insight.rule,
                "service": insight.service.name if insight.service else "",
                "last_seen": _iso(insight.last_seen),
            }
            for insight in insight_selectors.insights_top(TOP_INSIGHTS)
        ],
    }


ANOMALY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def _anomalies(now: datetime) -> dict:
    """The newest anomalous points: one row per point, at the severity of the detector
    that rated it highest (up to three detectors flag the same point)."""
    anomalies = analytics_selectors.anomaly_list()
    newest = anomalies.order_by("-timestamp", "-id")[: RECENT_ANOMALIES * len(AnomalyMethod)]
    points: dict[tuple[int, datetime], list] = {}
    for anomaly in newest:
        points.setdefault((anomaly.series_id, anomaly.timestamp), []).append(anomaly)
    recent = [
        (min(found, key=lambda a: ANOMALY_RANK.get(a.severity, 9)), len(found))
        for found in list(points.values())[:RECENT_ANOMALIES]
    ]
    return {
        "days": ANOMALY_WINDOW.days,
        "unacknowledged": anomalies.filter(
            timestamp__gte=now - ANOMALY_WINDOW, acknowledged_at__isnull=True
        ).count(),
        "recent": [
            {
                "id": anomaly.pk,
                "series": anomaly.series.name,
                "series_id": anomaly.series_id,
                "timestamp": _iso(anomaly.timestamp),
                "timestamp_display": timezone.localtime(anomaly.timestamp).strftime(
                    "%d %b %H:%M %Z"
                ),
                "severity": anomaly.severity,
                "detectors": detectors,
                "value_display": humanize(anomaly.value, anomaly.series.unit),
                "expected_display": humanize(anomaly.expected, anomaly.series.unit),
                "acknowledged": anomaly.acknowledged_at is not None,
            }
            for anomaly, detectors in recent
        ],
    }


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _incidents_per_week(now: datetime) -> dict:
    """Incidents triggered per ISO week (Monday, UTC), the last ``WEEKS`` weeks, this
    one (so far) included."""
    first = _week_start(now.astimezone(UTC).date()) - timedelta(weeks=WEEKS - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    by_day = incident_selectors.incident_counts_by_day(start=start, end=now)
    weeks = {first + timedelta(weeks=n): 0 for n in range(WEEKS)}
    for day, count in by_day.items():
        weeks[_week_start(day.date() if isinstance(day, datetime) else day)] += count
    rows = [{"week": week.isoformat(), "count": count} for week, count in weeks.items()]
    return {
        "start": _iso(start),
        "weeks": rows,
        "total": sum(weeks.values()),
        "chart": _chart_cached(list(weeks.items())),
    }


def _chart_cached(weeks: list[tuple[date, int]]) -> str:
    """The chart changes only with the counts, and drawing it is most of the figures'
    cost (about 100 ms): it is kept for an hour by what it shows."""
    drawn = ",".join(f"{week.isoformat()}={count}" for week, count in weeks)
    key = f"{CACHE_KEY}:chart:{hashlib.sha256(drawn.encode()).hexdigest()}"
    return _cached(key, CHART_CACHE_SECONDS, lambda: charts.incidents_per_week(weeks))


def _cached(key: str, timeout: int, compute):
    """``compute()``, kept in the cache for ``timeout`` seconds. The cache only saves
    time: when it is down, the value is computed each time."""
    try:
        value = cache.get(key)
    except Exception:
        logger.warning("dashboard cache unavailable", exc_info=True)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, timeout=timeout)
        except Exception:
            logger.warning("dashboard cache unavailable", exc_info=True)
    return value


def dashboard_figures_cached() -> dict:
    """The figures, computed at most once per ``DASHBOARD_CACHE_SECONDS`` for everyone."""
    return _cached(CACHE_KEY, settings.DASHBOARD_CACHE_SECONDS, dashboard_figures)


# --- links ---------------------------------------------------------------------------------

INCIDENTS = "incidents_incident_changelist"
OPEN = ",".join(status.value for status in OPEN_STATUSES)


def _admin(name: str, *args, **query) -> str:
    url = reverse(f"admin:{name}", args=args)
    return f"{url}?{urlencode(query)}" if query else url


def dashboard_for(user, figures: dict | None = None) -> dict:
    """The (cached) figures with the links ``user`` may follow: lists and evidence with
    view permission; configuration pages (an SLO's, a schedule's, a policy's, adding an
    SLO) only with change or add permission. A link not allowed is None."""
    f = dashboard_figures_cached() if figures is None else figures

    def link(permission: str, name: str, *args, **query) -> str | None:
        return _admin(name, *args, **query) if user.has_perm(permission) else None

    def rows(items: list[dict], url) -> list[dict]:
        return [{**item, "url": url(item)} for item in items]

    see_incidents = "incidents.view_incident"
    return {
        **f,
        "open_incidents": {
            **f["open_incidents"],
            "url": link(see_incidents, INCIDENTS, status__in=OPEN),
            "by_severity": rows(
                f["open_incidents"]["by_severity"],
                lambda row: link(
                    see_incidents, INCIDENTS, status__in=OPEN, severity__exact=row["severity"]
                ),
            ),
        },
        "response_times": {
            **f["response_times"],
            "url": link(
                see_incidents, INCIDENTS, triggered_at__gte=f["response_times"]["current_start"]
            ),
        },
        "slos": rows(
            f["slos"],
            lambda slo: (
                link("observability.change_slo", "observability_slo_change", slo["id"])
                or link(
                    "observability.view_slo",
                    "observability_slo_changelist",
                    service__id__exact=slo["service_id"],
                )
            ),
        ),
        "oncall": {
            "schedules": rows(
                f["oncall"]["schedules"],
                lambda row: link("oncall.change_schedule", "oncall_schedule_change", row["id"]),
            ),
            "policies": rows(
                f["oncall"]["policies"],
                lambda row: link(
                    "incidents.change_escalationpolicy",
                    "incidents_escalationpolicy_change",
                    row["id"],
                ),
            ),
        },
        "insights": {
            **f["insights"],
            "url": link(
                "insights.view_insight", "insights_insight_changelist", status__exact="open"
            ),
            "top": rows(
                f["insights"]["top"],
                lambda row: link("insights.view_insight", "insights_insight_change", row["id"]),
            ),
        },
        "anomalies": {
            **f["anomalies"],
            "url": link(
                "analytics.view_anomaly", "analytics_anomaly_changelist", acknowledged_at__isempty=1
            ),
            "recent": rows(
                f["anomalies"]["recent"],
                lambda row: link(
                    "analytics.view_anomaly",
                    "analytics_anomaly_changelist",
                    series__id__exact=row["series_id"],
                ),
            ),
        },
        "incidents_per_week": {
            **f["incidents_per_week"],
            "url": link(
                see_incidents, INCIDENTS, triggered_at__gte=f["incidents_per_week"]["start"]
            ),
        },
        "links": {
            "slos": link("observability.view_slo", "observability_slo_changelist"),
            "slo_add": link("observability.add_slo", "observability_slo_add"),
            "schedules": link("oncall.view_schedule", "oncall_schedule_changelist"),
            # Every schedule and policy level on one page: it needs both permissions.
            "oncall_now": (
                link("oncall.view_schedule", "incidents_oncall_now")
                if user.has_perm("incidents.view_escalationpolicy")
                else None
            ),
            "policies": link(
                "incidents.view_escalationpolicy", "incidents_escalationpolicy_changelist"
            ),
        },
    }
