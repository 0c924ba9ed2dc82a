"""Insights: what the rules found in the platform's data, each with a recommendation and
its evidence, kept as one row per finding (its fingerprint) across generations."""

from django.conf import settings
from django.db import models

from core.models import TimeStampedModel


class InsightSeverity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class InsightStatus(models.TextChoices):
    OPEN = "open", "Open"
    DISMISSED = "dismissed", "Dismissed"
    RESOLVED = "resolved", "Resolved"


class Insight(TimeStampedModel):
    rule = models.CharField(max_length=60)
    # sha256 of the rule and the finding's subject: the same finding is the same row.
    fingerprint = models.CharField(max_length=64, unique=True)
    # sha256 of what the finding says: a dismissed insight reopens when it changes.
    content_hash = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    severity = models.CharField(max_length=10, choices=InsightSeverity.choices)
    recommendation = models.TextField()
    evidence = models.JSONField(default=list, help_text="[{label, url}] of admin or API pages.")
    figures = models.JSONField(default=dict)
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=InsightStatus.choices, default=InsightStatus.OPEN
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["status", "-last_seen"]
        indexes = [models.Index(fields=["status", "rule"])]

    def __str__(self):
        return self.title
