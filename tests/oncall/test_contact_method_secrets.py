"""A contact method's signing secret is shown once, to its owner, when they create it;
never when it is read, and never in full in the admin. In the admin only its owner (or
a superuser) sets its kind and address, and adds methods for themselves only: another
user's pages, with their one-click acknowledge and resolve links, cannot be redirected
to someone else's address. Others may view and disable a method, nothing more."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from oncall import services
from oncall.models import ContactMethod
from tests.admin_forms import admin_post
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOOK = "https://hooks.example.com/ana"


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def admin_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ana():
    return UserFactory(username="ana", roles=["Responder"])


@pytest.fixture
def anas_method(ana):
    return services.contact_method_create(user=ana, kind="webhook", address=HOOK)


@pytest.fixture
def manager():
    return UserFactory(username="mallory", roles=["Manager"])


# --- API ------------------------------------------------------------------------------


def test_the_api_shows_the_secret_to_its_owner_once_at_creation(ana):
    client = api_for(ana)

    created = client.post("/api/contact-methods", {"kind": "webhook", "address": HOOK})

    assert created.status_code == 201
    method = ContactMethod.objects.get()
    assert created.json()["secret"] == method.secret
    detail = client.get(f"/api/contact-methods/{method.pk}")
    listed = client.get("/api/contact-methods")
    changed = client.patch(f"/api/contact-methods/{method.pk}", {"enabled": False})
    for response in (detail, listed, changed):
        assert response.status_code == 200
        assert method.secret not in response.content.decode()


def test_the_api_lists_only_your_own_methods(anas_method, manager):
    client = api_for(manager)

    assert client.get("/api/contact-methods").json()["count"] == 0
    assert client.get(f"/api/contact-methods/{anas_method.pk}").status_code == 404
    changed = client.patch(f"/api/contact-methods/{anas_method.pk}", {"address": HOOK + "x"})
    assert changed.status_code == 404


# --- admin: the secret ----------------------------------------------------------------


def test_the_admin_never_shows_a_secret_in_full(admin_client, anas_method, manager):
    for client in (admin_client, admin_for(manager)):
        for path in (
            "/admin/oncall/contactmethod/",
            f"/admin/oncall/contactmethod/{anas_method.pk}/change/",
        ):
            response = client.get(path)
            assert response.status_code == 200
            assert anas_method.secret not in response.content.decode(), path
    page = admin_client.get(f"/admin/oncall/contactmethod/{anas_method.pk}/change/")
    assert f"{anas_method.secret[:4]}…" in page.content.decode()


def test_the_owner_sees_the_secret_once_when_adding_a_method_in_the_admin(manager):
    client = admin_for(manager)

    response = admin_post(
        client,
        "/admin/oncall/contactmethod/add/",
        {"kind": "webhook", "address": HOOK, "enabled": "on"},
    )

    assert response.status_code == 302
    method = ContactMethod.objects.get()
    assert method.user == manager  # for themselves
    assert f"<code>{method.secret}</code>" in client.get(response["Location"]).content.decode()
    page = client.get(f"/admin/oncall/contactmethod/{method.pk}/change/")
    assert method.secret not in page.content.decode()


def test_a_superuser_adding_a_method_for_someone_else_does_not_see_its_secret(ana):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client = admin_for(root)

    response = admin_post(
        client,
        "/admin/oncall/contactmethod/add/",
        {"user": str(ana.pk), "kind": "webhook", "address": HOOK, "enabled": "on"},
    )

    assert response.status_code == 302
    method = ContactMethod.objects.get()
    assert method.user == ana
    assert method.secret not in client.get(response["Location"]).content.decode()


def test_only_the_owner_rotates_a_secret_in_the_admin(anas_method, manager):
    mine = services.contact_method_create(user=manager, kind="webhook", address=HOOK)
    old_mine, old_anas = mine.secret, anas_method.secret
    client = admin_for(manager)

    response = client.post(
        "/admin/oncall/contactmethod/",
        {"action": "rotate_secrets", "_selected_action": [mine.pk, anas_method.pk]},
    )

    mine.refresh_from_db()
    anas_method.refresh_from_db()
    assert mine.secret != old_mine
    assert anas_method.secret == old_anas
    shown = client.get(response["Location"]).content.decode()
    assert f"<code>{mine.secret}</code>" in shown
    assert anas_method.secret not in shown


# --- admin: who may change the address ------------------------------------------------


def test_a_manager_cannot_redirect_someone_elses_pages(anas_method, manager, ana):
    client = admin_for(manager)
    url = f"/admin/oncall/contactmethod/{anas_method.pk}/change/"

    admin_post(
        client,
        url,
        {
            "user": str(manager.pk),
            "kind": "email",
            "address": "mallory@example.com",
            "enabled": "on",
        },
    )

    anas_method.refresh_from_db()
    assert (anas_method.user, anas_method.kind, anas_method.address) == (ana, "webhook", HOOK)


def test_a_manager_may_disable_someone_elses_method_but_not_delete_it(anas_method, manager):
    client = admin_for(manager)

    response = admin_post(
        client, f"/admin/oncall/contactmethod/{anas_method.pk}/change/", {"enabled": ""}
    )

    assert response.status_code == 302
    anas_method.refresh_from_db()
    assert anas_method.enabled is False
    delete = f"/admin/oncall/contactmethod/{anas_method.pk}/delete/"
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    bulk = client.post(
        "/admin/oncall/contactmethod/",
        {"action": "delete_selected", "_selected_action": [anas_method.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302, 403)
    assert ContactMethod.objects.filter(pk=anas_method.pk).exists()


def test_a_manager_cannot_add_a_method_for_someone_else(ana, manager):
    client = admin_for(manager)

    admin_post(
        client,
        "/admin/oncall/contactmethod/add/",
        {"user": str(ana.pk), "kind": "email", "address": "mallory@example.com", "enabled": "on"},
    )

    assert not ContactMethod.objects.filter(user=ana).exists()
    assert ContactMethod.objects.get().user == manager


def test_the_owner_changes_their_own_address_in_the_admin(manager):
    method = services.contact_method_create(user=manager, kind="webhook", address=HOOK)
    client = admin_for(manager)

    response = admin_post(
        client,
        f"/admin/oncall/contactmethod/{method.pk}/change/",
        {"kind": "email", "address": "mallory@example.com", "enabled": "on"},
    )

    assert response.status_code == 302
    method.refresh_from_db()
    assert (method.kind, method.address) == ("email", "mallory@example.com")


def test_a_superuser_may_change_anyones_address(admin_client, anas_method, ana):
    response = admin_post(
        admin_client,
        f"/admin/oncall/contactmethod/{anas_method.pk}/change/",
        {"user": str(ana.pk), "kind": "email", "address": "ana@example.com", "enabled": "on"},
    )

    assert response.status_code == 302
    anas_method.refresh_from_db()
    assert anas_method.address == "ana@example.com"
