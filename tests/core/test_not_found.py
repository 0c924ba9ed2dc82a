"""Under /api/, a path that matches nothing and a method a view does not offer answer the
API's JSON error, with DEBUG on (``make run``) as with it off."""

import pytest
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from config.urls import urlpatterns as project_urlpatterns

pytestmark = pytest.mark.django_db


@require_GET
def plain_view(request):
    return HttpResponse("ok")


# The project's URLs plus a plain Django (not DRF) view under /api/, for the tests marked
# with this module as their URLconf.
urlpatterns = [path("api/plain-django", plain_view), *project_urlpatterns]


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def error_of(response):
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["fields"] == {}
    return body["error"]


@pytest.mark.parametrize(
    "url", ["/api/nope", "/api/nope/deeper/", "/api/incidents/999999999", "/api/incidents/x/y"]
)
def test_an_api_path_that_matches_nothing_is_a_json_404(debug, viewer_client, url):
    response = viewer_client.get(url)

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_post_to_an_unknown_api_path_is_a_json_404_not_a_csrf_refusal(debug, client):
    response = client.post("/api/nope", {"a": 1}, content_type="application/json")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_method_a_drf_view_does_not_offer_is_a_json_405_with_allow(debug, admin_client):
    response = admin_client.post("/api/alerts", {}, content_type="application/json")

    assert response.status_code == 405
    assert error_of(response) == {
        "code": "method_not_allowed",
        "message": 'Method "POST" not allowed.',
        "fields": {},
    }
    assert set(response["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.urls(__name__)
def test_a_method_a_plain_django_view_does_not_offer_is_a_json_405_with_allow(debug, client):
    assert client.get("/api/plain-django").content == b"ok"

    response = client.delete("/api/plain-django")

    assert response.status_code == 405
    assert error_of(response) == {
        "code": "method_not_allowed",
        "message": 'Method "DELETE" not allowed.',
        "fields": {},
    }
    assert response["Allow"] == "GET"


def test_a_browser_asking_the_browsable_api_keeps_its_html_404(debug, viewer_client):
    response = viewer_client.get("/api/incidents/999999999", HTTP_ACCEPT="text/html")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("url", ["/nope", "/nope/deeper/", "/apinope"])
def test_an_unknown_path_outside_the_api_stays_an_html_404(debug, client, url):
    response = client.get(url)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
