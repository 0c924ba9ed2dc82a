"""``vigil_slo_compliance``: the SLI of the stored SLO evaluations over time, offered to
analytics (trends, comparisons, benchmarks) through ``core.metric_providers``, since
analytics may not import this app."""

from datetime import datetime

import numpy as np
from django.db.models import Avg

from core import metric_providers
from core.db import EpochSeconds
from observability import selectors
from observability.models import SLOEvaluation

SLO_COMPLIANCE = metric_providers.MetricMeta(
    name="vigil_slo_compliance",
    description="SLI (share of good events) of each stored SLO evaluation; without the slo "
    "label, the mean over the SLOs evaluated at that minute.",
    unit="ratio",
    higher_is_better=True,
    labels=("slo", "service"),
)


def slo_compliance_points(
    labels: dict, start: datetime, end: datetime
) -> tuple[np.ndarray, np.ndarray]:
    """One query: the evaluations of the SLOs the labels pick (``slo``: its name,
    ``service``: its service's slug) with start <= at < end, averaged per minute so that
    several SLOs make one series with one value per timestamp."""
    slos = selectors.slo_list()
    if "slo" in labels:
        slos = slos.filter(name=labels["slo"])
    if "service" in labels:
        slos = slos.filter(service__slug=labels["service"])
    rows = list(
        SLOEvaluation.objects.filter(
            slo__in=slos.values("pk"), at__gte=start, at__lt=end, sli__isnull=False
        )
        .order_by()
        .values("at")
        .annotate(t=EpochSeconds("at"), sli=Avg("sli"))
        .order_by("at")
        .values_list("t", "sli")
    )
    if not rows:
        return np.empty(0), np.empty(0)
    points = np.array(rows, dtype=np.float64)
    return points[:, 0], points[:, 1]


def register() -> None:
    metric_providers.register(SLO_COMPLIANCE, slo_compliance_points)
