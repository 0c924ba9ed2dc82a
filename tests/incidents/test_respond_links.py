"""One-click acknowledge/resolve links in a page's email (``/respond/<token>``).

Opening a link (GET or HEAD: what mail scanners and link previews do) changes nothing and
shows what it would do; the confirmation page's button POSTs, and that acts once, as the
paged user, while they are active and may still change incidents. A link expires after
24 hours; a forged one is a 404.
"""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from html import unescape
from threading import Barrier

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail, signing
from django.db import connections
from django.test import Client

from incidents import services
from incidents.models import Notification, RespondLinkUse
from incidents.services.notifications import (
    RESPOND_SALT,
    RespondLinkGone,
    notification_send,
    respond_link_use,
    respond_link_uses_prune,
    respond_token,
)
from oncall import services as oncall_services
from tests.factories import ServiceFactory, UserFactory, open_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana():
    return UserFactory(username="ana", roles=["Responder"])


@pytest.fixture
def incident():
    return open_incident(ServiceFactory(name="Checkout"), title="Payments failing")


def link(incident, user, action="acknowledge"):
    return f"/respond/{respond_token(incident_id=incident.pk, action=action, user_id=user.pk)}"


def confirm_field(response) -> str:
    match = re.search(r'name="confirm" value="([^"]+)"', response.content.decode())
    assert match, response.content.decode()
    return unescape(match.group(1))


def confirm(client, url):
    """Open the link, then press the page's button."""
    page = client.get(url)
    assert page.status_code == 200, page.content.decode()
    return client.post(url, {"confirm": confirm_field(page)})


def state(incident):
    incident.refresh_from_db()
    return incident.status, incident.timeline.count(), RespondLinkUse.objects.count()


# --- opening a link changes nothing ----------------------------------------------------


def test_get_shows_a_confirmation_naming_the_incident_and_changes_nothing(incident, ana):
    before = state(incident)

    response = Client().get(link(incident, ana))

    assert response.status_code == 200
    html = response.content.decode()
    for shown in (incident.reference, "Payments failing", "Checkout", "triggered"):
        assert shown in html
    assert f"Acknowledge {incident.reference}?" in html
    assert '<form method="post">' in html
    assert "Acknowledge as ana" in html
    assert response["Cache-Control"].startswith("max-age=0")
    assert response["Referrer-Policy"] == "no-referrer"
    assert state(incident) == before


def test_head_and_repeated_gets_change_nothing(incident, ana):
    before = state(incident)
    url = link(incident, ana, "resolve")

    responses = [Client().head(url), Client().get(url), Client().get(url), Client().head(url)]

    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    assert state(incident) == before


def test_other_methods_are_refused(incident, ana):
    url = link(incident, ana)

    assert Client().put(url).status_code == 405
    assert Client().delete(url).status_code == 405
    assert state(incident)[0] == "triggered"


# --- the button acts, once ----------------------------------------------------------------


def test_the_button_acknowledges_as_the_paged_user(incident, ana):
    response = confirm(Client(), link(incident, ana))

    assert response.status_code == 200
    assert f"{incident.reference} is acknowledged." in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    assert incident.acknowledged_by == ana
    use = RespondLinkUse.objects.get()
    assert (use.incident, use.user, use.action) == (incident, ana, "acknowledge")


def test_a_link_works_once(incident, ana):
    client, url = Client(), link(incident, ana)
    page = client.get(url)
    field = confirm_field(page)

    first = client.post(url, {"confirm": field})
    second = client.post(url, {"confirm": field})
    opened_again = client.get(url)

    assert first.status_code == 200
    assert second.status_code == 410
    assert "already used" in second.content.decode()
    assert opened_again.status_code == 410
    assert "form" not in opened_again.content.decode()
    assert incident.timeline.filter(kind="acknowledged").count() == 1
    assert RespondLinkUse.objects.count() == 1


def test_a_used_resolve_link_does_not_resolve_again_after_a_reopen(incident, ana):
    client, url = Client(), link(incident, ana, "resolve")
    field = confirm_field(client.get(url))
    assert client.post(url, {"confirm": field}).status_code == 200
    incident.refresh_from_db()
    services.incident_reopen(incident=incident, by=ana, reason="errors are back")

    again = client.post(url, {"confirm": field})

    assert again.status_code == 410
    incident.refresh_from_db()
    assert incident.status == "triggered"
    assert incident.timeline.filter(kind="resolved").count() == 1


def test_each_link_is_distinct_so_a_second_email_still_works(incident, ana):
    first, second = link(incident, ana, "resolve"), link(incident, ana, "resolve")
    assert first != second

    assert confirm(Client(), first).status_code == 200
    incident.refresh_from_db()
    services.incident_reopen(incident=incident, by=ana)
    assert confirm(Client(), second).status_code == 200

    incident.refresh_from_db()
    assert incident.status == "resolved"


def test_a_post_without_the_pages_confirmation_does_nothing(incident, ana):
    url = link(incident, ana)
    other = confirm_field(Client().get(link(incident, ana, "resolve")))
    before = state(incident)

    bare = Client().post(url)
    wrong = Client().post(url, {"confirm": other})  # another link's page
    forged = Client().post(url, {"confirm": "x"})

    for response in (bare, wrong, forged):
        assert response.status_code == 400
        assert "Confirm with the button" in response.content.decode()
        assert confirm_field(response)  # a fresh button to press
    assert state(incident) == before


def test_no_csrf_cookie_is_needed_the_token_is_the_proof(incident, ana):
    client = Client(enforce_csrf_checks=True)

    response = confirm(client, link(incident, ana))

    assert response.status_code == 200
    assert state(incident)[0] == "acknowledged"


def test_a_move_the_incident_refuses_is_409_and_leaves_the_link_unused(incident, ana):
    services.incident_resolve(incident=incident, by=ana)
    incident.refresh_from_db()
    services.incident_close(incident=incident, by=ana)
    url = link(incident, ana)

    response = confirm(Client(), url)

    assert response.status_code == 409
    assert state(incident)[0] == "closed"
    assert RespondLinkUse.objects.count() == 0


# --- who the link acts as --------------------------------------------------------------


def test_a_viewers_link_does_nothing_and_says_why(incident):
    viewer = UserFactory(username="vic", roles=["Viewer"])
    url = link(incident, viewer)
    before = state(incident)

    page = Client().get(url)
    posted = Client().post(url, {"confirm": "anything"})

    for response in (page, posted):
        assert response.status_code == 403
        assert "may not change incidents" in response.content.decode()
        assert "<form" not in response.content.decode()
    assert state(incident) == before


def test_a_responder_who_lost_the_role_after_the_page_cannot_use_it(incident, ana):
    url = link(incident, ana)
    field = confirm_field(Client().get(url))
    ana.groups.set([Group.objects.get(name="Viewer")])

    response = Client().post(url, {"confirm": field})

    assert response.status_code == 403
    assert state(incident)[0] == "triggered"


def test_a_disabled_account_cannot_use_its_links(incident, ana):
    url = link(incident, ana)
    field = confirm_field(Client().get(url))
    ana.is_active = False
    ana.save()

    response = Client().post(url, {"confirm": field})

    assert response.status_code == 403
    assert "disabled" in response.content.decode()
    assert state(incident)[0] == "triggered"


def test_managers_and_superusers_may_use_their_links(incident):
    manager = UserFactory(username="mia", roles=["Manager"])
    root = UserFactory(username="root", is_superuser=True)

    assert confirm(Client(), link(incident, manager)).status_code == 200
    assert confirm(Client(), link(incident, root, "resolve")).status_code == 200
    assert state(incident)[0] == "resolved"


# --- expired and forged --------------------------------------------------------------


def test_an_expired_link_is_410_before_and_after_the_confirmation(incident, ana):
    url = link(incident, ana)
    field = confirm_field(Client().get(url))

    with time_machine.travel(datetime.now(UTC) + timedelta(hours=25)):
        page = Client().get(url)
        posted = Client().post(url, {"confirm": field})

    assert page.status_code == 410
    assert posted.status_code == 410
    assert "expired" in posted.content.decode()
    assert state(incident)[0] == "triggered"


def test_used_links_are_forgotten_only_once_they_could_not_act_again(incident, ana):
    used = link(incident, ana)
    confirm(Client(), used)
    assert RespondLinkUse.objects.count() == 1

    # Within the link's day, its use row is what refuses a second use: it stays.
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=23)):
        assert respond_link_uses_prune() == 0
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=26)):
        assert respond_link_uses_prune(batch=1) == 1
        assert Client().get(used).status_code == 410  # refused as expired without it

    assert not RespondLinkUse.objects.exists()


@pytest.mark.parametrize(
    "claim",
    [
        pytest.param(None, id="tampered-signature"),
        pytest.param({"i": 0, "a": "acknowledge", "u": 0}, id="unknown-ids"),
        pytest.param({"i": "1", "a": "acknowledge", "u": "1"}, id="ids-as-text"),
        pytest.param({"a": "acknowledge"}, id="missing-ids"),
        pytest.param({"i": 1, "a": "close", "u": 1}, id="action-links-do-not-offer"),
        pytest.param(["i", "a", "u"], id="not-an-object"),
    ],
)
def test_a_forged_link_is_404(incident, ana, claim):
    if claim is None:
        token = respond_token(incident_id=incident.pk, action="resolve", user_id=ana.pk)
        token = token[:-2] + ("xx" if not token.endswith("xx") else "yy")
    else:
        if isinstance(claim, dict) and claim.get("i") == 1:
            claim = {**claim, "i": incident.pk, "u": ana.pk}
        token = signing.dumps(claim, salt=RESPOND_SALT)
    other_salt = signing.dumps({"i": incident.pk, "a": "resolve", "u": ana.pk}, salt="other")

    for url in (f"/respond/{token}", f"/respond/{other_salt}"):
        assert Client().get(url).status_code == 404
        assert Client().post(url, {"confirm": "x"}).status_code == 404
    assert state(incident)[0] == "triggered"


# --- the email ------------------------------------------------------------------------


def test_the_page_email_links_lead_to_the_confirmation(ana, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    oncall_services.contact_method_create(user=ana, kind="email", address="ana@example.com")
    policy = services.policy_save(
        name="p",
        team=ServiceFactory().team,
        steps=[{"delay": timedelta(minutes=5), "users": [ana]}],
    )
    service = ServiceFactory()
    services.escalation_rule_set(service=service, policy=policy)
    incident = open_incident(service)
    notification_send(notification_id=Notification.objects.get(incident=incident).pk)

    body = mail.outbox[-1].body
    urls = dict(re.findall(r"^(Acknowledge|Resolve): \S+(/respond/\S+)$", body, re.M))
    assert set(urls) == {"Acknowledge", "Resolve"}
    assert "works once" in body
    assert state(incident)[0] == "triggered"
    assert "Resolve " in Client().get(urls["Resolve"]).content.decode()
    assert confirm(Client(), urls["Acknowledge"]).status_code == 200
    assert state(incident)[0] == "acknowledged"


# --- two clicks at once ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_uses_of_one_link_act_once():
    ana = UserFactory(username="ana", roles=["Responder"])
    incident = open_incident(ServiceFactory(), title="race")
    token = respond_token(incident_id=incident.pk, action="resolve", user_id=ana.pk)
    workers = 4
    barrier = Barrier(workers)

    def use(_):
        barrier.wait()
        try:
            return respond_link_use(token=token)
        except Exception as error:
            return error
        finally:
            connections.close_all()

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(use, range(workers)))

    acted = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, RespondLinkGone)]
    assert len(acted) == 1, results
    assert len(refused) == workers - 1, results
    assert RespondLinkUse.objects.count() == 1
    assert incident.timeline.filter(kind="resolved").count() == 1
