"""The Celery app: settings from Django's (``CELERY_*``), tasks from each app's ``tasks.py``."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("vigil")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _bind_task_id_to_logs(task_id=None, **_):
    # Log lines written while a task runs carry its id, as request lines carry theirs.
    from core.request_id import request_id_var

    request_id_var.set(f"task-{task_id}")


@task_postrun.connect
def _unbind_task_id(**_):
    from core.request_id import request_id_var

    request_id_var.set(None)
