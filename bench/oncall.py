"""Schedule and escalation speed.

1. ``final_shifts`` over a year of a 3-layer schedule with overrides (DST zone), against
   sampling ``oncall_at`` once an hour over the same year (what a naive implementation
   would do), in the same run.
2. The escalation tick over 10,000 due incidents: queries per batch and incidents per
   second, against a bare loop that locks the same batches and updates one column.

    DATABASE_URL=postgres://root@127.0.0.1:5432/postgres .venv/bin/python bench/oncall.py
"""

import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

INCIDENTS = 10_000


def schedule_year():
    from oncall.rotation import Layer, Override, Restriction, ScheduleSpec, final_shifts, oncall_at

    weekdays = (Restriction(days=(0, 1, 2, 3, 4), start=clock(9), end=clock(17)),)
    nights = (Restriction(days=tuple(range(7)), start=clock(22), end=clock(6)),)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    spec = ScheduleSpec(
        "Europe/London",
        layers=(
            Layer(1, 1, (1, 2, 3, 4), timedelta(days=7), datetime(2026, 1, 5, 9)),
            Layer(2, 2, (5, 6), timedelta(days=1), datetime(2026, 1, 5, 9), weekdays),
            Layer(3, 3, (7, 8, 9), timedelta(days=2), datetime(2026, 1, 5, 22), nights),
        ),
        overrides=tuple(
            Override(
                i,
                10 + i % 3,
                start + timedelta(days=7 * i, hours=3),
                start + timedelta(days=7 * i, hours=27),
            )
            for i in range(52)
        ),
    )
    end = start + timedelta(days=365)

    began = time.perf_counter()
    shifts = final_shifts(spec, start, end)
    shifts_seconds = time.perf_counter() - began

    began = time.perf_counter()
    hours = int((end - start).total_seconds() // 3600)
    for hour in range(hours):
        oncall_at(spec, start + timedelta(hours=hour))
    sampled_seconds = time.perf_counter() - began

    print(
        f"  final_shifts, one year, 3 layers, 52 overrides: {shifts_seconds * 1000:.1f} ms "
        f"({len(shifts)} shifts)"
    )
    print(f"  baseline: oncall_at sampled hourly ({hours} calls): {sampled_seconds * 1000:.1f} ms")
    print(f"  -> final_shifts takes {shifts_seconds / sampled_seconds:.4f} of the hourly sampling")


def escalation_tick():
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from incidents.models import Incident
    from incidents.services import escalation
    from incidents.services.escalation import escalations_advance_due, policy_save
    from oncall.services import contact_method_create
    from tests.factories import ServiceFactory, TeamFactory, UserFactory, open_incident

    users = [UserFactory(username=f"bench{i}") for i in range(3)]
    for user in users:
        contact_method_create(user=user, kind="email", address=f"{user.username}@example.com")
    team = TeamFactory()
    policy = policy_save(
        name="bench",
        team=team,
        steps=[
            {"delay": timedelta(minutes=5), "users": users[:1]},
            {"delay": timedelta(minutes=5), "users": users[1:]},
        ],
    )
    service = ServiceFactory(team=team)
    escalation.escalation_rule_set(service=service, policy=policy)
    print(f"  creating {INCIDENTS} triggered incidents…", flush=True)
    for n in range(INCIDENTS):
        open_incident(service, title=f"bench {n}")
        if (n + 1) % 2000 == 0:
            print(f"    {n + 1}/{INCIDENTS}", flush=True)
    Incident.objects.update(escalation_next_at=timezone.now() - timedelta(minutes=1))

    batches, queries, began = 0, [], time.perf_counter()
    while True:
        connection.queries_log.clear()  # the log keeps 9000: count each batch from zero
        with CaptureQueriesContext(connection) as captured:
            advanced = escalations_advance_due(limit=escalation.BATCH)
        if not advanced:
            break
        batches += 1
        queries.append(len(captured.captured_queries))
    tick_seconds = time.perf_counter() - began

    Incident.objects.update(escalation_next_at=timezone.now() - timedelta(minutes=1))
    began = time.perf_counter()
    while True:
        with transaction.atomic():
            ids = list(
                Incident.objects.select_for_update(skip_locked=True)
                .filter(escalation_next_at__lte=timezone.now())
                .values_list("pk", flat=True)[: escalation.BATCH]
            )
            if not ids:
                break
            Incident.objects.filter(pk__in=ids).update(escalation_next_at=None)
    bare_seconds = time.perf_counter() - began

    per_incident = sum(queries) / INCIDENTS
    print(
        f"  escalation tick: {INCIDENTS} incidents in {batches} batches of {escalation.BATCH}, "
        f"{tick_seconds:.2f} s = {INCIDENTS / tick_seconds:.0f} incidents/s"
    )
    print(
        f"  queries per batch: min {min(queries)}, max {queries and max(queries)} "
        f"({per_incident:.1f} per incident)"
    )
    print(
        f"  baseline: lock + one update per batch: {bare_seconds:.2f} s "
        f"= {INCIDENTS / bare_seconds:.0f} incidents/s"
    )
    print(f"  -> the tick runs at {bare_seconds / tick_seconds:.3f} of the bare loop's speed")


def main():
    from bench.harness import scratch_database

    print("Schedules:")
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp, scratch_database() as url:
        os.environ.update(
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            HTTPS="false",
            VAR_DIR=tmp,
            LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="config.settings",
        )
        if url:
            os.environ["DATABASE_URL"] = url
        import django

        django.setup()
        schedule_year()
        print("Escalation:")
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        escalation_tick()


if __name__ == "__main__":
    main()
