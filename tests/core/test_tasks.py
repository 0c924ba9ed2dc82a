"""The clock path as `make run` starts it: beat sends, the broker carries, a worker runs."""

import pytest
from django.test import Client
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from core.health import BEAT_HEARTBEAT
from core.models import Heartbeat
from core.tasks import beat_heartbeat
from tests.support import Process, database_url_of_test_db, venv_bin, wait_until


@pytest.mark.django_db
def test_the_heartbeat_task_records_when_it_ran():
    beat_heartbeat()
    first = Heartbeat.objects.get(name=BEAT_HEARTBEAT).beat_at

    beat_heartbeat()

    assert Heartbeat.objects.get(name=BEAT_HEARTBEAT).beat_at > first
    assert Heartbeat.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_beat_and_a_worker_keep_readiness_green(tmp_path):
    # Beat's schedule is data: tighten it, as an operator could in the admin.
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    PeriodicTask.objects.filter(name="beat heartbeat").update(interval=every_second)
    assert Client().get("/readyz").json()["failing"] == ["beat"]

    env = {"DATABASE_URL": database_url_of_test_db(), "VAR_DIR": str(tmp_path)}
    celery = [venv_bin("celery"), "--app", "config"]
    worker = Process(
        [*celery, "worker", "--pool", "solo", "--queues", "default", "--loglevel", "INFO"],
        tmp_path / "worker.log",
        **env,
    )
    beat = Process(
        [*celery, "beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")],
        tmp_path / "beat.log",
        **env,
    )
    try:
        wait_until(
            lambda: Heartbeat.objects.filter(name=BEAT_HEARTBEAT).exists(),
            timeout=60,
            message="a heartbeat sent by beat and run by the worker",
        )
    except AssertionError:
        pytest.fail(f"worker:\n{worker.output()[-3000:]}\nbeat:\n{beat.output()[-3000:]}")
    finally:
        beat.stop()
        worker.stop()

    response = Client().get("/readyz")
    assert response.status_code == 200, response.json()
