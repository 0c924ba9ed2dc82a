import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.models import TimeStampedModel
from incidents.models.incidents import Incident, Severity
from incidents.models.schedules import Schedule
from incidents.models.teams import Service, Team


class EscalationPolicy(TimeStampedModel):
    """Who is told, in what order, until someone acknowledges."""

    name = models.CharField(max_length=100)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="escalation_policies")
    repeat = models.PositiveSmallIntegerField(
        default=0, help_text="How many more times to run all the steps after the last one."
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "escalation policies"

    def __str__(self):
        return self.name


class EscalationStep(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    delay = models.DurationField(
        help_text="How long to wait for an acknowledgement before the next step."
    )
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    schedules = models.ManyToManyField(
        Schedule, blank=True, related_name="+", help_text="Whoever is on call when the step runs."
    )

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="escalation_step_position")
        ]

    def __str__(self):
        return f"{self.policy}: step {self.position + 1}"


class ServiceEscalationRule(models.Model):
    """A service's policy for one severity, instead of its default policy."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="escalation_rules")
    severity = models.CharField(max_length=4, choices=Severity.choices)
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "severity"], name="one_rule_per_severity")
        ]

    def __str__(self):
        return f"{self.service} {self.severity}: {self.policy}"


class ContactKind(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook (Slack-compatible JSON, HMAC-signed)"


def _new_secret():
    return secrets.token_urlsafe(32)


class ContactMethod(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods"
    )
    kind = models.CharField(max_length=10, choices=ContactKind.choices)
    address = models.CharField(max_length=500, help_text="An email address or an https URL.")
    # Signs webhook bodies (X-Vigil-Signature), so the receiver knows they came from here.
    secret = models.CharField(max_length=100, default=_new_secret)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user", "kind", "id"]

    def __str__(self):
        return f"{self.user} {self.kind}: {self.address}"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """One page to one person by one contact method: the outbox row. Written in the same
    transaction as the escalation step, sent by a worker after commit; the unique
    constraint means a level of an escalation never pages anyone twice."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notifications")
    level = models.PositiveSmallIntegerField()
    repeat = models.PositiveSmallIntegerField(default=0)
    round = models.PositiveSmallIntegerField(
        default=0, help_text="Which escalation of the incident (a reopen starts a new one)."
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    contact_method = models.ForeignKey(ContactMethod, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "round", "repeat", "level", "user", "contact_method"],
                name="one_notification_per_step_person_method",
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.incident} level {self.level} to {self.user} ({self.status})"
