"""The incidents report: the period's incident analytics for the people who run on-call.
How many incidents and how fast they were acknowledged and resolved, overall and by
severity, service and team, against the period before; what they looked like day by
day; how noisy the alerts behind them were; who was paged and when; the major ones; and
the problems that keep coming back.

Its figures are read the way ``/api/analytics/incidents`` reads them: the response-time
rows are that endpoint's ``response_times`` for the same ``start``/``end`` (and
``group_by``), the alert noise and on-call load its ``alert_noise`` and ``oncall_load``."""

from analytics.incident_analytics import alert_noise, oncall_load
from incidents import selectors as incident_selectors
from incidents.models import IncidentSeverity
from incidents.response_times import incident_response_times
from insights.reports import charts
from insights.reports.document import Period, ReportContent

TEMPLATE = "reports/incidents.html"
MAJOR = (IncidentSeverity.SEV1, IncidentSeverity.SEV2)
MAJOR_LISTED = 25
REPEATS_LISTED = 10
# The groups the report breaks response times down by, and the key naming each row.
GROUPS = {"severity": "severity", "service": "service__slug", "team": "service__team__slug"}
NAMES = {"severity": "severity", "service": "service__name", "team": "service__team__name"}
SHOWN_ROWS = {"severity": None, "service": 15, "team": 15}
SEVERITY_ORDER = {severity: rank for rank, severity in enumerate(IncidentSeverity.values)}


def _iso(value):
    return value.isoformat() if value else None


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or before in (None, 0):
        return None
    return (now - before) / before


def response_times(period: Period, group_by: str | None = None) -> list[dict]:
    """As ``/api/analytics/incidents?start=&end=&group_by=`` answers ``response_times``."""
    return incident_response_times(group_by=group_by, since=period.start, until=period.end)


def _overall(current: dict, previous: dict) -> dict:
    result = {**current, "previous": previous}
    for name in ("incidents", "mtta_mean", "mttr_mean", "mtta_median", "mttr_median"):
        result[f"{name}_change"] = _change(current[name], previous[name])
    return result


def _response_row(current: dict, previous: dict, name: str) -> dict:
    row = {}
    for stat in ("mean", "median", "p90"):
        row[stat] = current[f"{name}_{stat}"]
        row[f"previous_{stat}"] = previous[f"{name}_{stat}"]
    row["change"] = _change(row["mean"], row["previous_mean"])
    return row


def _compared(group_by: str, current: list[dict], previous: list[dict]) -> list[dict]:
    """One display row per group seen in either period: its name, this period's row and
    the period before's (None where it had no incidents), the busiest first (severities
    in their own order)."""
    key, name = GROUPS[group_by], NAMES[group_by]
    now = {row[key]: row for row in current}
    before = {row[key]: row for row in previous}
    rows = []
    for group in now.keys() | before.keys():
        row, old = now.get(group), before.get(group)
        rows.append(
            {
                "key": group,
                "name": (row or old)[name],
                "now": row,
                "before": old,
                "change": _change(row["incidents"] if row else 0, old["incidents"] if old else 0),
            }
        )
    if group_by == "severity":
        rows.sort(key=lambda row: SEVERITY_ORDER.get(row["key"], len(SEVERITY_ORDER)))
    else:
        rows.sort(
            key=lambda row: (
                -(row["now"]["incidents"] if row["now"] else 0),
                -(row["before"]["incidents"] if row["before"] else 0),
                row["name"],
            )
        )
    return rows


def major_incidents(period: Period) -> tuple[int, list[dict]]:
    incidents = incident_selectors.incident_list().filter(
        triggered_at__gte=period.start, triggered_at__lt=period.end, severity__in=MAJOR
    )
    listed = incidents.order_by("triggered_at", "pk")[:MAJOR_LISTED]
    return incidents.count(), [
        {
            "id": incident.pk,
            "reference": incident.reference,
            "title": incident.title,
            "severity": incident.severity,
            "service": incident.service.name,
            "team": incident.service.team.name,
            "status": incident.status,
            "source": incident.source,
            "triggered_at": _iso(incident.triggered_at),
            "time_to_acknowledge": incident.time_to_acknowledge.total_seconds()
            if incident.acknowledged_at
            else None,
            "time_to_resolve": incident.time_to_resolve.total_seconds()
            if incident.resolved_at
            else None,
        }
        for incident in listed
    ]


def repeat_offenders(period: Period) -> tuple[int, list[dict]]:
    """Groups of two or more incidents on one service with the same dedup key or the same
    title (a title group is left out when one dedup key already tells it), the biggest
    first."""
    groups = [
        group
        for group in incident_selectors.incident_repeats(start=period.start, end=period.end)
        if not group.get("covered_by_dedup_key")
    ]
    groups.sort(key=lambda group: (-group["incidents"], group["service__name"], group["key"]))
    return len(groups), [
        {
            "service": group["service__slug"],
            "service_name": group["service__name"],
            "kind": group["kind"],
            "key": group["key"],
            "incidents": group["incidents"],
            "first": _iso(group["first"]),
            "last": _iso(group["last"]),
        }
        for group in groups[:REPEATS_LISTED]
    ]


def _noise(period: Period) -> dict:
    noise = alert_noise(start=period.start, end=period.end)
    fired = incident_selectors.alert_counts_by_day(start=period.start, end=period.end)
    return {**noise, "alerts_fired": sum(fired.values())}


def _load(period: Period) -> dict:
    people = oncall_load(start=period.start, end=period.end)
    pages = sum(person["pages"] for person in people)
    out_of_hours = sum(person["pages_out_of_hours"] for person in people)
    return {
        "people": people,
        "pages": pages,
        "pages_out_of_hours": out_of_hours,
        "out_of_hours_share": out_of_hours / pages if pages else None,
    }


def build(period: Period, params: dict) -> ReportContent:
    previous = period.previous()
    [overall] = response_times(period)
    [overall_before] = response_times(previous)
    groups = {group_by: response_times(period, group_by) for group_by in GROUPS}
    groups_before = {group_by: response_times(previous, group_by) for group_by in GROUPS}
    major_total, major = major_incidents(period)
    repeats_total, repeats = repeat_offenders(period)
    figures = {
        "response_times": _overall(overall, overall_before),
        "by_severity": groups["severity"],
        "by_service": groups["service"],
        "by_team": groups["team"],
        "previous": {
            "start": _iso(previous.start),
            "end": _iso(previous.end),
            "by_severity": groups_before["severity"],
            "by_service": groups_before["service"],
            "by_team": groups_before["team"],
        },
        "alert_noise": _noise(period),
        "oncall_load": _load(period),
        "major_total": major_total,
        "major": major,
        "repeats_total": repeats_total,
        "repeats": repeats,
    }
    counts = {
        severity: incident_selectors.incident_counts_by_day(
            start=period.start, end=period.end, severity=severity
        )
        for severity in IncidentSeverity.values
    }
    breakdowns = []
    for group_by, title in (("severity", "Severity"), ("service", "Service"), ("team", "Team")):
        rows = _compared(group_by, groups[group_by], groups_before[group_by])
        shown = SHOWN_ROWS[group_by]
        breakdowns.append(
            {
                "group_by": group_by,
                "title": title,
                "rows": rows[:shown] if shown else rows,
                "total": len(rows),
            }
        )
    return ReportContent(
        title="Incidents report",
        figures=figures,
        context={
            "incidents_chart": charts.incidents_per_day(counts, period.start, period.end),
            "response_rows": [
                ("Time to acknowledge", _response_row(overall, overall_before, "mtta")),
                ("Time to resolve", _response_row(overall, overall_before, "mttr")),
            ],
            "breakdowns": breakdowns,
        },
    )
