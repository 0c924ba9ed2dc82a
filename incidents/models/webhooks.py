import secrets

from django.db import models
from django.utils import timezone

from incidents.models.incidents import Incident
from incidents.models.teams import Service

WEBHOOK_EVENTS = (
    "triggered",
    "acknowledged",
    "mitigated",
    "resolved",
    "closed",
    "severity_changed",
)


def _secret():
    return secrets.token_urlsafe(32)


def _all_events():
    return list(WEBHOOK_EVENTS)


class OutgoingWebhook(models.Model):
    """Tell another tool about incident events: a signed JSON POST per event."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=1000)
    secret = models.CharField(max_length=100, default=_secret, help_text="Signs every body.")
    events = models.JSONField(default=_all_events, help_text=f"Any of {', '.join(WEBHOOK_EVENTS)}.")
    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhooks",
        help_text="Only this service's incidents; empty: every service.",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class WebhookDelivery(models.Model):
    """One event for one webhook: the outbox row and its delivery log."""

    webhook = models.ForeignKey(
        OutgoingWebhook, on_delete=models.CASCADE, related_name="deliveries"
    )
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=20)
    payload = models.JSONField()
    status = models.CharField(max_length=10, default="pending")  # pending, sent, failed
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.event} to {self.webhook} ({self.status})"
