import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from core.periodic import default_periodic_tasks, periodic_tasks_install

pytestmark = pytest.mark.django_db


def test_migrate_installs_the_beat_heartbeat_every_30_seconds():
    task = PeriodicTask.objects.get(name="beat heartbeat")

    assert task.task == "core.tasks.beat_heartbeat"
    assert (task.interval.every, task.interval.period) == (30, "seconds")
    assert task.enabled


def test_every_default_task_names_a_registered_celery_task():
    from config.celery import app

    app.loader.import_default_modules()
    assert {spec.task for spec in default_periodic_tasks()} <= set(app.tasks)


def test_installing_again_adds_nothing_and_keeps_admin_edits(capsys):
    task = PeriodicTask.objects.get(name="beat heartbeat")
    task.enabled = False
    task.save()
    count = PeriodicTask.objects.count()

    assert periodic_tasks_install() == []
    call_command("setup_periodic_tasks")

    assert PeriodicTask.objects.count() == count
    assert PeriodicTask.objects.get(name="beat heartbeat").enabled is False
    assert "0 added" in capsys.readouterr().out


def test_a_deleted_default_task_comes_back():
    PeriodicTask.objects.filter(name="beat heartbeat").delete()

    assert periodic_tasks_install() == ["beat heartbeat"]
    assert PeriodicTask.objects.filter(name="beat heartbeat").exists()
