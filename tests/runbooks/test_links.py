"""Every link to a runbook resolves: the page answers 200 and the #anchor exists on it.

Links come from /readyz (each check's runbook), from the runbooks themselves and from
the project's README.
"""

import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from core.health import READINESS_CHECKS

pytestmark = pytest.mark.django_db

BASE_DIR = Path(settings.BASE_DIR)
RUNBOOK_NAMES = sorted(
    path.stem for path in Path(settings.RUNBOOKS_DIR).glob("*.md") if path.name != "README.md"
)
HREF = re.compile(r'href="([^"]*)"')


def article(html: str) -> str:
    return re.search(r'<article class="runbook">(.*)</article>', html, re.S)[1]


def readiness_links(client) -> dict[str, str]:
    checks = client.get("/readyz").json()["checks"]
    return {f"/readyz {name}": check["runbook"] for name, check in checks.items()}


def runbook_links(client) -> dict[str, str]:
    """``/runbooks/...`` and same-page ``#...`` links in every runbook, made absolute."""
    links = {}
    for name in RUNBOOK_NAMES:
        page = f"/runbooks/{name}/"
        for href in HREF.findall(article(client.get(page).content.decode())):
            if href.startswith("#"):
                links[f"{name}.md {href}"] = page + href
            elif href.startswith("/runbooks/"):
                links[f"{name}.md {href}"] = href
    return links


def readme_links() -> dict[str, str]:
    """Markdown links in README.md to a served runbook (``/runbooks/...``) or to a file
    in the folder (``runbooks/<file>``)."""
    text = (BASE_DIR / "README.md").read_text()
    return {
        f"README.md {target}": target
        for target in re.findall(r"\]\(([^)\s]*runbooks/[^)\s]*)\)", text)
    }


def assert_resolves(client, link: str, source: str) -> None:
    url = urlsplit(link)
    if not url.path.startswith("/"):  # a file in the repository (README.md's view)
        assert (BASE_DIR / url.path).is_file(), f"{source}: no such file"
        stem = Path(url.path).stem
        if url.path.startswith("runbooks/") and stem in RUNBOOK_NAMES and url.fragment:
            assert_resolves(client, f"/runbooks/{stem}/#{url.fragment}", source)
        return
    response = client.get(url.path)
    assert response.status_code == 200, f"{source}: {url.path} answers {response.status_code}"
    if url.fragment:
        html = response.content.decode()
        assert f'id="{url.fragment}"' in html, f"{source}: no #{url.fragment} on {url.path}"


def test_every_runbook_link_resolves_to_a_page_and_anchor(admin_client):
    from_readyz = readiness_links(admin_client)
    from_runbooks = runbook_links(admin_client)
    from_readme = readme_links()

    # The walk found what it should have: one link per check, and the runbooks' own.
    assert set(from_readyz) == {f"/readyz {name}" for name in READINESS_CHECKS}
    assert len(from_runbooks) >= 30
    assert from_readme

    for source, link in {**from_readyz, **from_runbooks, **from_readme}.items():
        assert_resolves(admin_client, link, source)


def test_each_readiness_check_links_its_own_section(admin_client):
    assert readiness_links(admin_client) == {
        f"/readyz {name}": f"/runbooks/readiness/#{name}" for name in READINESS_CHECKS
    }


@pytest.mark.parametrize("name", RUNBOOK_NAMES)
def test_ids_on_a_page_are_unique(admin_client, name):
    """A heading's id must not repeat another's, nor one of the admin page's own
    (``## Content`` would give ``id="content"``)."""
    html = admin_client.get(f"/runbooks/{name}/").content.decode()

    repeated = [
        id_ for id_, count in Counter(re.findall(r'\sid="([^"]+)"', html)).items() if count > 1
    ]

    assert repeated == []
