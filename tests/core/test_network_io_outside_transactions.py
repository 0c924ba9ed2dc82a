"""A page or a webhook delivery to a slow receiver must not hold a transaction or a row
lock while it waits: on SQLite that would be a database-wide write lock, on PostgreSQL a
locked outbox row and an idle-in-transaction connection. Each test sends to a receiver
that stalls, and writes from another connection while the send is in flight."""

import asyncio
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, connections, transaction

from catalog.models import Team
from core.models import DeliveryStatus
from incidents import services
from incidents.models import Notification
from incidents.services.notifications import notification_send
from oncall import services as oncall_services
from tests.factories import ServiceFactory, TeamFactory, UserFactory, open_incident
from tests.support import free_port
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_create, webhook_deliver

STALL = 2.0  # seconds the receiver holds the request


def _write_while(send, arrived: threading.Event, model, row_id):
    """Run ``send`` in a worker thread; once the receiver has the request, write from this
    thread and report how long the write took and what was locked."""
    errors = []

    def run():
        try:
            send()
        except Exception as exc:  # reported below, not swallowed
            errors.append(exc)
        finally:
            connections.close_all()

    sender = threading.Thread(target=run)
    sender.start()
    assert arrived.wait(10), "the receiver never got the request"

    started = time.monotonic()
    with transaction.atomic():
        Team.objects.create(name="written during the send")
        # The row being delivered is not locked: another worker could record on it.
        model.objects.select_for_update(nowait=True).get(pk=row_id)
    write_seconds = time.monotonic() - started

    idle_in_transaction = 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND state = 'idle in transaction'"
                " AND pid <> pg_backend_pid()"
            )
            idle_in_transaction = cursor.fetchone()[0]

    sender.join(30)
    assert not errors, errors
    return write_seconds, idle_in_transaction


@pytest.fixture
def stalling_receiver():
    arrived = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            arrived.set()
            time.sleep(STALL)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.arrived = arrived
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.mark.django_db(transaction=True)
def test_a_webhook_delivery_to_a_slow_receiver_holds_no_lock(stalling_receiver):
    webhook_create(name="slow", url=stalling_receiver.url, events=["triggered"])
    open_incident()
    delivery = WebhookDelivery.objects.get()

    write_seconds, idle = _write_while(
        lambda: webhook_deliver(delivery_id=delivery.pk),
        stalling_receiver.arrived,
        WebhookDelivery,
        delivery.pk,
    )

    assert write_seconds < STALL / 4
    assert idle == 0
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


class StallingMailbox:
    def __init__(self):
        self.arrived = threading.Event()
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        self.arrived.set()
        await asyncio.sleep(STALL)
        self.messages.append(envelope)
        return "250 OK"


@pytest.mark.django_db(transaction=True)
def test_a_page_to_a_slow_mail_server_holds_no_lock(settings):
    mailbox = StallingMailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        ana = UserFactory(username="ana")
        oncall_services.contact_method_create(user=ana, kind="email", address="ana@example.com")
        team = TeamFactory()
        policy = services.policy_save(
            name="p", team=team, steps=[{"delay": timedelta(minutes=5), "users": [ana]}]
        )
        service = ServiceFactory(team=team)
        services.escalation_rule_set(service=service, policy=policy)
        open_incident(service)
        notification = Notification.objects.get()

        write_seconds, idle = _write_while(
            lambda: notification_send(notification_id=notification.pk),
            mailbox.arrived,
            Notification,
            notification.pk,
        )
    finally:
        controller.stop()

    assert write_seconds < STALL / 4
    assert idle == 0
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.SENT
    assert len(mailbox.messages) == 1
