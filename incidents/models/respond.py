from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.models.incidents import Incident


class RespondLinkUse(models.Model):
    """A one-click link from a page (acknowledge or resolve, signed, 24 hours) that has
    acted. A link works once: its row is keyed by the SHA-256 of the link's token, so of
    two requests racing with the same link, the database lets one act."""

    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token.")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=20)
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-used_at", "-id"]
        # Written only by the link itself (incidents.services.notifications): no role
        # adds, changes or deletes these rows.
        default_permissions = ()

    def __str__(self):
        return f"{self.action} link of {self.user} for {self.incident} used {self.used_at}"
