import pytest
from django.contrib.auth import get_user_model

from core.models import ApiToken
from core.services import api_token_create
from core.tokens import token_digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests")
    client.force_login(admin)
    client.admin = admin
    return client


def test_the_login_page_carries_the_product_name(client, settings):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert f"{settings.SITE_NAME} incident response" in response.content.decode()


def test_the_admin_index_lists_groups_tokens_and_periodic_tasks(superuser_client):
    html = superuser_client.get("/admin/").content.decode()

    for link in ("/admin/auth/group/", "/admin/core/apitoken/", "/admin/django_celery_beat/"):
        assert link in html


def test_creating_a_token_in_the_admin_shows_the_secret_once(superuser_client):
    response = superuser_client.post(
        "/admin/core/apitoken/add/",
        {
            "user": superuser_client.admin.pk,
            "name": "grafana",
            "expires_at_0": "",
            "expires_at_1": "",
        },
        follow=True,
    )

    token = ApiToken.objects.get()
    messages = [str(m) for m in response.context["messages"]]
    secret = messages[0].split(": ", 1)[1].split(" ", 1)[0]
    assert token.digest == token_digest(secret)
    assert token.name == "grafana"
    assert (
        secret
        not in superuser_client.get(f"/admin/core/apitoken/{token.pk}/change/").content.decode()
    )


def test_tokens_are_revoked_from_the_admin_not_deleted(superuser_client):
    issued = api_token_create(user=superuser_client.admin, name="old")

    superuser_client.post(
        "/admin/core/apitoken/",
        {"action": "revoke_selected", "_selected_action": [issued.token.pk]},
    )

    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is not None
    delete = superuser_client.get(f"/admin/core/apitoken/{issued.token.pk}/delete/")
    assert delete.status_code == 403


def test_groups_are_manageable_in_the_admin(superuser_client):
    response = superuser_client.get("/admin/auth/group/")

    html = response.content.decode()
    assert all(role in html for role in ("Viewer", "Responder", "Manager"))


def test_every_admin_page_links_the_api_and_its_docs(superuser_client):
    html = superuser_client.get("/admin/").content.decode()

    assert 'href="/api/docs"' in html
    assert 'href="/api/"' in html
