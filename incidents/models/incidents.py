from django.conf import settings
from django.db import models
from django.db.models import F, Q

from catalog.models import Service
from core.models import TimeStampedModel


class IncidentStatus(models.TextChoices):
    TRIGGERED = "triggered", "Triggered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    MITIGATED = "mitigated", "Mitigated"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED, IncidentStatus.MITIGATED)


class IncidentSeverity(models.TextChoices):
    SEV1 = "SEV1", "SEV1 (critical)"
    SEV2 = "SEV2", "SEV2 (high)"
    SEV3 = "SEV3", "SEV3 (medium)"
    SEV4 = "SEV4", "SEV4 (low)"


SEVERITY_NAMES = {
    IncidentSeverity.SEV1: "critical",
    IncidentSeverity.SEV2: "high",
    IncidentSeverity.SEV3: "medium",
    IncidentSeverity.SEV4: "low",
}


class IncidentSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    ALERT = "alert", "Alert"
    SLO = "slo", "SLO burn rate"
    ANOMALY = "anomaly", "Anomaly"
    HEALTH = "health", "Platform health check"


def _null(*fields):
    return Q(**{f"{field}__isnull": True for field in fields})


def _set(*fields):
    return Q(**{f"{field}__isnull": False for field in fields})


def _not_before(later, earlier):
    return Q(**{f"{later}__isnull": True}) | Q(**{f"{later}__gte": F(earlier)})


class Incident(TimeStampedModel):
    """Something is wrong with a service and people are working on it.

    Change it only through ``incidents.services``: each change is checked against the
    allowed moves (``incidents.lifecycle``) and leaves a timeline entry. The database
    enforces what must never be false, whoever writes.
    """

    PREFIX = "INC-"

    number = models.PositiveIntegerField(unique=True, editable=False)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="incidents")
    severity = models.CharField(
        max_length=4, choices=IncidentSeverity.choices, default=IncidentSeverity.SEV3
    )
    status = models.CharField(
        max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.TRIGGERED
    )
    source = models.CharField(
        max_length=10, choices=IncidentSource.choices, default=IncidentSource.MANUAL
    )
    # Signals with the same key on the same service join the one open incident.
    dedup_key = models.CharField(max_length=255, blank=True, default="")
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commanded_incidents",
    )
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="assigned_incidents", blank=True
    )
    resolution_note = models.TextField(blank=True)
    # The escalation policy as it was when the incident triggered (later edits to the
    # policy do not change a running escalation), and where the escalation stands.
    escalation = models.JSONField(default=dict, blank=True, editable=False)
    escalation_round = models.PositiveSmallIntegerField(default=0, editable=False)
    escalation_level = models.PositiveSmallIntegerField(default=0, editable=False)
    escalation_repeat = models.PositiveSmallIntegerField(default=0, editable=False)
    escalation_next_at = models.DateTimeField(null=True, blank=True, editable=False)

    triggered_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Who did each; empty when the system or an integration did it (the timeline names it).
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    mitigated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-triggered_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-triggered_at"]),
            models.Index(fields=["service", "status"]),
            models.Index(fields=["-triggered_at"]),
            models.Index(
                fields=["escalation_next_at"],
                condition=Q(escalation_next_at__isnull=False),
                name="incident_escalation_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "dedup_key"],
                condition=Q(status__in=OPEN_STATUSES) & ~Q(dedup_key=""),
                name="one_open_incident_per_service_dedup_key",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=IncidentSeverity.values), name="incident_severity_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=IncidentStatus.TRIGGERED)
                    & _null("acknowledged_at", "mitigated_at", "resolved_at", "closed_at")
                )
                | (
                    Q(status=IncidentStatus.ACKNOWLEDGED)
                    & _set("acknowledged_at")
                    & _null("mitigated_at", "resolved_at", "closed_at")
                )
                | (
                    Q(status=IncidentStatus.MITIGATED)
                    & _set("acknowledged_at", "mitigated_at")
                    & _null("resolved_at", "closed_at")
                )
                | (Q(status=IncidentStatus.RESOLVED) & _set("resolved_at") & _null("closed_at"))
                | (Q(status=IncidentStatus.CLOSED) & _set("resolved_at", "closed_at")),
                name="incident_timestamps_match_status",
            ),
            models.CheckConstraint(
                condition=_not_before("acknowledged_at", "triggered_at")
                & _not_before("mitigated_at", "acknowledged_at")
                & _not_before("resolved_at", "triggered_at")
                & _not_before("closed_at", "resolved_at"),
                name="incident_timestamps_in_order",
            ),
        ]

    def __str__(self):
        return f"{self.reference}: {self.title}"

    @property
    def reference(self) -> str:
        return f"{self.PREFIX}{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def severity_name(self) -> str:
        return SEVERITY_NAMES[self.severity]

    @property
    def time_to_acknowledge(self):
        return self.acknowledged_at - self.triggered_at if self.acknowledged_at else None

    @property
    def time_to_resolve(self):
        return self.resolved_at - self.triggered_at if self.resolved_at else None
