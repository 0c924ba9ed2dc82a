"""Writes to insights: a generation reconciles every rule's findings with the stored
insights, and people dismiss them."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from insights.engine import rules
from insights.models import Insight, InsightStatus


def _fields(rule: str, finding, now: datetime) -> dict:
    return {
        "rule": rule,
        "content_hash": finding.content_hash(),
        "title": finding.title[:300],
        "severity": finding.severity,
        "recommendation": finding.recommendation,
        "evidence": [{"label": label, "url": url} for label, url in finding.evidence],
        "figures": finding.figures,
        "service_id": finding.service_id,
        "last_seen": now,
    }


@transaction.atomic
def insights_generate(*, now: datetime | None = None) -> dict:
    """Run every rule: a new finding is a new open insight; one seen before is updated
    (a dismissed one reopens only if what it says changed; a resolved one reopens); an
    open or dismissed insight no rule finds any more resolves itself.
    ``{"created", "updated", "resolved", "insights"}`` (the ids of the open ones)."""
    now = now or timezone.now()
    found = {}
    for rule in rules():
        for finding in rule.find(now):
            found[finding.fingerprint(rule.name)] = (rule.name, finding)
    stored = {
        insight.fingerprint: insight
        for insight in Insight.objects.select_for_update().filter(fingerprint__in=found)
    }
    created = updated = 0
    for fingerprint, (rule, finding) in found.items():
        fields = _fields(rule, finding, now)
        insight = stored.get(fingerprint)
        if insight is None:
            Insight.objects.create(
                fingerprint=fingerprint, first_seen=now, status=InsightStatus.OPEN, **fields
            )
            created += 1
            continue
        changed = insight.content_hash != fields["content_hash"]
        if insight.status == InsightStatus.RESOLVED or (
            insight.status == InsightStatus.DISMISSED and changed
        ):
            fields.update(status=InsightStatus.OPEN, resolved_at=None, dismissed_at=None)
        updated += changed or fields.get("status") == InsightStatus.OPEN
        for name, value in fields.items():
            setattr(insight, name, value)
        insight.save()
    resolved = (
        Insight.objects.filter(status__in=[InsightStatus.OPEN, InsightStatus.DISMISSED])
        .exclude(fingerprint__in=found)
        .update(status=InsightStatus.RESOLVED, resolved_at=now, updated_at=now)
    )
    open_ids = list(Insight.objects.filter(status=InsightStatus.OPEN).values_list("pk", flat=True))
    return {"created": created, "updated": updated, "resolved": resolved, "insights": open_ids}


@transaction.atomic
def insight_dismiss(*, insight: Insight, by) -> Insight:
    """Dismiss an open insight: it stays dismissed until its finding changes."""
    insight = Insight.objects.select_for_update().get(pk=insight.pk)
    if insight.status == InsightStatus.OPEN:
        insight.status = InsightStatus.DISMISSED
        insight.dismissed_at = timezone.now()
        insight.dismissed_by = by
        insight.save(update_fields=["status", "dismissed_at", "dismissed_by", "updated_at"])
    return insight
