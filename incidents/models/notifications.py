from django.conf import settings
from django.db import models

from core.models import OutboxRow
from incidents.models.incidents import Incident
from oncall.models import ContactMethod


class Notification(OutboxRow):
    """One page to one person by one contact method: the outbox row. Written in the same
    transaction as the escalation step, sent by a worker after commit; the unique
    constraint means a level of an escalation never pages anyone twice. Its id is the
    page's idempotency key (the email's Message-ID, the webhook's ``X-Vigil-Delivery``)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notifications")
    level = models.PositiveSmallIntegerField()
    repeat = models.PositiveSmallIntegerField(default=0)
    round = models.PositiveSmallIntegerField(
        default=0, help_text="Which escalation of the incident (a reopen starts a new one)."
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # A method that has paged someone stays, as the page's record (disable it instead).
    contact_method = models.ForeignKey(ContactMethod, on_delete=models.RESTRICT, related_name="+")

    class Meta(OutboxRow.Meta):
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "round", "repeat", "level", "user", "contact_method"],
                name="one_notification_per_step_person_method",
            )
        ]

    @property
    def level_label(self) -> str:
        """The level as people read it: ``level`` is the step's index (0 is the first
        step), shown 1-based, as the timeline's escalation entries say it."""
        return f"level {self.level + 1}" + (f" (repeat {self.repeat})" if self.repeat else "")

    def __str__(self):
        return f"{self.incident} {self.level_label} to {self.user} ({self.status})"
