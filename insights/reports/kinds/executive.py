"""The executive report: how reliable we were, how fast we responded, what broke, what
we are doing about it and what to do next, in a few pages.

Its figures are read the way the API reads them, so they agree with it for the same
period: response times as ``/api/analytics/incidents``, SLOs as
``/api/slos/<id>/status?at=<end>``."""

from django.db.models import Count, Q

from analytics import selectors as analytics_selectors
from incidents import selectors as incident_selectors
from incidents.models import IncidentSeverity
from incidents.models.reviews import FINISHED_ACTION_STATUSES, ActionItemStatus, ReviewStatus
from incidents.response_times import incident_response_times
from insights import selectors
from insights.reports import charts
from insights.reports.document import Period, ReportContent
from observability import selectors as slo_selectors
from observability.services import slo_status

TEMPLATE = "reports/executive.html"
MAJOR = (IncidentSeverity.SEV1, IncidentSeverity.SEV2)
TOP_SERVICES = 10
TOP_INSIGHTS = 5
MAJOR_LISTED = 25


def _iso(value):
    return value.isoformat() if value else None


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or before in (None, 0):
        return None
    return (now - before) / before


def _times(period: Period) -> dict:
    return incident_response_times(since=period.start, until=period.end)[0]


def response(period: Period) -> dict:
    current, previous = _times(period), _times(period.previous())
    result = {}
    for name, metric in (("mtta", "vigil_mtta_seconds"), ("mttr", "vigil_mttr_seconds")):
        benchmark = analytics_selectors.benchmark_for(metric)
        mean, median = current[f"{name}_mean"], current[f"{name}_median"]
        result[name] = {
            "mean": mean,
            "median": median,
            "p90": current[f"{name}_p90"],
            "previous_mean": previous[f"{name}_mean"],
            "previous_median": previous[f"{name}_median"],
            "change": _change(mean, previous[f"{name}_mean"]),
            # The benchmarks judge the median, which one very long incident cannot move.
            "target": benchmark.target if benchmark else None,
            "baseline": benchmark.baseline if benchmark else None,
            "meets_target": None
            if benchmark is None or median is None
            else median <= benchmark.target,
        }
    result["incidents"] = current["incidents"]
    result["previous_incidents"] = previous["incidents"]
    return result


def reliability(period: Period) -> list[dict]:
    rows = []
    for slo in slo_selectors.slo_list().order_by("service__name", "name"):
        status = slo_status(slo, period.end)
        rows.append(
            {
                "slo": slo.pk,
                "name": slo.name,
                "service": slo.service.name,
                "objective": slo.objective,
                "sli": status.sli,
                "budget_remaining": status.remaining_ratio,
                "state": status.state,
            }
        )
    return rows


def broke(period: Period) -> dict:
    incidents = incident_selectors.incident_list().filter(
        triggered_at__gte=period.start, triggered_at__lt=period.end
    )
    by_severity = dict.fromkeys(IncidentSeverity.values, 0)
    by_severity.update(incidents.order_by().values_list("severity").annotate(n=Count("id")))
    by_service = list(
        incidents.order_by()
        .values("service__slug", "service__name")
        .annotate(
            incidents=Count("id"),
            major=Count("id", filter=Q(severity__in=MAJOR)),
        )
        .order_by("-incidents", "service__name")[:TOP_SERVICES]
    )
    major = list(incidents.filter(severity__in=MAJOR).order_by("triggered_at")[:MAJOR_LISTED])
    return {
        "total": sum(by_severity.values()),
        "by_severity": by_severity,
        "by_service": [
            {
                "service": row["service__slug"],
                "name": row["service__name"],
                "incidents": row["incidents"],
                "major": row["major"],
            }
            for row in by_service
        ],
        "major_total": by_severity[IncidentSeverity.SEV1] + by_severity[IncidentSeverity.SEV2],
        "major": [
            {
                "id": incident.pk,
                "reference": incident.reference,
                "title": incident.title,
                "severity": incident.severity,
                "service": incident.service.name,
                "status": incident.status,
                "triggered_at": _iso(incident.triggered_at),
                "time_to_resolve": (incident.resolved_at - incident.triggered_at).total_seconds()
                if incident.resolved_at
                else None,
            }
            for incident in major
        ],
    }


def follow_up(period: Period) -> dict:
    items = incident_selectors.action_item_list()
    done = items.filter(
        status=ActionItemStatus.DONE,
        completed_at__gte=period.start,
        completed_at__lt=period.end,
    ).count()
    created = items.filter(created_at__gte=period.start, created_at__lt=period.end).count()
    end_day = period.end.astimezone(period.zone).date()
    still_open = items.exclude(status__in=FINISHED_ACTION_STATUSES)
    overdue = incident_selectors.action_items_overdue(items, today=end_day)
    major_unreviewed = (
        incident_selectors.incident_list()
        .filter(triggered_at__gte=period.start, triggered_at__lt=period.end, severity__in=MAJOR)
        .exclude(review__status=ReviewStatus.PUBLISHED)
        .count()
    )
    published = (
        incident_selectors.review_list()
        .filter(published_at__gte=period.start, published_at__lt=period.end)
        .count()
    )
    return {
        "action_items_created": created,
        "action_items_done": done,
        "action_items_open": still_open.count(),
        "action_items_overdue": overdue.count(),
        "overdue": [
            {
                "id": item.pk,
                "title": item.title,
                "owner": item.owner.get_username() if item.owner else None,
                "due_date": item.due_date.isoformat(),
                "incident": item.review.incident.reference,
            }
            for item in overdue.order_by("due_date", "pk")[:10]
        ],
        "reviews_published": published,
        "major_without_published_review": major_unreviewed,
    }


def next_steps() -> list[dict]:
    return [
        {
            "id": insight.pk,
            "title": insight.title,
            "severity": insight.severity,
            "recommendation": insight.recommendation,
        }
        for insight in selectors.insights_top(TOP_INSIGHTS)
    ]


def build(period: Period, params: dict) -> ReportContent:
    counts = {
        severity: incident_selectors.incident_counts_by_day(
            start=period.start, end=period.end, severity=severity
        )
        for severity in IncidentSeverity.values
    }
    figures = {
        "reliability": reliability(period),
        "response": response(period),
        "incidents": broke(period),
        "follow_up": follow_up(period),
        "insights": next_steps(),
    }
    return ReportContent(
        title="Executive report",
        figures=figures,
        context={
            "incidents_chart": charts.incidents_per_day(counts, period.start, period.end),
            "response_rows": [
                ("Time to acknowledge", figures["response"]["mtta"]),
                ("Time to resolve", figures["response"]["mttr"]),
            ],
        },
    )


def headline(figures: dict) -> list[tuple[str, str]]:
    """The email's summary: the figures an executive reads before opening the PDF."""
    from analytics.units import humanize

    response, incidents = figures["response"], figures["incidents"]
    missed = [
        row
        for row in figures["reliability"]
        if row["sli"] is not None and row["sli"] < row["objective"]
    ]

    def timing(row):
        text = humanize(row["mean"], "seconds")
        if row["change"] is not None:
            text += f" ({row['change'] * 100:+.0f}%)"
        return text

    lines = [
        ("Incidents", f"{incidents['total']} ({incidents['major_total']} SEV1-SEV2)"),
        ("Mean time to acknowledge", timing(response["mtta"])),
        ("Mean time to resolve", timing(response["mttr"])),
        ("SLOs below objective", f"{len(missed)} of {len(figures['reliability'])}"),
        ("Overdue action items", str(figures["follow_up"]["action_items_overdue"])),
    ]
    lines += [(f"Next: {row['severity']}", row["title"]) for row in figures["insights"][:3]]
    return lines
