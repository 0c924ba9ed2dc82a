"""Services that cannot page anyone, receive no alerts, or have no runbook: an incident
on them starts blind."""

from datetime import datetime

from django.db.models import Count, Q

from catalog import selectors
from insights.engine import Finding, Rule


def _noun(what: str) -> str:
    return what.split(" ", 1)[1]  # "an escalation policy" -> "escalation policy"


def find(now: datetime) -> list[Finding]:
    services = (
        selectors.service_list()
        .annotate(
            policy_count=Count("escalation_rules", distinct=True),
            integration_count=Count(
                "integrations", distinct=True, filter=Q(integrations__enabled=True)
            ),
        )
        .order_by("slug")
    )
    findings = []
    for service in services:
        missing = [
            what
            for what, absent in (
                ("an escalation policy", service.policy_count == 0),
                ("an integration", service.integration_count == 0),
                ("a runbook", not service.runbook_url),
            )
            if absent
        ]
        if not missing:
            continue
        findings.append(
            Finding(
                subject=f"service:{service.slug}",
                title=f"{service.name} has no " + " and no ".join(_noun(m) for m in missing),
                severity="critical" if service.policy_count == 0 else "warning",
                recommendation="Give it "
                + ", ".join(missing)
                + ": "
                + (
                    "without a policy its incidents page nobody."
                    if service.policy_count == 0
                    else "responders start from what these give them."
                ),
                evidence=(("Service", f"/admin/catalog/service/{service.pk}/change/"),),
                service_id=service.pk,
                figures={"missing": missing},
            )
        )
    return findings


RULE = Rule(
    "unowned_services",
    "Services without an escalation policy, an enabled integration or a runbook.",
    find,
)
