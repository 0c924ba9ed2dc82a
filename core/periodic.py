"""The default beat schedule, stored with django-celery-beat so it can be edited in the admin.

Each app lists its clock-driven tasks in ``<app>/periodic.py`` as ``PERIODIC_TASKS``.
Installing creates what is missing and leaves what exists alone: an interval an
operator changed in the admin, or a task they disabled, stays as they left it.
"""

import json
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, transaction

from core.discovery import project_app_modules


@dataclass(frozen=True)
class PeriodicTaskSpec:
    name: str
    task: str
    every_seconds: int | None = None
    crontab: dict = field(default_factory=dict)  # minute, hour, day_of_week, ...
    queue: str | None = None
    # A run still queued this long after beat sent it is dropped: the next one replaces it.
    expire_seconds: int | None = None
    description: str = ""


def default_periodic_tasks() -> list[PeriodicTaskSpec]:
    return [spec for module in project_app_modules("periodic") for spec in module.PERIODIC_TASKS]


@transaction.atomic
def periodic_tasks_install(*, using=DEFAULT_DB_ALIAS) -> list[str]:
    """Create the default periodic tasks that do not exist yet; return their names."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    existing = set(PeriodicTask.objects.using(using).values_list("name", flat=True))
    created = []
    for spec in default_periodic_tasks():
        if spec.name in existing:
            continue
        if spec.every_seconds:
            interval, _ = IntervalSchedule.objects.using(using).get_or_create(
                every=spec.every_seconds, period=IntervalSchedule.SECONDS
            )
            schedule = {"interval": interval}
        else:
            crontab, _ = CrontabSchedule.objects.using(using).get_or_create(
                **spec.crontab, timezone="UTC"
            )
            schedule = {"crontab": crontab}
        # Saving a PeriodicTask also tells a running beat to reload its schedule.
        PeriodicTask.objects.using(using).create(
            name=spec.name,
            task=spec.task,
            queue=spec.queue,
            expire_seconds=spec.expire_seconds,
            description=spec.description,
            kwargs=json.dumps({}),
            **schedule,
        )
        created.append(spec.name)
    return created


def periodic_tasks_install_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    periodic_tasks_install(using=using)


PERIODIC_TASKS = [
    PeriodicTaskSpec(
        name="beat heartbeat",
        task="core.tasks.beat_heartbeat",
        every_seconds=30,
        expire_seconds=30,
        description="Records that beat is running; /readyz fails when it goes stale.",
    ),
    PeriodicTaskSpec(
        name="sweep the outbox",
        task="core.tasks.outbox_sweep",
        every_seconds=60,
        expire_seconds=60,
        description="Re-sends pages and webhook deliveries whose task was lost (a broker "
        "outage, a crash).",
    ),
]
