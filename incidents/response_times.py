"""How fast incidents are acknowledged and resolved: MTTA and MTTR (mean, median and
90th percentile), by service, team, severity or period, computed in the database."""

from datetime import UTC, datetime

from django.db.models import Avg, Count, F, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from core.db import Percentile, SecondsBetween
from incidents.models import Incident

GROUPS = {
    "service": ("service__slug", "service__name"),
    "team": ("service__team__slug", "service__team__name"),
    "severity": ("severity",),
    "period": ("period",),
}
PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def incident_response_times(
    *,
    group_by: str | None = None,
    period: str = "week",
    incidents: QuerySet[Incident] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict]:
    """One row per group (or one row overall): counts, and seconds to acknowledge and to
    resolve as ``mtta_mean``, ``mtta_median``, ``mtta_p90``, ``mttr_mean``, ...

    Incidents count in the window by when they were triggered; an incident not yet
    acknowledged or resolved counts in ``incidents`` but not in the times.
    """
    if group_by is not None and group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {sorted(GROUPS)}")
    queryset = Incident.objects.all() if incidents is None else incidents
    if since:
        queryset = queryset.filter(triggered_at__gte=since)
    if until:
        queryset = queryset.filter(triggered_at__lt=until)
    if group_by == "period":
        queryset = queryset.annotate(period=PERIODS[period]("triggered_at", tzinfo=UTC))
    queryset = queryset.annotate(
        tta=SecondsBetween(F("triggered_at"), F("acknowledged_at")),
        ttr=SecondsBetween(F("triggered_at"), F("resolved_at")),
    )
    fields = GROUPS[group_by] if group_by else ()
    grouped = queryset.order_by().values(*fields) if fields else queryset.order_by()
    aggregates = {
        "incidents": Count("id"),
        "acknowledged": Count("acknowledged_at"),
        "resolved": Count("resolved_at"),
        "mtta_mean": Avg("tta"),
        "mtta_median": Percentile("tta", 0.5),
        "mtta_p90": Percentile("tta", 0.9),
        "mttr_mean": Avg("ttr"),
        "mttr_median": Percentile("ttr", 0.5),
        "mttr_p90": Percentile("ttr", 0.9),
    }
    if not fields:
        return [grouped.aggregate(**aggregates)]
    return list(grouped.annotate(**aggregates).order_by(*fields))
