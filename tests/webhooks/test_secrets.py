"""An outgoing webhook's signing secret is shown once: in the response that creates it
(API or admin) or rotates it (admin). Reading a webhook, with any role, never shows it;
the admin shows its first characters only."""

import pytest
from django.contrib.messages import get_messages
from rest_framework.test import APIClient

from tests.admin_forms import admin_post
from tests.factories import UserFactory
from webhooks import services
from webhooks.models import OutgoingWebhook

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/vigil"


def api(role):
    client = APIClient()
    client.force_authenticate(UserFactory(roles=[role]))
    return client


def test_the_api_shows_the_secret_only_in_the_create_response():
    manager = api("Manager")

    created = manager.post("/api/webhooks", {"name": "chat", "url": URL}, format="json")

    assert created.status_code == 201
    hook = OutgoingWebhook.objects.get()
    assert created.json()["secret"] == hook.secret
    changed = manager.patch(f"/api/webhooks/{hook.pk}", {"name": "chat2"}, format="json")
    assert changed.status_code == 200
    assert "secret" not in changed.json()
    for role in ("Viewer", "Responder", "Manager"):
        client = api(role)
        detail = client.get(f"/api/webhooks/{hook.pk}")
        listed = client.get("/api/webhooks")
        assert detail.status_code == 200, role
        assert "secret" not in detail.json(), role
        assert "secret" not in listed.json()["results"][0], role
        assert hook.secret not in detail.content.decode() + listed.content.decode(), role


@pytest.fixture
def hook():
    return services.webhook_create(name="chat", url=URL)


def test_the_admin_pages_show_only_the_start_of_the_secret(admin_client, hook):
    for path in (
        "/admin/webhooks/outgoingwebhook/",
        f"/admin/webhooks/outgoingwebhook/{hook.pk}/change/",
    ):
        html = admin_client.get(path).content.decode()
        assert hook.secret not in html, path
    assert (
        f"{hook.secret[:4]}…"
        in admin_client.get(f"/admin/webhooks/outgoingwebhook/{hook.pk}/change/").content.decode()
    )


def test_a_viewer_in_the_admin_does_not_see_the_secret(client, hook):
    client.force_login(UserFactory(roles=["Viewer"]))

    response = client.get(f"/admin/webhooks/outgoingwebhook/{hook.pk}/change/")

    assert response.status_code == 200
    assert hook.secret not in response.content.decode()


def test_the_admin_shows_the_secret_once_when_it_creates_a_webhook(admin_client):
    response = admin_post(
        admin_client,
        "/admin/webhooks/outgoingwebhook/add/",
        {"name": "chat", "url": URL, "events": '["triggered"]', "enabled": "on"},
    )

    assert response.status_code == 302
    hook = OutgoingWebhook.objects.get()
    shown = admin_client.get(response["Location"]).content.decode()  # the message, once
    assert f"<code>{hook.secret}</code>" in shown
    page = admin_client.get(f"/admin/webhooks/outgoingwebhook/{hook.pk}/change/")
    assert hook.secret not in page.content.decode()


def test_the_admin_rotates_a_secret_and_shows_the_new_one_once(admin_client, hook):
    old = hook.secret

    response = admin_client.post(
        "/admin/webhooks/outgoingwebhook/",
        {"action": "rotate_secrets", "_selected_action": [hook.pk]},
    )

    hook.refresh_from_db()
    assert hook.secret != old
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert hook.secret in shown


def test_a_viewer_cannot_rotate(client, hook):
    client.force_login(UserFactory(roles=["Viewer"]))
    old = hook.secret

    client.post(
        "/admin/webhooks/outgoingwebhook/",
        {"action": "rotate_secrets", "_selected_action": [hook.pk]},
    )

    hook.refresh_from_db()
    assert hook.secret == old
