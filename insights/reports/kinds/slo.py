"""The SLO report: every SLO as it stands at the period's end (objective, SLI, error
budget left, burn rates, state, alerts firing) and how it went over the period (budget
left over time, the time it spent at risk or breached, the incidents its burn-rate
alerts opened).

The status is read the way ``/api/slos/<id>/status?at=<end>`` reads it
(``observability.services.slo_status``); the period's course from the stored
evaluations (``observability.selectors.slo_history``). An evaluation's state holds
until the next one; the time before the period's first evaluation is "not evaluated"."""

from collections import Counter
from datetime import datetime

from incidents import selectors as incident_selectors
from incidents.models import IncidentSource
from insights.reports import charts
from insights.reports.document import Period, ReportContent
from observability import selectors as slo_selectors
from observability.models import SLOState
from observability.services import slo_status

TEMPLATE = "reports/slo.html"
# A panel draws at most this many points: longer histories are binned, each bin keeping
# its lowest budget and its worst state, so a short dip still shows.
CHART_POINTS = 360
PANELS_PER_CHART = 6
INCIDENTS_LISTED = 30
# Worst last: a bin of minutes takes the worst state any of them had.
STATE_RANK = {
    SLOState.MET: 0,
    SLOState.UNKNOWN: 1,
    SLOState.AT_RISK: 2,
    SLOState.BREACHED: 3,
}


def _iso(value):
    return value.isoformat() if value else None


def status_figures(slo, at: datetime) -> dict:
    """The SLO's status at ``at``, as ``/api/slos/<id>/status?at=`` answers it."""
    status = slo_status(slo, at)
    return {
        "state": status.state,
        "reason": status.reason,
        "sli": status.sli,
        "good": status.good,
        "total": status.total,
        "budget_remaining": status.remaining_ratio,
        "budget_remaining_events": status.remaining_events,
        "exhausted_at": _iso(status.exhausted_at),
        "burn_rates": dict(status.burn_rates),
        "page": status.page,
        "ticket": status.ticket,
    }


def _lower(current, value):
    return value if current is None or (value is not None and value < current) else current


class _Points:
    """The points a panel draws, (at, state, sli, budget), fed one evaluation at a time:
    all of them while there are at most ``CHART_POINTS``, else one per time bin with its
    first moment, its worst state and its lowest SLI and budget."""

    def __init__(self, period: Period):
        self.start, self.width = period.start, period.length / CHART_POINTS
        self.rows: list[tuple] = []
        self.bins: dict[int, list] = {}

    def add(self, row: tuple) -> None:
        if len(self.rows) <= CHART_POINTS:
            self.rows.append(row)
        at, state, sli, budget = row
        index = min(int((at - self.start) / self.width), CHART_POINTS - 1)
        current = self.bins.get(index)
        if current is None:
            self.bins[index] = list(row)
            return
        if STATE_RANK.get(state, 0) > STATE_RANK.get(current[1], 0):
            current[1] = state
        current[2], current[3] = _lower(current[2], sli), _lower(current[3], budget)

    def points(self) -> list[tuple]:
        if len(self.rows) <= CHART_POINTS:
            return self.rows
        return [tuple(self.bins[index]) for index in sorted(self.bins)]


def _spans(rows: list[tuple], end: datetime) -> list[tuple]:
    """(start, end, state) runs: each row's state holds until the next row."""
    spans: list[list] = []
    ends = [row[0] for row in rows[1:]] + [end] if rows else []
    for (at, state, *_), until in zip(rows, ends, strict=True):
        if spans and spans[-1][2] == state and spans[-1][1] == at:
            spans[-1][1] = until
        else:
            spans.append([at, until, state])
    return [tuple(span) for span in spans]


def course(slo, period: Period) -> tuple[dict, list[tuple]]:
    """How the SLO went over the period, from its stored evaluations (read in one pass,
    never all held: a minute's evaluations over 90 days are 130,000 rows): the seconds
    in each state, its lowest SLI and budget; and the points to chart."""
    rows = (
        slo_selectors.slo_history(slo, start=period.start, end=period.end)
        .values_list("at", "state", "sli", "budget_remaining")
        .iterator(chunk_size=10_000)
    )
    seconds = dict.fromkeys(SLOState.values, 0.0)
    points = _Points(period)
    first = previous = lowest_sli = lowest_budget = None
    evaluations = 0
    for row in rows:
        at, _state, sli, budget = row
        if previous is None:
            first = at
        else:
            held = (at - previous[0]).total_seconds()
            seconds[previous[1]] = seconds.get(previous[1], 0.0) + held
        evaluations += 1
        lowest_sli, lowest_budget = _lower(lowest_sli, sli), _lower(lowest_budget, budget)
        points.add(row)
        previous = row
    if previous is not None:
        held = (period.end - previous[0]).total_seconds()
        seconds[previous[1]] = seconds.get(previous[1], 0.0) + held
    length = period.length.total_seconds()
    return {
        "evaluations": evaluations,
        "first_evaluated_at": _iso(first),
        "seconds": seconds,
        "not_evaluated_seconds": length - sum(seconds.values()),
        "at_risk_ratio": seconds[SLOState.AT_RISK] / length,
        "breached_ratio": seconds[SLOState.BREACHED] / length,
        "lowest_sli": lowest_sli,
        "lowest_budget_remaining": lowest_budget,
    }, points.points()


def _slo_of(dedup_key: str) -> tuple[int | None, str]:
    """``slo:<id>:<page|ticket>`` -> (id, alert); anything else -> (None, "")."""
    parts = dedup_key.split(":")
    if len(parts) == 3 and parts[0] == "slo" and parts[1].isdecimal():
        return int(parts[1]), parts[2]
    return None, ""


def slo_incidents(period: Period) -> tuple[Counter, list[dict]]:
    """Incidents of SLO alerts triggered in the period: how many per (SLO id, "page" or
    "ticket") by their dedup keys, and the first ``INCIDENTS_LISTED`` of them."""
    incidents = incident_selectors.incident_list().filter(
        source=IncidentSource.SLO, triggered_at__gte=period.start, triggered_at__lt=period.end
    )
    counts = Counter(map(_slo_of, incidents.values_list("dedup_key", flat=True)))
    rows = []
    for incident in incidents.order_by("triggered_at", "pk")[:INCIDENTS_LISTED]:
        slo_id, alert = _slo_of(incident.dedup_key)
        rows.append(
            {
                "id": incident.pk,
                "reference": incident.reference,
                "title": incident.title,
                "slo": slo_id,
                "alert": alert,
                "severity": incident.severity,
                "service": incident.service.name,
                "status": incident.status,
                "triggered_at": _iso(incident.triggered_at),
                "time_to_resolve": incident.time_to_resolve.total_seconds()
                if incident.resolved_at
                else None,
            }
        )
    return counts, rows


def build(period: Period, params: dict) -> ReportContent:
    counts, incidents = slo_incidents(period)
    slos, panels = [], []
    for slo in slo_selectors.slo_list().order_by("service__name", "name"):
        history, points = course(slo, period)
        pages, tickets = counts[(slo.pk, "page")], counts[(slo.pk, "ticket")]
        slos.append(
            {
                "slo": slo.pk,
                "name": slo.name,
                "service": slo.service.name,
                "service_slug": slo.service.slug,
                "objective": slo.objective,
                "window": slo.window,
                "budgeting_method": slo.budgeting_method,
                "sli_kind": slo.sli_kind,
                "source": slo.source,
                "status": status_figures(slo, period.end),
                "period": history,
                "incidents": pages + tickets,
                "incidents_page": pages,
                "incidents_ticket": tickets,
            }
        )
        panels.append(
            {
                "title": f"{slo.service.name} · {slo.name}",
                "times": [row[0] for row in points],
                "budget": [row[3] for row in points],
                "objective": slo.objective,
                "spans": [span for span in _spans(points, period.end) if span[0] < span[1]],
            }
        )
    states = dict.fromkeys(SLOState.values, 0)
    for row in slos:
        states[row["status"]["state"]] = states.get(row["status"]["state"], 0) + 1
    with_traffic = [row for row in slos if row["status"]["budget_remaining"] is not None]
    lowest = min(with_traffic, key=lambda row: row["status"]["budget_remaining"], default=None)
    figures = {
        "at": _iso(period.end),
        "slos": slos,
        "states": states,
        "alerting": sum(1 for row in slos if row["status"]["page"] or row["status"]["ticket"]),
        "lowest_budget": None
        if lowest is None
        else {
            "slo": lowest["slo"],
            "name": lowest["name"],
            "service": lowest["service"],
            "budget_remaining": lowest["status"]["budget_remaining"],
        },
        "incidents_total": sum(counts.values()),
        "incidents_page": sum(n for (_slo, alert), n in counts.items() if alert == "page"),
        "incidents_ticket": sum(n for (_slo, alert), n in counts.items() if alert == "ticket"),
        "incidents": incidents,
    }
    names = {row["slo"]: f"{row['service']} · {row['name']}" for row in slos}
    return ReportContent(
        title="SLO report",
        figures=figures,
        context={
            "budget_charts": [
                charts.slo_budget_panels(
                    panels[index : index + PANELS_PER_CHART], start=period.start, end=period.end
                )
                for index in range(0, len(panels), PANELS_PER_CHART)
            ],
            "burn_windows": list(slos[0]["status"]["burn_rates"]) if slos else [],
            "incident_rows": [(row, names.get(row["slo"])) for row in figures["incidents"]],
        },
    )
