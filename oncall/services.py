"""Writes to on-call schedules, their layers and overrides, calendar feeds and contact
methods. Each validates the rows it writes (``full_clean``)."""

from collections.abc import Iterable

from django.db import transaction

from core.net import outgoing_url_check_ahead
from core.secrets import secret_generate
from core.services import model_create, model_delete, model_update
from oncall.models import (
    CalendarFeed,
    ContactMethod,
    LayerMember,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
)


@transaction.atomic
def schedule_create(*, name, team, time_zone="UTC", description="", layers=()) -> Schedule:
    schedule = model_create(
        Schedule, name=name, team=team, time_zone=time_zone, description=description
    )
    _layers_replace(schedule, layers)
    return schedule


@transaction.atomic
def schedule_update(*, schedule: Schedule, layers: Iterable | None = None, **fields) -> Schedule:
    """Change the schedule's fields; ``layers``, when given, replaces every layer."""
    model_update(instance=schedule, fields=fields)
    if layers is not None:
        _layers_replace(schedule, layers)
    return schedule


@transaction.atomic
def schedule_delete(*, schedule: Schedule) -> None:
    """Delete a schedule (its layers and overrides go with it) unless an escalation
    policy still pages it: a running escalation would page nobody at that level."""
    model_delete(instance=schedule, refusal=f"Schedule {schedule.name} cannot be deleted.")


def _layers_replace(schedule: Schedule, layers: Iterable[dict]) -> None:
    schedule.layers.all().delete()
    for spec in layers:
        spec = dict(spec)
        members = spec.pop("members", [])
        layer = model_create(ScheduleLayer, schedule=schedule, **spec)
        layer_members_set(layer=layer, users=members)


@transaction.atomic
def layer_create(*, schedule: Schedule, members=(), **fields) -> ScheduleLayer:
    layer = model_create(ScheduleLayer, schedule=schedule, **fields)
    layer_members_set(layer=layer, users=members)
    return layer


@transaction.atomic
def layer_update(*, layer: ScheduleLayer, members=None, **fields) -> ScheduleLayer:
    model_update(instance=layer, fields=fields)
    if members is not None:
        layer_members_set(layer=layer, users=members)
    return layer


@transaction.atomic
def layer_delete(*, layer: ScheduleLayer) -> None:
    layer.delete()


@transaction.atomic
def layer_members_set(*, layer: ScheduleLayer, users: Iterable) -> None:
    """The layer's rotation, in order (replaces the members it had)."""
    users = list(users)
    current = [m.user_id for m in layer.members.order_by("position")]
    if current == [getattr(u, "pk", u) for u in users]:
        return
    layer.members.all().delete()
    LayerMember.objects.bulk_create(
        LayerMember(layer=layer, user_id=getattr(user, "pk", user), position=position)
        for position, user in enumerate(users)
    )


@transaction.atomic
def override_create(*, schedule: Schedule, user, start, end, reason="") -> ScheduleOverride:
    return model_create(
        ScheduleOverride, schedule=schedule, user=user, start=start, end=end, reason=reason
    )


@transaction.atomic
def override_update(*, override: ScheduleOverride, **fields) -> ScheduleOverride:
    model_update(instance=override, fields=fields)
    return override


@transaction.atomic
def override_delete(*, override: ScheduleOverride) -> None:
    override.delete()


@transaction.atomic
def calendar_feed_get_or_create(*, user) -> CalendarFeed:
    feed = CalendarFeed.objects.filter(user=user).first()
    return feed or model_create(CalendarFeed, user=user, token=secret_generate())


@transaction.atomic
def calendar_feed_rotate(*, user) -> CalendarFeed:
    CalendarFeed.objects.filter(user=user).delete()
    return model_create(CalendarFeed, user=user, token=secret_generate())


def contact_method_create(*, user, kind: str, address: str, enabled: bool = True) -> ContactMethod:
    outgoing_url_check_ahead(address)  # DNS, before the transaction
    with transaction.atomic():
        return model_create(ContactMethod, user=user, kind=kind, address=address, enabled=enabled)


def contact_method_update(*, method: ContactMethod, **fields) -> ContactMethod:
    outgoing_url_check_ahead(fields.get("address"))
    with transaction.atomic():
        model_update(instance=method, fields=fields)
    return method


@transaction.atomic
def contact_method_delete(*, method: ContactMethod) -> None:
    """Refused once the method was used to page someone (the page's history needs it):
    disable it instead."""
    model_delete(
        instance=method,
        refusal="This contact method has paged someone; disable it instead of deleting it.",
    )
