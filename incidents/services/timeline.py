from datetime import datetime

from django.utils import timezone

from incidents.actors import Actor
from incidents.models import Incident, TimelineEntry


def timeline_record(
    *,
    incident: Incident,
    kind: str,
    message: str,
    by=None,
    data: dict | None = None,
    at: datetime | None = None,
) -> TimelineEntry:
    """Append one entry to ``incident``'s timeline (other apps record alerts and pages here)."""
    actor = Actor.of(by)
    return TimelineEntry.objects.create(
        incident=incident,
        kind=kind,
        message=message,
        actor_user=actor.user,
        actor_name=actor.name,
        data=data or {},
        created_at=at or timezone.now(),
    )
