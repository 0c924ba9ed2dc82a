"""Reads of schedules: who is on call, shifts, calendars. A list costs a constant number
of queries; one schedule whose stored configuration cannot be evaluated (written around
the model's validation) answers "nobody" and is logged, and never breaks the others."""

import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from oncall import calendars, rotation
from oncall.models import Schedule, ScheduleOverride
from oncall.validators import parse_clock

logger = logging.getLogger(__name__)

# What evaluating a corrupt stored schedule can raise (bad JSON shapes, a rotation too
# short to evaluate). OverflowError is a safety net only: oncall.rotation clips dates at
# the ends of the calendar.
BROKEN_SCHEDULE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OverflowError)


def schedule_list() -> QuerySet[Schedule]:
    return Schedule.objects.select_related("team").prefetch_related(
        "layers__members__user", "overrides__user"
    )


def schedule_spec(schedule: Schedule, *, overrides_from=None) -> rotation.ScheduleSpec:
    """The schedule as plain values for ``oncall.rotation`` (uses prefetched relations
    when the schedule came from ``schedule_list``)."""
    layers = tuple(
        rotation.Layer(
            id=layer.pk,
            priority=layer.priority,
            members=tuple(m.user_id for m in sorted(layer.members.all(), key=lambda m: m.position)),
            rotation=layer.rotation_length,
            first_handoff=datetime.combine(layer.handoff_date, layer.handoff_time),
            restrictions=tuple(
                rotation.Restriction(
                    days=tuple(r.get("days", range(7))),
                    start=parse_clock(r.get("start", "00:00")),
                    end=parse_clock(r.get("end", "00:00")),
                )
                for r in layer.restrictions or ()
            ),
        )
        for layer in schedule.layers.all()
    )
    overrides = tuple(
        rotation.Override(id=o.pk, user=o.user_id, start=o.start, end=o.end)
        for o in schedule.overrides.all()
        if overrides_from is None or o.end > overrides_from
    )
    return rotation.ScheduleSpec(time_zone=schedule.time_zone, layers=layers, overrides=overrides)


def oncall_user_id(schedule: Schedule, at: datetime) -> int | None:
    """Who is on call in ``schedule`` at ``at``; None for nobody, or for a schedule whose
    stored configuration cannot be evaluated (logged, so an operator can fix it)."""
    try:
        return rotation.oncall_at(schedule_spec(schedule, overrides_from=at), at)
    except BROKEN_SCHEDULE_ERRORS as exc:
        logger.error("schedule %s (%s) cannot be evaluated: %r", schedule.pk, schedule.name, exc)
        return None


def oncall_user_ids(schedule_ids, at: datetime) -> dict[int, int | None]:
    """Who is on call at ``at`` in each of ``schedule_ids``, in a constant number of queries."""
    if not schedule_ids:
        return {}
    return {
        schedule.pk: oncall_user_id(schedule, at)
        for schedule in schedule_list().filter(pk__in=schedule_ids)
    }


def usernames(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))


def shift_rows(shifts) -> list[dict]:
    """Shifts as rows with each user's name (one query for all of them)."""
    names = usernames(shift.user for shift in shifts)
    return [
        {
            "user": sh.user,
            "username": names.get(sh.user),
            "start": sh.start,
            "end": sh.end,
            "source": sh.source,
        }
        for sh in shifts
    ]


def schedule_shifts(schedule: Schedule, start, end, *, gaps=False) -> list[dict]:
    return shift_rows(rotation.final_shifts(schedule_spec(schedule), start, end, gaps=gaps))


def schedule_calendar(schedule: Schedule) -> bytes:
    start, end = calendars.feed_window()
    shifts = rotation.final_shifts(schedule_spec(schedule), start, end)
    rows = [
        (schedule, shift, row["username"])
        for shift, row in zip(shifts, shift_rows(shifts), strict=True)
    ]
    return calendars.shifts_calendar(f"On call: {schedule.name}", rows)


def user_calendar(user) -> bytes:
    """Every shift ``user`` has in any schedule (past week, next 60 days)."""
    start, end = calendars.feed_window()
    rows = []
    mine = Q(layers__members__user=user) | Q(overrides__user=user)
    for schedule in schedule_list().filter(mine).distinct():
        try:
            shifts = rotation.final_shifts(schedule_spec(schedule), start, end)
        except BROKEN_SCHEDULE_ERRORS as exc:
            logger.error("schedule %s cannot be evaluated: %r", schedule.pk, exc)
            continue
        rows.extend(
            (schedule, shift, user.get_username()) for shift in shifts if shift.user == user.pk
        )
    return calendars.shifts_calendar(f"On call: {user.get_username()}", rows)


def calendar_feed_user(token: str):
    """The active user whose secret calendar address this is, or None."""
    from oncall.models import CalendarFeed

    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    return feed.user if feed is not None and feed.user.is_active else None


def contact_methods_of(user) -> QuerySet:
    from oncall.models import ContactMethod

    return ContactMethod.objects.filter(user=user)


def schedule_current_list(at: datetime) -> QuerySet[Schedule]:
    """Schedules with what deciding who is on call from ``at`` on needs: layers, their
    members (ids only) and the overrides that have not ended by ``at``, not every past
    one (a schedule's overrides pile up over the years)."""
    return Schedule.objects.select_related("team").prefetch_related(
        "layers__members",
        Prefetch("overrides", queryset=ScheduleOverride.objects.filter(end__gt=at)),
    )


def oncall_usernames(schedules, at: datetime) -> dict[int, str | None]:
    """Who is on call at ``at`` in each of ``schedules`` (from ``schedule_current_list``
    with the same ``at``), by name: one query for all the names. A user id stands in for a
    user that no longer exists; None means nobody (or a schedule that cannot be evaluated)."""
    user_ids = {schedule.pk: oncall_user_id(schedule, at) for schedule in schedules}
    names = usernames(user_ids.values())
    return {
        pk: None if user_id is None else names.get(user_id, str(user_id))
        for pk, user_id in user_ids.items()
    }
