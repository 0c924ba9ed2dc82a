"""The Content-Security-Policy header on every response, and pages that still work under
it: the admin, the browsable API and Swagger UI run no inline script, and load their
scripts and styles from this server. Plus the URL and address rules of core.net."""

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.test import Client

from core.net import address_refusal, is_http_url
from tests.factories import ServiceFactory, UserFactory, open_incident

pytestmark = pytest.mark.django_db

EXECUTABLE_SCRIPT_TYPES = {"", "text/javascript", "module", "application/javascript"}


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inline_scripts, self.script_srcs, self.stylesheets, self.handlers = [], [], [], []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += [value for name, value in attrs.items() if name.startswith("on")]
        if tag == "script":
            if attrs.get("src"):
                self.script_srcs.append(attrs["src"])
            elif (attrs.get("type") or "").lower() in EXECUTABLE_SCRIPT_TYPES:
                self._in_inline_script = True
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.stylesheets.append(attrs["href"])

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.inline_scripts.append(data.strip())

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False


def allowed_hashes(policy) -> set[str]:
    return {value for value in policy["script-src"] if value.startswith("'sha256-")}


def source_hash(source: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()}'"


def assert_works_under_the_policy(response):
    """200, the strict policy, and nothing on the page that the policy would block."""
    assert response.status_code == 200, response.status_code
    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    page = _Page()
    page.feed(response.content.decode())
    assert page.inline_scripts == [], "an inline script would be blocked"
    for handler in page.handlers:
        assert source_hash(handler) in allowed_hashes(policy), f"{handler} would be blocked"
    for url in page.script_srcs + page.stylesheets:
        assert not re.match(r"^(https?:)?//", url), f"{url} is not from this server"
        path = url.split("?")[0]
        if path.startswith("/static/"):
            assert finders.find(path.removeprefix("/static/")), f"{url} is missing"
    return page


@pytest.fixture
def superuser_client(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests")
    client.force_login(admin)
    return client


def test_every_response_carries_a_strict_policy(client):
    for path in ("/healthz", "/admin/login/", "/api/incidents", "/no-such-page"):
        response = client.get(path)
        policy = policy_of(response)
        assert policy["default-src"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"], path
        assert policy["frame-ancestors"] == ["'none'"], path
        assert policy["base-uri"] == ["'self'"], path
        assert "'unsafe-eval'" not in policy["script-src"], path
        assert "'unsafe-inline'" not in policy["script-src"], path
        # Only the browsable API's logout handler is allowed inline, by its hash.
        assert allowed_hashes(policy) == {
            source_hash('document.getElementById("logoutForm").submit()')
        }


def test_the_admin_pages_work_under_the_policy(superuser_client):
    assert_works_under_the_policy(Client().get("/admin/login/"))
    incident = open_incident(ServiceFactory(), title="Checkout down")
    for path in (
        "/admin/",
        "/admin/incidents/incident/",
        f"/admin/incidents/incident/{incident.pk}/change/",
        "/admin/incidents/incident/add/",
        "/admin/oncall/schedule/add/",
        "/admin/webhooks/outgoingwebhook/add/",
    ):
        page = assert_works_under_the_policy(superuser_client.get(path))
        assert any("/static/admin/" in src for src in page.stylesheets), path


def test_swagger_ui_works_under_the_policy(client):
    client.force_login(UserFactory(roles=["Viewer"]))

    page = assert_works_under_the_policy(client.get("/api/docs/"))

    assert any("swagger-ui-bundle.js" in src for src in page.script_srcs)
    # Its start-up script is a file of its own, not inline.
    start_up = next(src for src in page.script_srcs if "script" in src.split("?", 1)[-1])
    script = client.get(start_up)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_browsable_api_works_under_the_policy(client):
    client.force_login(UserFactory(roles=["Viewer"]))

    assert_works_under_the_policy(client.get("/api/incidents", HTTP_ACCEPT="text/html"))


# --- which URLs may be links ---------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://runbooks.example.com/checkout",
        "http://prometheus:9090/graph?g0.expr=up",
        "HTTPS://EXAMPLE.COM/",
    ],
)
def test_http_urls_are_links(url):
    assert is_http_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example.com/",
        "/relative/path",
        "https:/no-host",
        "https://exa mple.com/",
        "",
        None,
        42,
    ],
)
def test_anything_else_is_not_a_link(url):
    assert not is_http_url(url)


# --- which addresses outgoing calls may reach ----------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.1.2.3",
        "0.0.0.0",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "not-an-address",
    ],
)
def test_non_public_addresses_are_refused(address):
    assert address_refusal(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert address_refusal(address) is None


def test_pages_name_an_icon_that_exists_so_browsers_ask_for_nothing_missing(superuser_client):
    from django.contrib.staticfiles import finders

    admin_page = superuser_client.get("/admin/").content.decode()
    assert 'rel="icon"' in admin_page
    assert "core/favicon.svg" in admin_page
    assert finders.find("core/favicon.svg")
    # Pages that name no icon (Swagger's, JSON in a browser) make browsers ask for this.
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("core/favicon.svg")
