"""The performance report: how fast and how correctly the platform answered, per endpoint;
how many database queries a request cost; how much memory the workers held; and the
platform's own SLOs.

Its traffic figures are ``/api/analytics/usage``'s for the same period (the same
``usage_report``); the benchmarks judge this period's samples with each benchmark's own
statistic (the benchmark API judges its rolling window instead); SLOs are
``/api/slos/<id>/status?at=<end>``.

The task queues' depth is recorded nowhere (no metric series, no read of the broker's
queues), so the report says so rather than showing a number it does not have."""

from datetime import UTC, datetime

import numpy as np

from analytics import selectors as analytics_selectors
from analytics.benchmarks import benchmark_status, statistic_of
from analytics.builtin import BUILTIN
from analytics.stats.trend import resample
from analytics.usage import usage_report
from insights.reports import charts
from insights.reports.document import Period, ReportContent
from observability import selectors as slo_selectors
from observability.platform import SERVICE as PLATFORM_SERVICE
from observability.services import slo_status

TEMPLATE = "reports/performance.html"

LATENCY = "vigil_api_latency_p95_ms"
QUERIES = "vigil_queries_per_request"
MEMORY = "vigil_worker_memory_bytes"
# What each figure is judged by when its benchmark was deleted: the defaults' statistics.
DEFAULT_STATISTIC = {LATENCY: "mean", QUERIES: "mean", MEMORY: "latest"}
TITLES = {
    LATENCY: "API latency (p95)",
    QUERIES: "Queries per request",
    MEMORY: "Worker memory",
}

TOP_ENDPOINTS = 15
SLOWEST = 10
# An endpoint's p95 from a handful of requests says little: the slowest list needs this many.
SLOWEST_MIN_REQUESTS = 10
ERRORING = 10
CHARTED_HOSTS = 8
DAY = 86_400
MIB = 2**20


def _iso(seconds: float | None) -> str | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC).isoformat()


def traffic(usage: dict) -> dict:
    totals = usage["totals"]
    return {
        key: totals[key]
        for key in (
            "requests",
            "p50_ms",
            "p95_ms",
            "error_rate",
            "client_error_rate",
            "queries_per_request",
        )
    }


def endpoints(routes: list[dict]) -> dict:
    """The busiest endpoints, the slowest (by p95, among those with enough requests) and
    those that answered 5xx (most first); each row as ``/api/analytics/usage`` has it."""
    slow = sorted(
        (row for row in routes if row["requests"] >= SLOWEST_MIN_REQUESTS),
        key=lambda row: (-(row["p95_ms"] or 0), -row["requests"], row["route"], row["method"]),
    )
    erroring = sorted(
        (
            {**row, "server_errors": round(row["error_rate"] * row["requests"])}
            for row in routes
            if row["error_rate"]
        ),
        key=lambda row: (-row["server_errors"], -row["error_rate"], row["route"], row["method"]),
    )
    return {
        "count": len(routes),
        "busiest": routes[:TOP_ENDPOINTS],
        "slowest": slow[:SLOWEST],
        "slowest_min_requests": SLOWEST_MIN_REQUESTS,
        "erroring": erroring[:ERRORING],
        "erroring_count": len(erroring),
    }


def _judged(metric: str, times: np.ndarray, values: np.ndarray, unit: str) -> dict:
    """This period's figure of ``metric`` by its benchmark's statistic, against the
    benchmark's baseline and target."""
    benchmark = analytics_selectors.benchmark_for(metric)
    statistic = benchmark.statistic if benchmark else DEFAULT_STATISTIC[metric]
    value = statistic_of(statistic, values)
    return {
        "metric": metric,
        "title": TITLES[metric],
        "benchmark": benchmark.name if benchmark else None,
        "statistic": statistic,
        "unit": benchmark.unit if benchmark and benchmark.unit else unit,
        "samples": int(values.size),
        "value": value,
        "at": _iso(float(times[-1])) if statistic == "latest" and times.size else None,
        "baseline": benchmark.baseline if benchmark else None,
        "target": benchmark.target if benchmark else None,
        "status": benchmark_status(
            value,
            baseline=benchmark.baseline,
            target=benchmark.target,
            higher_is_better=benchmark.higher_is_better,
        )
        if benchmark
        else None,
    }


def _builtin(metric: str, period: Period) -> tuple[np.ndarray, np.ndarray]:
    """A built-in metric's hourly points in the period (the latency and query metrics take
    no labels, so a benchmark of them judges exactly these)."""
    return analytics_selectors.metric_points(metric, {}, period.start, period.end)


def _daily(times: np.ndarray, values: np.ndarray, days: list) -> list[float | None]:
    """Mean of the hourly figures per UTC day (what the benchmarks judge, day by day); a
    day without any is a gap."""
    starts, means = resample(times, values, DAY)
    by_day = dict(zip(starts.tolist(), means.tolist(), strict=True))
    return [by_day.get(day.timestamp()) for day in days]


def workers(period: Period) -> tuple[list[dict], dict]:
    """Each host's memory samples in the period (one query for the series, one per
    host) and its summary; and the samples a benchmark of worker memory judges."""
    benchmark = analytics_selectors.benchmark_for(MEMORY)
    wanted = (benchmark.labels if benchmark else None) or {}
    hosts, judged = [], []
    series_list = list(analytics_selectors.series_list().filter(name=MEMORY).order_by("pk"))
    exact = [s for s in series_list if (s.labels or {}) == wanted]
    for series in series_list:
        times, values = analytics_selectors.series_points(series.pk, period.start, period.end)
        labels = series.labels or {}
        if (series in exact) if exact else wanted.items() <= labels.items():
            judged.append((series.pk, times, values))
        if not times.size:
            continue
        hosts.append(
            {
                "host": labels.get("host") or series.labels_key or "(no host)",
                "labels": labels,
                "samples": int(values.size),
                "latest": float(values[-1]),
                "latest_at": _iso(float(times[-1])),
                "peak": float(values.max()),
                "mean": float(values.mean()),
                "_points": (times, values),
            }
        )
    hosts.sort(key=lambda row: (-row["latest"], row["host"]))
    if judged:
        # In time order, a host's samples before the next host's at the same instant (as
        # the benchmarks read them), so "latest" is the newest sample of any worker.
        times = np.concatenate([t for _, t, _ in judged])
        values = np.concatenate([v for _, _, v in judged])
        order = np.argsort(times, kind="stable")
        times, values = times[order], values[order]
    else:
        times = values = np.empty(0)
    return hosts, _judged(MEMORY, times, values, "bytes")


def _memory_step(period: Period) -> int:
    if period.days <= 8:
        return 3600
    if period.days <= 62:
        return 6 * 3600
    return DAY


def memory_chart(hosts: list[dict], period: Period, target: float | None) -> str | None:
    charted = hosts[:CHARTED_HOSTS]
    if not charted:
        return None
    step = _memory_step(period)
    resampled = [resample(*host["_points"], step) for host in charted]
    grid = sorted({float(t) for starts, _ in resampled for t in starts})
    series = {}
    for host, (starts, means) in zip(charted, resampled, strict=True):
        by_time = dict(zip(starts.tolist(), (means / MIB).tolist(), strict=True))
        series[host["host"]] = [by_time.get(t) for t in grid]
    return charts.lines_with_target(
        [datetime.fromtimestamp(t, UTC) for t in grid],
        series,
        unit="MiB",
        target=None if target is None else target / MIB,
        from_zero=False,
        span=(period.start, period.end),
    )


def slos(period: Period) -> list[dict]:
    rows = []
    platform = slo_selectors.slo_list().filter(service__slug=PLATFORM_SERVICE["slug"])
    for slo in platform.order_by("name"):
        status = slo_status(slo, period.end)
        rows.append(
            {
                "slo": slo.pk,
                "name": slo.name,
                "service": slo.service.name,
                "window": slo.window,
                "objective": slo.objective,
                "sli": status.sli,
                "good": status.good,
                "total": status.total,
                "budget_remaining": status.remaining_ratio,
                "burn_rate_1h": status.burn_rates.get("1h"),
                "burn_rate_1d": status.burn_rates.get("1d"),
                "state": status.state,
                "page": status.page,
                "ticket": status.ticket,
            }
        )
    return rows


def build(period: Period, params: dict) -> ReportContent:
    usage = usage_report(start=period.start, end=period.end)
    days = charts.day_starts(period.start, period.end)
    latency_points = _builtin(LATENCY, period)
    queries_points = _builtin(QUERIES, period)
    latency = _judged(LATENCY, *latency_points, BUILTIN[LATENCY].unit)
    queries = _judged(QUERIES, *queries_points, BUILTIN[QUERIES].unit)
    hosts, memory = workers(period)
    figures = {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "traffic": traffic(usage),
        "endpoints": endpoints(usage["routes"]),
        "benchmarks": [latency, queries, memory],
        "workers": [{k: v for k, v in host.items() if not k.startswith("_")} for host in hosts],
        "queue_backlog": {
            "recorded": False,
            "detail": "No metric records the task queues' depth, and nothing reads it from "
            "the broker.",
        },
        "slos": slos(period),
    }
    latency_daily = _daily(*latency_points, days)
    queries_daily = _daily(*queries_points, days)
    context = {
        "latency_chart": charts.lines_with_target(
            days,
            {"p95 (mean of the hours)": latency_daily},
            unit="ms",
            target=latency["target"],
            span=(days[0], period.end),
        )
        if any(value is not None for value in latency_daily)
        else None,
        "queries_chart": charts.lines_with_target(
            days,
            {"queries per request": queries_daily},
            unit="queries",
            target=queries["target"],
            span=(days[0], period.end),
        )
        if any(value is not None for value in queries_daily)
        else None,
        "memory_chart": memory_chart(hosts, period, memory["target"]),
        "memory_step_hours": _memory_step(period) // 3600,
        "charted_hosts": min(len(hosts), CHARTED_HOSTS),
    }
    return ReportContent(title="Performance report", figures=figures, context=context)
