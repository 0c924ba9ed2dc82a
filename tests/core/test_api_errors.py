import json

import pytest

from core.models import ApiToken
from tests.support import run_python

pytestmark = pytest.mark.django_db


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_a_missing_required_field_is_400_with_field_errors_and_writes_nothing(viewer_client):
    response = viewer_client.post("/api/tokens", {})

    assert response.status_code == 400
    assert error_of(response) == {
        "code": "validation_error",
        "message": "The request is invalid: see fields.",
        "fields": {"name": ["This field is required."]},
    }
    assert not ApiToken.objects.exists()


def test_malformed_json_is_400(viewer_client):
    response = viewer_client.generic(
        "POST", "/api/tokens", '{"name": ', content_type="application/json"
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"
    assert not ApiToken.objects.exists()


def test_json_constants_that_are_not_json_are_refused(viewer_client):
    response = viewer_client.generic(
        "POST", "/api/tokens", '{"name": NaN}', content_type="application/json"
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_a_body_over_the_limit_is_413_and_writes_nothing(viewer_client, settings):
    body = json.dumps({"name": "x" * (settings.API_MAX_BODY_BYTES + 1)})

    response = viewer_client.generic("POST", "/api/tokens", body, content_type="application/json")

    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"
    assert not ApiToken.objects.exists()


def test_an_unknown_api_path_is_a_json_404(viewer_client):
    response = viewer_client.get("/api/no-such-thing")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_unsupported_method_is_405(viewer_client):
    response = viewer_client.put("/api/me", {})

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_an_unsupported_media_type_is_415(viewer_client):
    response = viewer_client.generic("POST", "/api/tokens", "name=x", content_type="text/plain")

    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


@pytest.mark.parametrize("path", ["/api/tokens", "/api/tokens/"])
def test_paths_answer_with_and_without_a_trailing_slash_without_redirecting(viewer_client, path):
    response = viewer_client.post(path, {"name": "ci"})

    assert response.status_code == 201


def test_a_database_outage_is_503_with_retry_after(tmp_path):
    # A fresh process whose database is unreachable: the token lookup fails.
    result = run_python(
        "from django.test import Client\n"
        "r = Client().get('/api/me', HTTP_AUTHORIZATION='Bearer vgl_whatever')\n"
        "print(r.status_code, r.headers.get('Retry-After'), r.json()['error']['code'])",
        DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
        ALLOWED_HOSTS="testserver",
        VAR_DIR=str(tmp_path),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "503 30 service_unavailable"
