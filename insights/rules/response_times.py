"""Response times that got significantly worse: the mean MTTA or MTTR of the last 30
days against the 30 before, each incident one sample, by Welch's t-test or the
Mann-Whitney U test."""

from datetime import datetime, timedelta
from urllib.parse import urlencode

from analytics.comparison import period_comparison
from insights.engine import Finding, Rule

PERIOD = timedelta(days=30)
CRITICAL_CHANGE_PERCENT = 50
METRICS = {
    "vigil_mtta_seconds": ("MTTA", "time to acknowledge"),
    "vigil_mttr_seconds": ("MTTR", "time to resolve"),
}


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _p(test: dict) -> float | None:
    p = test.get("p_value")
    return None if p is None else round(p, 4)


def find(now: datetime) -> list[Finding]:
    a_start, a_end, b_start, b_end = now - 2 * PERIOD, now - PERIOD, now - PERIOD, now
    findings = []
    for metric, (short, long) in METRICS.items():
        result = period_comparison(
            metric=metric,
            labels={},
            a_start=a_start,
            a_end=a_end,
            b_start=b_start,
            b_end=b_end,
        )
        change = result["change_percent"]
        if not result["significant"] or change is None or change <= 0:
            continue
        before, after = _minutes(result["a"]["mean"]), _minutes(result["b"]["mean"])
        query = urlencode(
            {
                "metric": metric,
                "a_start": a_start.isoformat(),
                "a_end": a_end.isoformat(),
                "b_start": b_start.isoformat(),
                "b_end": b_end.isoformat(),
            }
        )
        findings.append(
            Finding(
                subject=f"metric:{metric}",
                title=(
                    f"{short} rose {change:.0f}% over the last 30 days "
                    f"({before:g} -> {after:g} min)"
                ),
                severity="critical" if change > CRITICAL_CHANGE_PERCENT else "warning",
                recommendation=(
                    f"The mean {long} is significantly worse than the 30 days before. Look at "
                    "the slowest incidents of the period for the services and teams behind it: "
                    + (
                        "check who was paged and how quickly, escalation delays and noisy "
                        "alerts that bury real pages."
                        if short == "MTTA"
                        else "check runbooks, missing dashboards and hand-offs that held "
                        "the fix up, and turn what you find into action items."
                    )
                ),
                evidence=(
                    ("Comparison", f"/api/analytics/compare?{query}"),
                    ("Incident analytics", "/api/analytics/incidents"),
                ),
                figures={
                    "change_percent": round(change, 1),
                    "mean_minutes_before": before,
                    "mean_minutes_after": after,
                    "incidents_before": result["a"]["count"],
                    "incidents_after": result["b"]["count"],
                    "welch_p": _p(result["welch"]),
                    "mann_whitney_p": _p(result["mann_whitney"]),
                },
            )
        )
    return findings


RULE = Rule(
    "response_times_worse",
    "MTTA or MTTR significantly worse over the last 30 days than the 30 before.",
    find,
)
