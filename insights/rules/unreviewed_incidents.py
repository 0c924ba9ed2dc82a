"""Resolved incidents of a reviewed severity (REVIEW_SEVERITIES, SEV1-SEV2 by default)
without a published post-incident review: what was learnt is not written down."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from incidents import selectors
from incidents.models import ReviewStatus
from insights.engine import Finding, Rule

# A review takes a few days to write; before this, its absence is not news.
GRACE = timedelta(days=7)
LOOK_BACK = timedelta(days=90)


def find(now: datetime) -> list[Finding]:
    incidents = (
        selectors.incident_list()
        .filter(
            severity__in=settings.REVIEW_SEVERITIES,
            resolved_at__lt=now - GRACE,
            resolved_at__gte=now - LOOK_BACK,
        )
        .filter(Q(review__isnull=True) | ~Q(review__status=ReviewStatus.PUBLISHED))
        .order_by("resolved_at")
    )
    findings = []
    for incident in incidents:
        days = (now - incident.resolved_at).days
        findings.append(
            Finding(
                subject=f"incident:{incident.pk}",
                title=f"{incident.reference} ({incident.severity}) has no published review",
                severity="critical" if days >= 30 else "warning",
                recommendation=(
                    f"Resolved {days} days ago on {incident.service.name}. Name a facilitator, "
                    "hold the review while memories are fresh and publish it with its action items."
                ),
                evidence=(
                    ("Incident", f"/admin/incidents/incident/{incident.pk}/change/"),
                    ("API", f"/api/incidents/{incident.pk}"),
                ),
                service_id=incident.service_id,
                figures={"days_since_resolved": days},
            )
        )
    return findings


RULE = Rule(
    "unreviewed_incidents",
    "Resolved SEV1-SEV2 incidents (REVIEW_SEVERITIES) without a published review after a week.",
    find,
)
