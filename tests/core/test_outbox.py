"""The outbox (core.outbox) with the real parts: a broker that goes down, a Celery worker,
an HTTP receiver and an SMTP server. A side effect written with a business change is
delayed by an outage, never lost, and never sent twice."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from kombu import pools

from config.celery import app
from core.models import DeliveryStatus
from core.outbox import _claim as outbox_claim
from core.outbox import outbox_kind, outbox_stale, outbox_sweep
from incidents import services
from incidents.models import Notification
from oncall import services as oncall_services
from tests.factories import ServiceFactory, TeamFactory, UserFactory, open_incident
from tests.support import Process, database_url_of_test_db, venv_bin, wait_until
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_create

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def _reset_broker_connections():
    # Producers are pooled (by the app and by kombu, per connection): drop every pool so
    # the next send connects anew to whatever broker_url now says.
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_down():
    previous = app.conf.broker_url
    app.conf.broker_url = UNREACHABLE_REDIS
    _reset_broker_connections()
    try:
        yield
    finally:
        app.conf.broker_url = previous
        _reset_broker_connections()


@contextmanager
def worker(tmp_path, **env):
    process = Process(
        [
            venv_bin("celery"),
            "--app",
            "config",
            "worker",
            "--pool",
            "solo",
            "--queues",
            "default,notifications",
            "--loglevel",
            "INFO",
        ],
        tmp_path / "worker.log",
        DATABASE_URL=database_url_of_test_db(),
        **env,
    )
    try:
        yield process
    finally:
        process.stop()


def _age(model, minutes=3):
    """As if the rows were written ``minutes`` ago (the sweep's grace period has passed)."""
    model.objects.update(created_at=timezone.now() - timedelta(minutes=minutes))


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_delays_a_webhook_delivery_and_never_loses_it(webhook_receiver, tmp_path):
    webhook_create(name="status page", url=webhook_receiver.url, events=["triggered"])

    with broker_down():
        incident = open_incident()  # commits; the enqueue after commit finds no broker

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
    assert outbox_stale(kind=outbox_kind(WebhookDelivery)) == []  # not stale yet

    _age(WebhookDelivery)
    with worker(tmp_path) as process:
        assert outbox_sweep()["webhooks.WebhookDelivery"] == 1  # what beat runs every minute
        try:
            wait_until(
                lambda: WebhookDelivery.objects.get().status == DeliveryStatus.SENT,
                timeout=60,
                message="the swept delivery to be posted by the worker",
            )
        except AssertionError:
            pytest.fail(process.output()[-3000:])

    [received] = webhook_receiver.received
    assert received["json"]["incident"]["reference"] == incident.reference
    assert received["headers"]["X-Vigil-Delivery"] == f"delivery-{delivery.pk}"
    assert WebhookDelivery.objects.get().attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_delays_a_page_and_never_loses_it(smtp_server, smtp_port, tmp_path):
    ana = UserFactory(username="ana")
    oncall_services.contact_method_create(user=ana, kind="email", address="ana@example.com")
    team = TeamFactory()
    policy = services.policy_save(
        name="p", team=team, steps=[{"delay": timedelta(minutes=5), "users": [ana]}]
    )
    service = ServiceFactory(team=team)
    services.escalation_rule_set(service=service, policy=policy)

    with broker_down():
        incident = open_incident(service)

    assert Notification.objects.get().status == DeliveryStatus.PENDING
    _age(Notification)
    with worker(tmp_path, EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}") as process:
        assert outbox_sweep()["incidents.Notification"] == 1
        try:
            wait_until(
                lambda: Notification.objects.get().status == DeliveryStatus.SENT,
                timeout=60,
                message="the swept page to be mailed by the worker",
            )
        except AssertionError:
            pytest.fail(process.output()[-3000:])

    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["ana@example.com"]
    assert incident.reference in mail.content.decode()
    assert f"Message-ID: <page-{Notification.objects.get().pk}@" in mail.content.decode()


@pytest.mark.django_db
def test_a_claimed_row_is_not_claimed_again_until_its_lease_runs_out(webhook_receiver):
    webhook_create(name="x", url=webhook_receiver.url)
    open_incident()
    kind = outbox_kind(WebhookDelivery)
    delivery = WebhookDelivery.objects.get()

    assert outbox_claim(kind, delivery.pk) is not None
    assert outbox_claim(kind, delivery.pk) is None  # another worker is sending it
    with time_machine.travel(timezone.now() + kind.lease + timedelta(seconds=1)):
        # That worker died mid-send: after the lease, the row is swept and claimed again.
        assert outbox_stale(kind=kind) == [delivery.pk]
        assert outbox_claim(kind, delivery.pk).attempts == 2


@pytest.mark.django_db
def test_the_sweep_leaves_a_row_alone_until_its_retry_is_due(webhook_receiver):
    from webhooks.services import DeliveryFailed, webhook_deliver

    webhook_create(name="x", url=webhook_receiver.url)
    webhook_receiver.status = 503
    open_incident()
    kind = outbox_kind(WebhookDelivery)
    delivery = WebhookDelivery.objects.get()
    _age(WebhookDelivery)

    with pytest.raises(DeliveryFailed, match="HTTP 503"):
        webhook_deliver(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.retry_at > timezone.now()
    assert outbox_stale(kind=kind) == []  # its Celery retry is still to come
    with time_machine.travel(delivery.retry_at + kind.stale_after + timedelta(seconds=1)):
        assert outbox_stale(kind=kind) == [delivery.pk]  # that retry was lost: sweep it
