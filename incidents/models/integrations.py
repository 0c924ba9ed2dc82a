from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from catalog.models import Service
from incidents.models.incidents import Incident, IncidentSeverity


class IntegrationKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    GRAFANA = "grafana", "Grafana Alerting"
    PAGERDUTY = "pagerduty", "PagerDuty Events API v2"
    WEBHOOK = "webhook", "Generic webhook"


def default_severity_mapping():
    return {
        "label": "severity",
        "values": {
            "critical": "SEV1",
            "page": "SEV1",
            "p1": "SEV1",
            "high": "SEV2",
            "error": "SEV2",
            "major": "SEV2",
            "p2": "SEV2",
            "warning": "SEV3",
            "medium": "SEV3",
            "minor": "SEV3",
            "p3": "SEV3",
            "info": "SEV4",
            "low": "SEV4",
            "none": "SEV4",
            "p4": "SEV4",
        },
        "default": "SEV3",
    }


def validate_severity_mapping(value):
    """``{"label": "severity", "values": {"critical": "SEV1", ...}, "default": "SEV3"}``."""
    shape = (
        'Expected {"label": "severity", "values": {"critical": "SEV1", ...}, "default": "SEV3"}.'
    )
    if not isinstance(value, dict):
        raise ValidationError(shape)
    errors = []
    unknown = sorted(set(value) - {"label", "values", "default"})
    if unknown:
        errors.append(f"Unknown key(s): {', '.join(map(str, unknown))}.")
    if not isinstance(value.get("label", "severity"), str) or not value.get("label", "severity"):
        errors.append("label: the name of the label that carries the severity.")
    values = value.get("values", {})
    if not isinstance(values, dict):
        errors.append("values: an object mapping label values to SEV1..SEV4.")
        values = {}
    bad = sorted(
        {str(v) for v in [*values.values(), value.get("default", "SEV3")]}
        - set(IncidentSeverity.values)
    )
    if bad:
        errors.append(f"Not a severity: {', '.join(bad)} (use SEV1, SEV2, SEV3 or SEV4).")
    if errors:
        raise ValidationError([shape, *errors] if len(errors) > 1 else errors)


class Integration(models.Model):
    """A monitoring tool that sends signals for one service.

    The secret authenticates the sender (Bearer token, or PagerDuty's routing key); only
    its SHA-256 digest is stored, so it is shown once, at creation or rotation.
    """

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="integrations")
    kind = models.CharField(max_length=20, choices=IntegrationKind.choices)
    name = models.CharField(max_length=100)
    secret_prefix = models.CharField(max_length=16, editable=False)
    secret_digest = models.CharField(max_length=64, unique=True, editable=False)
    # Grafana signs its body with this shared key; kept in clear because verifying an
    # HMAC needs the key itself.
    hmac_secret = models.CharField(
        max_length=200, blank=True, help_text="Grafana only: the contact point's HMAC secret."
    )
    hmac_timestamp_header = models.CharField(
        max_length=100,
        blank=True,
        help_text="Grafana only: the timestamp header configured with the HMAC secret, if any.",
    )
    enabled = models.BooleanField(default=True)
    severity_mapping = models.JSONField(
        default=default_severity_mapping,
        validators=[validate_severity_mapping],
        help_text='Which label sets the severity and how: {"label": "severity", '
        '"values": {"critical": "SEV1", ...}, "default": "SEV3"}.',
    )
    auto_resolve = models.BooleanField(
        default=True, help_text="Resolve the incident when every alert of its group resolves."
    )
    last_received_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["service__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="integration_name_per_service")
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"


class AlertStatus(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    """One occurrence of an alert as a sender delivered it (a resolved notice is a row too)."""

    # Alerts are the incidents' evidence: an integration that delivered some is disabled,
    # not deleted.
    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="alerts")
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    fingerprint = models.CharField(max_length=255)
    group_key = models.TextField()
    status = models.CharField(max_length=10, choices=AlertStatus.choices)
    summary = models.TextField(blank=True)
    severity = models.CharField(max_length=4)
    labels = models.JSONField(default=dict)
    annotations = models.JSONField(default=dict)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    source_url = models.URLField(max_length=2000, blank=True)
    raw = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["incident", "-received_at"]),
            models.Index(fields=["integration", "-received_at"]),
            models.Index(fields=["fingerprint"]),
        ]

    def __str__(self):
        return f"{self.status} {self.summary[:60] or self.fingerprint}"


class ChangeEvent(models.Model):
    """Something changed on a service (a deploy, a config push): context for responders,
    never an incident. Sent with PagerDuty's change events API."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="changes")
    integration = models.ForeignKey(
        Integration, on_delete=models.SET_NULL, null=True, related_name="changes"
    )
    summary = models.CharField(max_length=1024)
    source = models.CharField(max_length=255, blank=True)
    happened_at = models.DateTimeField()
    custom_details = models.JSONField(default=dict, blank=True)
    links = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-happened_at", "-id"]
        indexes = [models.Index(fields=["service", "-happened_at"])]

    def __str__(self):
        return self.summary[:80]
