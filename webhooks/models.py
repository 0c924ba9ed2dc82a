"""Outgoing webhooks: other tools told about events, by a signed JSON POST per event."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from catalog.models import Service
from core.models import OutboxRow
from core.net import validate_outgoing_url
from core.secrets import secret_generate
from webhooks.events import event_names


def validate_events(value):
    """A non-empty list of known event names."""
    known = event_names()
    if not isinstance(value, list) or not value or not all(isinstance(e, str) for e in value):
        raise ValidationError(f"A non-empty list of event names: {', '.join(known)}.")
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ValidationError(f"Unknown event(s) {', '.join(unknown)}; known: {', '.join(known)}.")


def all_events():
    return event_names()


class OutgoingWebhook(models.Model):
    """Tell another tool about events: a signed JSON POST per event."""

    name = models.CharField(max_length=100)
    url = models.URLField(
        max_length=1000,
        validators=[validate_outgoing_url],
        help_text="http(s); a public address unless OUTGOING_ALLOW_PRIVATE is on.",
    )
    secret = models.CharField(
        max_length=100, default=secret_generate, editable=False, help_text="Signs every body."
    )
    events = models.JSONField(
        default=all_events,
        validators=[validate_events],
        help_text='Which events, e.g. ["triggered", "resolved"].',
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhooks",
        help_text="Only this service's events; empty: every service.",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class WebhookDelivery(OutboxRow):
    """One event for one webhook: the outbox row and its delivery log. Its id is the
    delivery's idempotency key (``X-Vigil-Delivery``)."""

    webhook = models.ForeignKey(
        OutgoingWebhook, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=50)
    subject = models.CharField(
        max_length=100, blank=True, help_text='What the event is about, e.g. "incident:42".'
    )
    payload = models.JSONField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta(OutboxRow.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.event} to {self.webhook} ({self.status})"
