"""Writes to on-call schedules, their layers and overrides."""

import secrets
from collections.abc import Iterable

from django.db import transaction

from core.errors import InvalidInput
from incidents.models import CalendarFeed, LayerMember, Schedule, ScheduleLayer, ScheduleOverride


@transaction.atomic
def schedule_create(*, name, team, time_zone="UTC", description="", layers=()) -> Schedule:
    schedule = Schedule.objects.create(
        name=name, team=team, time_zone=time_zone, description=description
    )
    _layers_replace(schedule, layers)
    return schedule


@transaction.atomic
def schedule_update(*, schedule: Schedule, layers: Iterable | None = None, **fields) -> Schedule:
    """Change the schedule's fields; ``layers``, when given, replaces every layer."""
    changed = [name for name, value in fields.items() if getattr(schedule, name) != value]
    for name in changed:
        setattr(schedule, name, fields[name])
    if changed:
        schedule.save(update_fields=[*changed, "updated_at"])
    if layers is not None:
        _layers_replace(schedule, layers)
    return schedule


def _layers_replace(schedule: Schedule, layers: Iterable[dict]) -> None:
    schedule.layers.all().delete()
    for spec in layers:
        spec = dict(spec)
        members = spec.pop("members", [])
        layer = ScheduleLayer.objects.create(schedule=schedule, **spec)
        LayerMember.objects.bulk_create(
            LayerMember(layer=layer, user=user, position=position)
            for position, user in enumerate(members)
        )


@transaction.atomic
def override_create(*, schedule: Schedule, user, start, end, reason="") -> ScheduleOverride:
    if end <= start:
        raise InvalidInput(
            "An override must end after it starts.", fields={"end": ["Before start."]}
        )
    return ScheduleOverride.objects.create(
        schedule=schedule, user=user, start=start, end=end, reason=reason
    )


@transaction.atomic
def override_delete(*, override: ScheduleOverride) -> None:
    override.delete()


@transaction.atomic
def calendar_feed_get_or_create(*, user) -> CalendarFeed:
    feed = CalendarFeed.objects.filter(user=user).first()
    return feed or CalendarFeed.objects.create(user=user, token=secrets.token_urlsafe(32))


@transaction.atomic
def calendar_feed_rotate(*, user) -> CalendarFeed:
    CalendarFeed.objects.filter(user=user).delete()
    return CalendarFeed.objects.create(user=user, token=secrets.token_urlsafe(32))
