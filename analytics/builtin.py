"""Built-in metrics: series computed live from the platform's own data (incidents,
alerts, pages, API usage, SLO evaluations), so trends, comparisons and benchmarks work
on them exactly as on stored series, with nothing copied or kept in sync.

Each is read with a constant number of queries, grouped in the database. Counts per UTC
day include the days with none (a quiet day is a zero, not a gap); ratios leave out the
days where they are undefined. Response times are one sample per incident (at its
trigger), so a comparison of two months is a test over incidents and a trend resamples
them to the mean per interval.

Apps above analytics add metrics through ``core.metric_providers`` (observability's
``vigil_slo_compliance``); they are looked up at call time, so the order in which the
apps become ready does not matter.
"""

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db.models import Q, Sum
from django.utils import timezone

from analytics.models import RouteUsage
from analytics.stats.latency import BANDS, band_percentile
from core import metric_providers
from incidents import selectors as incident_selectors

DEFAULT_SPAN = timedelta(days=90)
DAY = 86_400.0
# RouteUsage routes are URL patterns; the API's start with "api/" (some middlewares
# keep the leading slash).
API_ROUTES = Q(route__startswith="api/") | Q(route__startswith="/api/")

Points = tuple[np.ndarray, np.ndarray]
PointsFunction = Callable[[dict, datetime, datetime], Points]


@dataclass(frozen=True)
class BuiltinMetric:
    name: str
    description: str
    unit: str
    higher_is_better: bool
    labels: tuple[str, ...] = ()  # the label names it accepts


_OWN: dict[str, tuple[BuiltinMetric, PointsFunction]] = {}


def _metric(name, description, unit, *, higher_is_better=False, labels=()):
    def register(fn: PointsFunction) -> PointsFunction:
        _OWN[name] = (BuiltinMetric(name, description, unit, higher_is_better, labels), fn)
        return fn

    return register


def _all() -> dict[str, tuple[BuiltinMetric, PointsFunction]]:
    provided = {
        name: (
            BuiltinMetric(
                meta.name, meta.description, meta.unit, meta.higher_is_better, tuple(meta.labels)
            ),
            fn,
        )
        for name, (meta, fn) in metric_providers.providers().items()
    }
    return {**provided, **_OWN}


class _Registry(Mapping):
    """``BUILTIN``: this module's metrics and the registered providers', read afresh on
    every lookup (a Mapping, not a dict, so no copy of it can go stale)."""

    def __getitem__(self, name: str) -> BuiltinMetric:
        return _all()[name][0]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(_all()))

    def __len__(self) -> int:
        return len(_all())


BUILTIN: Mapping[str, BuiltinMetric] = _Registry()


def builtin_list() -> list[dict]:
    """Every built-in metric as plain data, by name, for the API listing."""
    return [{**asdict(meta), "labels": list(meta.labels)} for meta in BUILTIN.values()]


def builtin_points(name: str, labels: dict, start: datetime | None, end: datetime | None) -> Points:
    """(Unix seconds float64 ascending, values float64) of built-in metric ``name`` with
    start <= t < end (None: the last 90 days). A label the metric does not take is a
    ValueError naming the ones it does."""
    try:
        meta, fn = _all()[name]
    except KeyError:
        raise LookupError(f"No built-in metric {name}.") from None
    labels = labels or {}
    unknown = sorted(set(labels) - set(meta.labels))
    if unknown:
        takes = ", ".join(meta.labels) or "no labels"
        raise ValueError(f"{name} has no label {', '.join(unknown)} (it takes {takes}).")
    end = end or timezone.now()
    start = start or end - DEFAULT_SPAN
    if start >= end:
        return _empty()
    return fn(labels, start, end)


# --- shaping -----------------------------------------------------------------------


def _empty() -> Points:
    return np.empty(0), np.empty(0)


def _points(pairs) -> Points:
    if not pairs:
        return _empty()
    array = np.array(pairs, dtype=np.float64)
    return array[:, 0], array[:, 1]


def _day_starts(start: datetime, end: datetime) -> np.ndarray:
    """The start (Unix seconds) of each UTC day the window touches."""
    first = np.floor(start.timestamp() / DAY) * DAY
    return np.arange(first, end.timestamp(), DAY)


def _per_day(counts: dict[datetime, int], start: datetime, end: datetime) -> np.ndarray:
    by_day = {round(day.timestamp()): n for day, n in counts.items()}
    return np.array(
        [by_day.get(round(day), 0) for day in _day_starts(start, end)], dtype=np.float64
    )


def _daily(counts: dict[datetime, int], start: datetime, end: datetime) -> Points:
    return _day_starts(start, end), _per_day(counts, start, end)


def _ratio(days: np.ndarray, numerator: np.ndarray, denominator: np.ndarray) -> Points:
    """numerator / denominator per day, leaving out the days where it is 0/0 or n/0."""
    defined = denominator > 0
    return days[defined], numerator[defined] / denominator[defined]


# --- incidents, alerts, pages ----------------------------------------------------------


@_metric(
    "vigil_incidents",
    "Incidents triggered per UTC day.",
    "incidents",
    labels=("severity", "service"),
)
def _incidents(labels, start, end) -> Points:
    return _daily(
        incident_selectors.incident_counts_by_day(start=start, end=end, **labels), start, end
    )


def _response_times(until: str) -> PointsFunction:
    def points(labels, start, end) -> Points:
        return _points(
            incident_selectors.incident_response_samples(
                start=start, end=end, until=until, **labels
            )
        )

    return points


_metric(
    "vigil_mtta_seconds",
    "Seconds from trigger to acknowledgement, one sample per incident (at its trigger).",
    "seconds",
    labels=("severity", "service"),
)(_response_times("acknowledged_at"))

_metric(
    "vigil_mttr_seconds",
    "Seconds from trigger to resolution, one sample per incident (at its trigger).",
    "seconds",
    labels=("severity", "service"),
)(_response_times("resolved_at"))


@_metric("vigil_alerts", "Alerts fired per UTC day.", "alerts", labels=("service",))
def _alerts(labels, start, end) -> Points:
    return _daily(
        incident_selectors.alert_counts_by_day(start=start, end=end, **labels), start, end
    )


@_metric(
    "vigil_alerts_per_incident",
    "Alerts fired per incident triggered, per UTC day (days without incidents left out).",
    "alerts/incident",
    labels=("service",),
)
def _alerts_per_incident(labels, start, end) -> Points:
    alerts = incident_selectors.alert_counts_by_day(start=start, end=end, **labels)
    incidents = incident_selectors.incident_counts_by_day(start=start, end=end, **labels)
    days = _day_starts(start, end)
    return _ratio(days, _per_day(alerts, start, end), _per_day(incidents, start, end))


def _pages(start, end) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day starts, pages sent and pages failed per UTC day."""
    counts = incident_selectors.notification_counts_by_day(start=start, end=end)
    by_status = defaultdict(dict)
    for (day, status), n in counts.items():
        by_status[status][day] = n
    return (
        _day_starts(start, end),
        _per_day(by_status["sent"], start, end),
        _per_day(by_status["failed"], start, end),
    )


@_metric("vigil_pages_sent", "Pages delivered, per UTC day they were raised.", "pages")
def _pages_sent(labels, start, end) -> Points:
    days, sent, _ = _pages(start, end)
    return days, sent


@_metric("vigil_pages_failed", "Pages given up on, per UTC day they were raised.", "pages")
def _pages_failed(labels, start, end) -> Points:
    days, _, failed = _pages(start, end)
    return days, failed


@_metric(
    "vigil_page_delivery_ratio",
    "Pages delivered / (delivered + given up), per UTC day (days with neither left out).",
    "ratio",
    higher_is_better=True,
)
def _page_delivery_ratio(labels, start, end) -> Points:
    days, sent, failed = _pages(start, end)
    return _ratio(days, sent, sent + failed)


# --- the API's own usage ----------------------------------------------------------------


def _api_usage(start, end):
    return RouteUsage.objects.filter(API_ROUTES, hour__gte=start, hour__lt=end).order_by()


@_metric(
    "vigil_api_latency_p95_ms",
    "95th percentile latency of the API per hour, from the latency bands (ms).",
    "ms",
)
def _api_latency_p95(labels, start, end) -> Points:
    rows = (
        _api_usage(start, end)
        .values("hour", "latency_band")
        .annotate(n=Sum("requests"))
        .values_list("hour", "latency_band", "n")
    )
    bands: dict[datetime, list[int]] = defaultdict(lambda: [0] * BANDS)
    for hour, band, n in rows:
        bands[hour][min(band, BANDS - 1)] += n
    pairs = sorted(
        (hour.timestamp(), p95)
        for hour, counts in bands.items()
        if (p95 := band_percentile(counts, 0.95)) is not None
    )
    return _points(pairs)


@_metric(
    "vigil_queries_per_request",
    "Database queries per API request, per hour.",
    "queries",
)
def _queries_per_request(labels, start, end) -> Points:
    rows = (
        _api_usage(start, end)
        .values("hour")
        .annotate(queries=Sum("queries"), requests=Sum("requests"))
        .filter(requests__gt=0)
        .order_by("hour")
        .values_list("hour", "queries", "requests")
    )
    return _points([(hour.timestamp(), queries / requests) for hour, queries, requests in rows])
