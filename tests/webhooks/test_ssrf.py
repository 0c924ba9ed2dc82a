"""Outgoing calls (outgoing webhooks, contact-method webhooks) reach public addresses
only unless the operator allows private ones (OUTGOING_ALLOW_PRIVATE): refused when the
URL is saved (API 400, admin form error, service ValidationError) and again when it is
called (every address the host resolves to is checked, the connection goes to a checked
address, and redirects are not followed).

The suite runs with OUTGOING_ALLOW_PRIVATE on (its receivers listen on 127.0.0.1); these
tests turn it off with the ``settings`` fixture."""

import re
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from incidents import services as incident_services
from incidents.models import Notification
from incidents.services.escalation import policy_save
from incidents.services.notifications import SendFailed, notification_send
from oncall import services as oncall_services
from oncall.models import ContactMethod
from tests.admin_forms import admin_errors, admin_post
from tests.factories import ServiceFactory, TeamFactory, UserFactory, open_incident
from tests.support import run_python
from webhooks import services
from webhooks.models import OutgoingWebhook, WebhookDelivery
from webhooks.signing import PostFailed, signed_post

pytestmark = pytest.mark.django_db

PRIVATE_URLS = [
    pytest.param("http://127.0.0.1:8000/hook", "127.0.0.1 is a loopback address", id="loopback"),
    pytest.param("http://localhost/hook", "localhost is a name for this machine", id="localhost"),
    pytest.param("http://[::1]/hook", "::1 is a loopback address", id="ipv6-loopback"),
    pytest.param("http://10.0.0.5/hook", "10.0.0.5 is a private address", id="private"),
    pytest.param("http://192.168.1.20/hook", "is a private address", id="home-network"),
    pytest.param(
        "http://169.254.169.254/latest/meta-data/", "is a link-local address", id="metadata"
    ),
    pytest.param("http://[::ffff:127.0.0.1]/hook", "is a loopback address", id="mapped-v4"),
]


@pytest.fixture
def private_off(settings):
    settings.OUTGOING_ALLOW_PRIVATE = False
    return settings


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Manager"]))
    return client


@pytest.fixture
def fake_dns(monkeypatch):
    """Answers for names ending in ``.test`` (RFC 2606): ``fake_dns["x.test"] = [ips]``;
    other names resolve for real. Counts the lookups."""
    answers, lookups = {}, []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".test"):
            lookups.append(host)
            if host not in answers:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [
                (
                    socket.AF_INET6 if ":" in ip else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (ip, port or 0, 0, 0) if ":" in ip else (ip, port or 0),
                )
                for ip in answers[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    answers["lookups"] = lookups
    return answers


def field_errors(response) -> dict:
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


# --- the setting --------------------------------------------------------------------


@pytest.mark.parametrize(("debug", "allowed"), [("false", "False"), ("true", "True")])
def test_private_addresses_are_allowed_by_default_only_in_development(debug, allowed, tmp_path):
    result = run_python(
        "from django.conf import settings; print(settings.OUTGOING_ALLOW_PRIVATE)",
        DEBUG=debug,
        OUTGOING_ALLOW_PRIVATE=None,
        SECRET_KEY="x" * 50,
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == allowed


# --- when the URL is saved ------------------------------------------------------------


@pytest.mark.parametrize(("url", "reason"), PRIVATE_URLS)
def test_the_api_refuses_a_webhook_to_a_private_address(private_off, manager, url, reason):
    response = manager.post("/api/webhooks", {"name": "x", "url": url}, format="json")

    [message] = field_errors(response)["url"]
    assert reason in message
    assert "OUTGOING_ALLOW_PRIVATE" in message
    assert not OutgoingWebhook.objects.exists()


@pytest.mark.parametrize(("url", "reason"), PRIVATE_URLS)
def test_the_api_refuses_a_contact_webhook_to_a_private_address(private_off, url, reason):
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Responder"]))

    response = client.post("/api/contact-methods", {"kind": "webhook", "address": url})

    [message] = field_errors(response)["address"]
    assert reason in message
    assert not ContactMethod.objects.exists()


def test_a_name_that_resolves_to_a_private_address_is_refused(private_off, manager, fake_dns):
    fake_dns["hooks.corp.test"] = ["93.184.216.34", "10.0.0.7"]  # one bad answer is enough

    response = manager.post(
        "/api/webhooks", {"name": "x", "url": "https://hooks.corp.test/x"}, format="json"
    )

    [message] = field_errors(response)["url"]
    assert "hooks.corp.test resolves to 10.0.0.7, a private address" in message


def test_a_public_or_unresolvable_name_is_accepted_and_checked_when_called(
    private_off, manager, fake_dns
):
    fake_dns["public.test"] = ["93.184.216.34"]
    for url in ("https://public.test/x", "https://not-yet.test/x", "https://93.184.216.34/x"):
        response = manager.post("/api/webhooks", {"name": "x", "url": url}, format="json")
        assert response.status_code == 201, response.json()


def test_the_services_and_the_admin_refuse_it_too(private_off, admin_client):
    with pytest.raises(ValidationError) as refused:
        services.webhook_create(name="x", url="http://127.0.0.1/hook")
    assert "loopback" in str(refused.value.message_dict["url"])
    with pytest.raises(ValidationError) as refused:
        oncall_services.contact_method_create(
            user=UserFactory(), kind="webhook", address="http://127.0.0.1/hook"
        )
    assert "loopback" in str(refused.value.message_dict["address"])

    response = admin_post(
        admin_client,
        "/admin/webhooks/outgoingwebhook/add/",
        {"name": "x", "url": "http://169.254.169.254/", "events": '["triggered"]', "enabled": "on"},
    )
    assert "link-local" in " ".join(admin_errors(response)["url"])
    assert not OutgoingWebhook.objects.exists()


@pytest.fixture
def lookups_in_transactions(monkeypatch, fake_dns):
    """Whether each DNS lookup of a ``.test`` name ran inside a database transaction."""
    seen = []
    resolve = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".test"):
            seen.append((host, connection.in_atomic_block))
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for name in ("api.test", "service.test", "contact.test"):
        fake_dns[name] = ["93.184.216.34"]
    for name in ("api-private.test", "admin-private.test"):
        fake_dns[name] = ["10.0.0.7"]
    return seen


@pytest.mark.django_db(transaction=True)
def test_the_save_time_lookup_runs_before_any_transaction_opens(
    private_off, manager, lookups_in_transactions
):
    created = manager.post(
        "/api/webhooks", {"name": "x", "url": "https://api.test/a"}, format="json"
    )
    assert created.status_code == 201, created.json()
    url = f"/api/webhooks/{created.json()['id']}"
    refused = manager.patch(url, {"url": "https://api-private.test/a"}, format="json")
    assert refused.status_code == 400
    services.webhook_create(name="y", url="https://service.test/b")
    oncall_services.contact_method_create(
        user=UserFactory(), kind="webhook", address="https://contact.test/c"
    )
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = admin_post(
        admin,
        "/admin/webhooks/outgoingwebhook/add/",
        {
            "name": "z",
            "url": "https://admin-private.test/d",
            "events": '["triggered"]',
            "enabled": "on",
        },
    )
    assert "10.0.0.7" in " ".join(admin_errors(response)["url"])

    assert {host for host, _ in lookups_in_transactions} == {
        "api.test",
        "api-private.test",
        "service.test",
        "contact.test",
        "admin-private.test",
    }
    assert [host for host, in_transaction in lookups_in_transactions if in_transaction] == []


def test_an_ftp_url_is_refused_whatever_the_setting(manager):
    response = manager.post(
        "/api/webhooks", {"name": "x", "url": "ftp://files.example.com/x"}, format="json"
    )

    assert "http" in field_errors(response)["url"][0]


def test_with_the_setting_on_a_local_receiver_is_accepted(manager, webhook_receiver):
    response = manager.post(
        "/api/webhooks", {"name": "x", "url": webhook_receiver.url}, format="json"
    )

    assert response.status_code == 201


# --- when it is called ----------------------------------------------------------------


def test_a_stored_private_url_is_refused_when_called(settings, webhook_receiver):
    hook = services.webhook_create(name="x", url=webhook_receiver.url)  # allowed then
    open_incident()
    delivery = WebhookDelivery.objects.get(webhook=hook)
    settings.OUTGOING_ALLOW_PRIVATE = False  # the operator turns it off

    with pytest.raises(services.DeliveryFailed):
        services.webhook_deliver(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert "Refused: 127.0.0.1 is a loopback address" in delivery.last_error
    assert webhook_receiver.received == []


def test_a_page_to_a_stored_private_url_is_refused_when_called(settings, webhook_receiver):
    user = UserFactory(roles=["Responder"])
    oncall_services.contact_method_create(user=user, kind="webhook", address=webhook_receiver.url)
    policy = policy_save(
        name="p",
        team=TeamFactory(),
        repeat=0,
        steps=[{"delay": timedelta(minutes=5), "users": [user]}],
    )
    service = ServiceFactory()
    incident_services.escalation_rule_set(service=service, policy=policy)
    incident = open_incident(service)
    settings.OUTGOING_ALLOW_PRIVATE = False

    with pytest.raises(SendFailed, match=re.escape("Refused: 127.0.0.1 is a loopback address")):
        notification_send(notification_id=Notification.objects.get(incident=incident).pk)

    assert webhook_receiver.received == []


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param(["127.0.0.1"], id="private"),
        pytest.param(["93.184.216.34", "127.0.0.1"], id="one-of-several"),
        pytest.param(["::1"], id="ipv6"),
    ],
)
def test_every_address_a_name_resolves_to_is_checked_when_called(
    private_off, fake_dns, webhook_receiver, answers
):
    """A name that was public when saved may answer otherwise later (DNS rebinding)."""
    fake_dns["rebind.test"] = answers
    port = webhook_receiver.server_address[1]

    with pytest.raises(PostFailed, match=re.escape("Refused: rebind.test resolves to")):
        signed_post(f"http://rebind.test:{port}/hook", b"{}", "s")

    assert webhook_receiver.received == []


def test_the_connection_goes_to_the_address_that_was_checked(settings, fake_dns, webhook_receiver):
    """One lookup; the connection is made to its answer, and the Host header keeps the
    name: a second lookup that could answer differently never happens."""
    fake_dns["hooks.example.test"] = ["127.0.0.1"]
    port = webhook_receiver.server_address[1]

    status = signed_post(f"http://hooks.example.test:{port}/hook", b'{"a": 1}', "s")

    assert status == 200
    assert fake_dns["lookups"] == ["hooks.example.test"]
    [received] = webhook_receiver.received
    assert received["headers"]["Host"] == f"hooks.example.test:{port}"


@pytest.fixture
def redirecting_receiver(webhook_receiver):
    """Answers 302 to ``webhook_receiver``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(302)
            self.send_header("Location", webhook_receiver.url)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_redirects_are_not_followed(redirecting_receiver, webhook_receiver):
    with pytest.raises(PostFailed, match="HTTP 302") as failed:
        signed_post(redirecting_receiver, b"{}", "s")

    assert failed.value.status == 302
    assert webhook_receiver.received == []


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://files.example.com/x", "javascript:alert(1)"]
)
def test_only_http_urls_are_called(url):
    with pytest.raises(PostFailed, match="not an http"):
        signed_post(url, b"{}", "s")
