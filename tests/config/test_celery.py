from config.celery import app


def test_celery_speaks_json_only():
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_serializer == "json"
    assert app.conf.result_serializer == "json"


def test_tasks_are_acknowledged_late_and_requeued_when_their_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_tasks_have_time_limits():
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit


def test_named_queues_exist_and_tasks_are_routed_by_name():
    queue_names = {queue.name for queue in app.amqp.queues.values()}
    assert {"default", "notifications", "reports"} <= queue_names

    def queue_of(task_name):
        return app.amqp.router.route({}, task_name)["queue"].name

    assert queue_of("core.tasks.beat_heartbeat") == "default"
    assert queue_of("incidents.tasks.notification_send") == "notifications"
    assert queue_of("insights.tasks.report_generate") == "reports"


def test_beat_uses_the_database_scheduler_editable_in_the_admin():
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


def test_task_modules_are_discovered():
    app.loader.import_default_modules()
    assert "core.tasks.beat_heartbeat" in app.tasks
