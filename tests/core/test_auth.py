from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import ApiToken
from core.services import api_token_create, api_token_revoke
from core.tokens import token_digest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def issued(user):
    return api_token_create(user=user, name="laptop")


def test_a_valid_token_authenticates_its_user(api_client, issued, user):
    response = api_client.get("/api/me", **bearer(issued.secret))

    assert response.status_code == 200
    assert response.json()["username"] == user.username
    assert response.json()["roles"] == ["Viewer"]


def test_only_a_digest_of_the_token_is_stored(issued):
    row = ApiToken.objects.get(pk=issued.token.pk)
    stored = [str(value) for value in row.__dict__.values()]

    assert issued.secret not in stored
    assert row.digest == token_digest(issued.secret)
    assert issued.secret.startswith(row.prefix)
    assert len(row.prefix) < len(issued.secret) // 3


def test_an_invalid_token_gets_401_in_the_error_shape(api_client, issued):
    response = api_client.get("/api/me", **bearer(issued.secret + "x"))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_revoked_token_is_refused(api_client, issued):
    api_token_revoke(token=issued.token)

    response = api_client.get("/api/me", **bearer(issued.secret))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_revoking_twice_keeps_the_first_revocation_time(issued):
    first = api_token_revoke(token=issued.token).revoked_at
    second = api_token_revoke(token=ApiToken.objects.get(pk=issued.token.pk)).revoked_at

    assert first is not None
    assert second == first


def test_an_expired_token_is_refused(api_client, user):
    expired = api_token_create(user=user, name="old", expires_at=timezone.now() - timedelta(1))

    response = api_client.get("/api/me", **bearer(expired.secret))

    assert response.status_code == 401


def test_a_token_of_a_deactivated_user_is_refused(api_client, issued, user):
    user.is_active = False
    user.save()

    assert api_client.get("/api/me", **bearer(issued.secret)).status_code == 401


def test_a_malformed_authorization_header_is_refused(api_client, issued):
    response = api_client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {issued.secret} extra")

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Malformed Authorization header."


def test_use_is_recorded_at_most_once_a_minute(api_client, issued, django_assert_num_queries):
    api_client.get("/api/me", **bearer(issued.secret))
    first_use = ApiToken.objects.get(pk=issued.token.pk).last_used_at

    # Again at once: the token lookup and the roles, no write.
    with django_assert_num_queries(2):
        api_client.get("/api/me", **bearer(issued.secret))

    assert first_use is not None
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == first_use


@pytest.mark.parametrize("path", ["/api/me", "/api/tokens", "/api/tokens/", "/api/"])
def test_unauthenticated_calls_get_401_in_the_error_shape(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
            "fields": {},
        }
    }


def test_a_user_creates_lists_and_revokes_their_own_tokens_through_the_api(viewer_client, user):
    created = viewer_client.post("/api/tokens", {"name": "ci"})

    assert created.status_code == 201
    secret = created.json()["token"]
    assert ApiToken.objects.get(pk=created.json()["id"]).digest == token_digest(secret)

    listed = viewer_client.get("/api/tokens").json()
    assert listed["count"] == 1
    assert "token" not in listed["results"][0]
    assert listed["results"][0]["active"] is True

    assert viewer_client.delete(f"/api/tokens/{created.json()['id']}").status_code == 204
    assert viewer_client.get(f"/api/tokens/{created.json()['id']}").json()["active"] is False


def test_another_users_token_is_not_found(viewer_client):
    other = api_token_create(user=UserFactory(), name="theirs")

    response = viewer_client.delete(f"/api/tokens/{other.token.pk}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert ApiToken.objects.get(pk=other.token.pk).revoked_at is None


def test_a_token_cannot_be_created_already_expired(viewer_client):
    response = viewer_client.post(
        "/api/tokens", {"name": "x", "expires_at": "2000-01-01T00:00:00Z"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"expires_at": ["Must be in the future."]}
    assert not ApiToken.objects.exists()


def test_the_token_list_costs_the_same_queries_for_1_and_50_tokens(
    viewer_client, user, django_assert_num_queries
):
    api_token_create(user=user, name="one")
    with django_assert_num_queries(2):  # count + page
        assert viewer_client.get("/api/tokens").json()["count"] == 1

    for n in range(49):
        api_token_create(user=user, name=f"t{n}")
    with django_assert_num_queries(2):
        assert len(viewer_client.get("/api/tokens").json()["results"]) == 50
