"""API and admin routes whose 95th-percentile latency over the last week is above the
latency benchmark's target: the pages and calls people wait on."""

from datetime import datetime, timedelta
from urllib.parse import quote

from analytics.models import Benchmark
from analytics.usage import usage_report
from insights.engine import Finding, Rule

BENCHMARK = "API latency p95"
DEFAULT_TARGET_MS = 500.0
WINDOW = timedelta(days=7)
MIN_REQUESTS = 100


def find(now: datetime) -> list[Finding]:
    benchmark = Benchmark.objects.filter(name=BENCHMARK).first()
    target = benchmark.target if benchmark is not None else DEFAULT_TARGET_MS
    start = now - WINDOW
    report = usage_report(start=start, end=now)
    findings = []
    rows = sorted(report["routes"], key=lambda row: (row["route"], row["method"]))
    for row in rows:
        p95 = row["p95_ms"]
        if row["requests"] < MIN_REQUESTS or p95 is None or p95 <= target:
            continue
        evidence = [
            (
                "Usage",
                f"/api/analytics/usage?start={quote(start.isoformat())}"
                f"&end={quote(now.isoformat())}",
            )
        ]
        if benchmark is not None:
            evidence.append(("Benchmark", f"/admin/analytics/benchmark/{benchmark.pk}/change/"))
        findings.append(
            Finding(
                subject=f"route:{row['method']} {row['route']}",
                title=f"{row['method']} {row['route']} is slow: p95 {p95:.0f} ms",
                severity="warning",
                recommendation=(
                    f"Its 95th percentile over the last 7 days is {p95:.0f} ms against a "
                    f"target of {target:g} ms, over {row['requests']} requests. Profile it: "
                    f"{row['queries_per_request'] or 0:.1f} queries per request is the first "
                    "thing to look at (missing select_related, a query per row)."
                ),
                evidence=tuple(evidence),
                figures={
                    "p95_ms": round(p95, 1),
                    "target_ms": target,
                    "requests": row["requests"],
                    "queries_per_request": (
                        round(row["queries_per_request"], 2)
                        if row["queries_per_request"] is not None
                        else None
                    ),
                },
            )
        )
    return findings


RULE = Rule(
    "slow_endpoints",
    "Routes whose p95 latency over the last week is above the latency benchmark's target.",
    find,
)
