from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.models.incidents import Incident


class TimelineKind(models.TextChoices):
    CREATED = "created", "Created"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    MITIGATED = "mitigated", "Mitigated"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"
    SEVERITY_CHANGED = "severity_changed", "Severity changed"
    ASSIGNED = "assigned", "Assignment changed"
    UPDATED = "updated", "Details changed"
    NOTE = "note", "Note"
    ALERT = "alert", "Alert"
    ESCALATION = "escalation", "Escalation"
    NOTIFICATION = "notification", "Notification"
    REVIEW = "review", "Post-incident review"
    ACTION_ITEM = "action_item", "Action item"


class TimelineEntry(models.Model):
    """One row of an incident's audit log: what happened, who did it, when.

    Append-only: written by ``incidents.services``, never edited or deleted through
    the admin or the API.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=20, choices=TimelineKind.choices)
    message = models.TextField()
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A user's name, "system", or an integration's name: kept even if the user is deleted.
    actor_name = models.CharField(max_length=150)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["incident", "created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind}: {self.message[:60]}"
