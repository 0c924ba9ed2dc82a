"""/runbooks/: who may read them, the index, each page."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RUNBOOK_FILES = sorted(
    path for path in Path(settings.RUNBOOKS_DIR).glob("*.md") if path.name != "README.md"
)


def article(response) -> str:
    return re.search(r'<article class="runbook">(.*)</article>', response.content.decode(), re.S)[1]


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(roles=["Viewer"]))  # staff, not a superuser
    return client


def test_the_runbooks_folder_has_the_runbooks():
    assert {path.stem for path in RUNBOOK_FILES} >= {
        "operations",
        "readiness",
        "database",
        "redis",
        "celery",
        "ingestion",
        "notifications",
        "api",
        "slo",
        "capacity",
        "backup",
        "api-tokens",
    }


def test_the_index_lists_every_runbook_with_its_title(staff_client):
    response = staff_client.get("/runbooks/")

    assert response.status_code == 200
    body = response.content.decode()
    for path in RUNBOOK_FILES:
        title = path.read_text().splitlines()[0].removeprefix("# ")
        assert f'<a href="/runbooks/{path.stem}/">{title}</a>' in body, path.name
    assert "README" not in body


@pytest.mark.parametrize("path", RUNBOOK_FILES, ids=lambda path: path.stem)
def test_each_runbook_renders_with_its_contents(staff_client, path):
    response = staff_client.get(f"/runbooks/{path.stem}/")

    assert response.status_code == 200
    body = response.content.decode()
    title = path.read_text().splitlines()[0].removeprefix("# ")
    assert f"<h1>{title}</h1>" in body
    assert '<a href="/runbooks/">Runbooks</a>' in body  # the breadcrumbs
    headings = re.findall(r'<h2 id="([a-z0-9-]+)">', article(response))
    assert headings, "a runbook has ## sections"
    contents = re.search(r'<nav class="module runbook-toc".*?</nav>', body, re.S)[0]
    for anchor in headings:
        assert f'href="#{anchor}"' in contents


@pytest.mark.parametrize("url", ["/runbooks/", "/runbooks/readiness/", "/runbooks/nope/"])
def test_anonymous_visitors_are_sent_to_the_admin_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={url}"


@pytest.mark.parametrize("url", ["/runbooks/", "/runbooks/readiness/"])
def test_signed_in_users_who_are_not_staff_are_sent_to_the_admin_login(client, url):
    client.force_login(UserFactory(is_staff=False, roles=["Manager"]))

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={url}"


@pytest.mark.parametrize(
    "url",
    [
        "/runbooks/nope/",
        "/runbooks/README/",
        "/runbooks/readiness.md/",
        "/runbooks/Readiness/",
        "/runbooks/../config/settings/",
        "/runbooks/..%2Fconfig%2Fsettings/",
        "/runbooks/%2e%2e/",
        "/runbooks/readiness/../../manage/",
        "/runbooks/readiness/extra/",
    ],
)
def test_unknown_and_traversal_names_are_404(admin_client, url):
    assert admin_client.get(url).status_code == 404


def test_pages_only_answer_get_and_head(admin_client):
    assert admin_client.head("/runbooks/readiness/").status_code == 200
    assert admin_client.post("/runbooks/readiness/").status_code == 405


def test_a_page_is_served_from_the_runbooks_dir_setting(admin_client, settings, tmp_path):
    settings.RUNBOOKS_DIR = tmp_path
    (tmp_path / "evil.md").write_text(
        "# Evil\n\nHi <script>alert(1)</script>.\n\n## Steps\n\n"
        "<script>alert(2)</script> [a](javascript:alert(3)) [b](https://example.com/b)\n"
    )

    index = admin_client.get("/runbooks/").content.decode()
    page = admin_client.get("/runbooks/evil/")

    assert '<a href="/runbooks/evil/">Evil</a>' in index
    assert "/runbooks/readiness/" not in index
    assert page.status_code == 200
    for html in (index, page.content.decode()):
        assert "alert(" not in html
        assert "javascript:" not in html
    assert 'href="https://example.com/b"' in article(page)
