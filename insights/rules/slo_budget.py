"""SLOs whose error budget is running out or gone, from each one's newest evaluation:
an exhausted budget means the objective is already missed for the window."""

from datetime import datetime

from insights.engine import Finding, Rule
from observability import selectors
from observability.models import SLOState

AT_RISK_REMAINING = 0.25  # under a quarter of the budget left


def _percent(ratio: float | None, digits: int) -> float | None:
    return None if ratio is None else round(ratio * 100, digits)


def find(now: datetime) -> list[Finding]:
    slos = list(selectors.slo_list().order_by("pk"))
    latest = selectors.slo_latest_evaluations(slos)
    findings = []
    for slo in slos:
        evaluation = latest.get(slo.pk)
        if evaluation is None:
            continue
        remaining = evaluation.budget_remaining
        exhausted = evaluation.state == SLOState.BREACHED or (
            remaining is not None and remaining <= 0
        )
        at_risk = evaluation.state == SLOState.AT_RISK or (
            remaining is not None and remaining < AT_RISK_REMAINING
        )
        if not (exhausted or at_risk):
            continue
        left = _percent(remaining, 1)
        what = (
            "error budget exhausted"
            if exhausted
            else f"error budget at risk ({left:g}% left)"
            if left is not None
            else "error budget at risk"
        )
        findings.append(
            Finding(
                subject=f"slo:{slo.pk}",
                title=f"{slo.service.name} {slo.name}: {what}",
                severity="critical" if exhausted else "warning",
                recommendation=(
                    "The objective is missed for this window: freeze risky changes to "
                    f"{slo.service.name} and spend the effort on reliability until the budget "
                    "recovers; check the burn rates for what is consuming it."
                    if exhausted
                    else f"Less than {AT_RISK_REMAINING:.0%} of the budget may remain: find "
                    "what is burning it (the status page shows the burn rates) and fix it, "
                    f"or slow down releases to {slo.service.name}, before it runs out."
                ),
                evidence=(
                    ("SLO", f"/admin/observability/slo/{slo.pk}/change/"),
                    ("SLO status", f"/api/slos/{slo.pk}/status"),
                ),
                service_id=slo.service_id,
                figures={
                    "state": evaluation.state,
                    "budget_remaining_percent": left,
                    "sli_percent": _percent(evaluation.sli, 3),
                    "target_percent": float(slo.target),
                },
            )
        )
    return findings


RULE = Rule(
    "slo_budget",
    "SLOs whose error budget is at risk (under 25% left) or exhausted.",
    find,
)
