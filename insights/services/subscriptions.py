"""Report subscriptions: a report kind sent by email on a schedule. Each subscription
owns one django-celery-beat entry (its crontab, in its time zone), kept in step with it
here; beat runs ``report_subscription_run``, which asks for the report of the period
that has just ended, once (a second run for the same period finds the first)."""

import json
from datetime import UTC, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from insights.models import (
    Report,
    ReportKind,
    ReportOrigin,
    ReportPeriod,
    ReportSubscription,
)
from insights.services.reports import report_request

RUN_TASK = "insights.tasks.report_subscription_run"
DEFAULT_NAME = "Weekly executive report"
# Monday 08:00 in TIME_ZONE.
DEFAULT_CRONTAB = {"minute": "0", "hour": "8", "day_of_week": "1"}
PERIOD_LENGTH = {
    ReportPeriod.DAY: relativedelta(days=1),
    ReportPeriod.WEEK: relativedelta(weeks=1),
    ReportPeriod.MONTH: relativedelta(months=1),
}
CRONTAB_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")


def _task_name(subscription: ReportSubscription) -> str:
    return f"report subscription {subscription.pk}: {subscription.name}"[:200]


def _crontab(fields: dict) -> CrontabSchedule:
    spec = {name: str(fields.get(name, "*")) for name in CRONTAB_FIELDS}
    crontab, _ = CrontabSchedule.objects.get_or_create(
        **spec, timezone=fields.get("timezone") or settings.TIME_ZONE
    )
    return crontab


def _sync_task(subscription: ReportSubscription, crontab: dict | None) -> None:
    """Create or update the subscription's beat entry (saving one tells beat to reload)."""
    task = subscription.periodic_task
    if task is None:
        task = PeriodicTask(task=RUN_TASK)
        crontab = crontab or DEFAULT_CRONTAB
    if crontab is not None:
        task.crontab = _crontab(crontab)
    task.name = _task_name(subscription)
    task.kwargs = json.dumps({"subscription_id": subscription.pk})
    task.enabled = subscription.enabled
    task.description = (
        f"Emails the {subscription.get_kind_display()} report ({subscription.period})."
    )
    # A run still queued after an hour is dropped: the next week's replaces it.
    task.expire_seconds = 3600
    task.save()
    if subscription.periodic_task_id != task.pk:
        subscription.periodic_task = task
        subscription.save(update_fields=["periodic_task", "updated_at"])


@transaction.atomic
def subscription_create(*, crontab: dict | None = None, **fields) -> ReportSubscription:
    """``crontab``: minute, hour, day_of_week, day_of_month, month_of_year and timezone
    (default: Monday 08:00 in TIME_ZONE)."""
    subscription = ReportSubscription(**fields)
    subscription.full_clean()
    subscription.save()
    _sync_task(subscription, crontab)
    return subscription


@transaction.atomic
def subscription_update(
    *, subscription: ReportSubscription, crontab: dict | None = None, **fields
) -> ReportSubscription:
    for name, value in fields.items():
        setattr(subscription, name, value)
    subscription.full_clean()
    subscription.save()
    _sync_task(subscription, crontab)
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: ReportSubscription) -> None:
    task = subscription.periodic_task
    subscription.delete()
    if task is not None:
        task.delete()


def subscription_period(
    subscription: ReportSubscription, at: datetime
) -> tuple[datetime, datetime]:
    """The period a run at ``at`` reports on: the ``period`` that ended at the start of
    ``at``'s day in the schedule's time zone (so a Monday 08:00 weekly run covers Monday
    to Sunday of the week before, whatever the hour it ran)."""
    zone = timezone.get_default_timezone()
    task = subscription.periodic_task
    if task is not None and task.crontab is not None:
        zone = task.crontab.timezone
    local = at.astimezone(zone)
    end = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # Wall-clock arithmetic in the zone: a week across a DST change is still Monday to
    # Monday at midnight, 167 or 169 hours long.
    start = end - PERIOD_LENGTH[subscription.period]
    return start.astimezone(UTC), end.astimezone(UTC)


def subscription_run(*, subscription_id: int, at: datetime | None = None) -> Report | None:
    """Ask for the report of the period just ended, once per period; None if the
    subscription is gone or disabled."""
    subscription = (
        ReportSubscription.objects.select_related("periodic_task__crontab")
        .filter(pk=subscription_id, enabled=True)
        .first()
    )
    if subscription is None:
        return None
    start, end = subscription_period(subscription, at or timezone.now())
    existing = Report.objects.filter(subscription=subscription, start=start, end=end).first()
    if existing is not None:
        return existing
    try:
        return report_request(
            kind=subscription.kind,
            start=start,
            end=end,
            params=subscription.params,
            origin=ReportOrigin.SCHEDULE,
            subscription=subscription,
        )
    except IntegrityError:  # another run of the same beat entry asked first
        return Report.objects.get(subscription=subscription, start=start, end=end)


def subscription_default_ensure() -> ReportSubscription | None:
    """The weekly executive report to the Managers, Monday 08:00 in TIME_ZONE, unless a
    subscription by that name exists (an operator's edits stay)."""
    if ReportSubscription.objects.filter(name=DEFAULT_NAME).exists():
        return None
    return subscription_create(
        name=DEFAULT_NAME,
        kind=ReportKind.EXECUTIVE,
        period=ReportPeriod.WEEK,
        crontab={**DEFAULT_CRONTAB, "timezone": settings.TIME_ZONE},
    )


def subscription_next_run(subscription: ReportSubscription, now: datetime | None = None):
    """When beat runs it next (None when disabled)."""
    task = subscription.periodic_task
    if task is None or not task.enabled or task.crontab is None:
        return None
    now = now or timezone.now()
    schedule = task.crontab.schedule
    return now + timedelta(seconds=schedule.remaining_estimate(now).total_seconds())
