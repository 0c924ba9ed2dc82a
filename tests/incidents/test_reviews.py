"""Post-incident reviews and action items: the creation rule, the published freeze,
completion dates, the timeline, the API and its roles, the admin, and both exports."""

import io
import os
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client
from pypdf import PdfReader
from rest_framework.test import APIClient

from incidents import services
from incidents.models import ActionItem, PostIncidentReview, ReviewStatus, TimelineKind
from incidents.services import reviews
from incidents.services.reviews import business_days_after
from tests.admin_forms import admin_post
from tests.factories import ServiceFactory, TeamFactory, UserFactory, open_incident

pytestmark = pytest.mark.django_db


def _pango_missing() -> bool:
    try:
        import weasyprint  # noqa: F401  (loads Pango when imported)
    except OSError:
        return True
    return False


PANGO_MISSING = _pango_missing()
if PANGO_MISSING and os.environ.get("CI"):
    raise RuntimeError("CI must install Pango for WeasyPrint (see .ci/run)")
needs_pango = pytest.mark.skipif(
    PANGO_MISSING, reason="Pango is not installed (.ci/run installs it; PDFs need it)"
)

# A Wednesday: five working days later is the next Wednesday.
WEDNESDAY = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
def ana():
    return UserFactory(username="ana", roles=["Responder"])


@pytest.fixture
def bob():
    return UserFactory(username="bob", roles=["Responder"])


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def resolved(severity="SEV1", *, by, commander=None, service=None, at=WEDNESDAY):
    with time_machine.travel(at, tick=False):
        incident = open_incident(
            service or ServiceFactory(name="Checkout"),
            title="Payments failing",
            severity=severity,
            commander=commander,
        )
    with time_machine.travel(at + timedelta(minutes=4), tick=False):
        services.incident_acknowledge(incident=incident, by=by)
    with time_machine.travel(at + timedelta(minutes=25), tick=False):
        services.incident_mitigate(incident=incident, by=by)
    with time_machine.travel(at + timedelta(minutes=70), tick=False):
        services.incident_resolve(incident=incident, by=by, note="rolled back")
    incident.refresh_from_db()
    return incident


# --- the creation rule ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 11, 25), 5, date(2026, 12, 2)),  # Wednesday -> Wednesday
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Friday -> Monday
        (date(2026, 11, 28), 1, date(2026, 11, 30)),  # Saturday -> Monday
        (date(2026, 11, 27), 5, date(2026, 12, 4)),
        (date(2026, 11, 27), 0, date(2026, 11, 27)),
    ],
)
def test_business_days_skip_weekends(start, days, due):
    assert business_days_after(start, days) == due


def test_resolving_a_sev1_opens_a_draft_review_facilitated_by_the_commander(ana, bob):
    incident = resolved("SEV1", by=ana, commander=bob)

    review = PostIncidentReview.objects.get(incident=incident)
    assert review.status == ReviewStatus.DRAFT
    assert review.facilitator == bob
    assert review.due_date == date(2026, 12, 2)
    entry = incident.timeline.get(kind=TimelineKind.REVIEW)
    assert "opened" in entry.message
    assert "2026-12-02" in entry.message


def test_without_a_commander_the_resolver_facilitates(ana):
    review = PostIncidentReview.objects.get(incident=resolved("SEV2", by=ana))
    assert review.facilitator == ana


def test_lower_severities_get_none_unless_configured(ana, settings):
    resolved("SEV3", by=ana)
    assert not PostIncidentReview.objects.exists()

    settings.REVIEW_SEVERITIES = ["SEV3"]
    settings.REVIEW_DUE_BUSINESS_DAYS = 2
    incident = resolved("SEV3", by=ana)
    assert PostIncidentReview.objects.get().incident == incident
    assert PostIncidentReview.objects.get().due_date == date(2026, 11, 27)


def test_a_reopened_and_resolved_again_incident_keeps_its_one_review(ana):
    incident = resolved("SEV1", by=ana)
    review = PostIncidentReview.objects.get()
    reviews.review_update(review=review, by=ana, summary="We rolled back.")

    services.incident_reopen(incident=incident, by=ana, reason="errors again")
    services.incident_resolve(incident=incident, by=ana)
    services.incident_resolve(incident=incident, by=ana)  # a repeat changes nothing

    assert PostIncidentReview.objects.count() == 1
    assert PostIncidentReview.objects.get().summary == "We rolled back."
    assert (
        incident.timeline.filter(kind=TimelineKind.REVIEW, message__contains="opened").count() == 1
    )


def test_the_database_holds_one_review_per_incident(ana):
    incident = resolved("SEV1", by=ana)
    with pytest.raises(IntegrityError), transaction.atomic():
        PostIncidentReview.objects.create(incident=incident)


def test_staff_open_a_review_for_any_incident_once(ana):
    incident = open_incident(ServiceFactory(), severity="SEV4")
    api = client_for(ana)

    first = api.post("/api/reviews", {"incident": incident.pk}, format="json")
    second = api.post("/api/reviews", {"incident": incident.pk}, format="json")

    assert first.status_code == 201, first.json()
    assert first.json()["facilitator"] == ana.pk
    assert first.json()["incident_detail"]["reference"] == incident.reference
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "review_exists"
    assert PostIncidentReview.objects.count() == 1


# --- figures and timeline ----------------------------------------------------------------


def test_figures_are_computed_from_the_incident(ana):
    incident = resolved("SEV1", by=ana)
    review = PostIncidentReview.objects.get()

    body = client_for(ana).get(f"/api/reviews/{review.pk}").json()

    assert body["figures"] == {
        "time_to_acknowledge": 4 * 60,
        "time_to_mitigate": 25 * 60,
        "time_to_resolve": 70 * 60,
        "alerts_received": 0,
        "people_paged": 0,
    }
    kinds = [entry["kind"] for entry in body["timeline"]]
    assert kinds == ["created", "acknowledged", "assigned", "mitigated", "resolved"]
    assert incident.timeline.filter(kind=TimelineKind.REVIEW).exists()  # kept off the section


# --- publishing freezes the text ----------------------------------------------------------


def test_publishing_freezes_the_narrative_but_not_the_action_items(ana):
    resolved("SEV1", by=ana)
    review = PostIncidentReview.objects.get()
    api = client_for(ana)
    api.patch(f"/api/reviews/{review.pk}", {"root_cause": "A bad deploy."}, format="json")
    item = api.post(
        "/api/action-items", {"review": review.pk, "title": "Add a canary"}, format="json"
    ).json()

    published = api.post(f"/api/reviews/{review.pk}/publish")
    again = api.post(f"/api/reviews/{review.pk}/publish")
    edit = api.patch(f"/api/reviews/{review.pk}", {"root_cause": "Changed."}, format="json")
    back = api.patch(f"/api/reviews/{review.pk}", {"status": "draft"}, format="json")
    item_edit = api.patch(f"/api/action-items/{item['id']}", {"status": "done"}, format="json")
    new_item = api.post(
        "/api/action-items", {"review": review.pk, "title": "Alert on p99"}, format="json"
    )

    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert published.json()["published_at"]
    assert again.status_code == 200
    assert edit.status_code == 409
    assert edit.json()["error"]["code"] == "review_published"
    assert "root_cause" in edit.json()["error"]["fields"]
    assert back.status_code == 409
    review.refresh_from_db()
    assert review.root_cause == "A bad deploy."
    assert item_edit.status_code == 200
    assert item_edit.json()["completed_at"]
    assert new_item.status_code == 201


def test_every_change_writes_a_timeline_entry(ana):
    incident = resolved("SEV1", by=ana)
    review = PostIncidentReview.objects.get()
    api = client_for(ana)

    api.patch(f"/api/reviews/{review.pk}", {"summary": "x", "status": "in_review"}, format="json")
    item = api.post("/api/action-items", {"review": review.pk, "title": "Fix"}, format="json")
    api.patch(f"/api/action-items/{item.json()['id']}", {"status": "in_progress"}, format="json")
    api.post(f"/api/reviews/{review.pk}/publish")
    api.delete(f"/api/action-items/{item.json()['id']}")

    messages = list(
        incident.timeline.filter(kind__in=["review", "action_item"]).values_list(
            "message", flat=True
        )
    )
    assert messages[0].startswith("Post-incident review opened")
    assert "edited by ana: summary, status" in messages[1]
    assert messages[2] == "Action item added by ana: Fix (P2)"
    assert "open → in_progress" in messages[3]
    assert messages[4] == "Post-incident review published by ana"
    assert "deleted by ana" in messages[5]


# --- action items: completion --------------------------------------------------------------


def test_completed_at_is_set_exactly_when_done_or_wont_do(ana):
    resolved("SEV1", by=ana)
    review = PostIncidentReview.objects.get()
    item = reviews.action_item_create(review=review, by=ana, title="Fix")
    assert item.completed_at is None

    item = reviews.action_item_update(item=item, by=ana, status="done")
    done_at = item.completed_at
    assert done_at is not None
    item = reviews.action_item_update(item=item, by=ana, status="wont_do")
    assert item.completed_at == done_at  # still finished: the date stays
    item = reviews.action_item_update(item=item, by=ana, status="open")
    assert item.completed_at is None

    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.filter(pk=item.pk).update(status="done")
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.filter(pk=item.pk).update(completed_at=done_at)


def test_bad_action_items_are_refused_with_the_field_named(ana):
    resolved("SEV1", by=ana)
    review = PostIncidentReview.objects.get()
    api = client_for(ana)

    for body, field in (
        ({"review": review.pk, "title": "x", "priority": "P9"}, "priority"),
        ({"review": review.pk, "title": "x", "ticket_url": "javascript:alert(1)"}, "ticket_url"),
        ({"review": review.pk, "title": ""}, "title"),
        ({"review": 999999, "title": "x"}, "review"),
        ({"review": review.pk, "title": "x", "status": "finished"}, "status"),
    ):
        response = api.post("/api/action-items", body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()["error"]["fields"], body
    assert not ActionItem.objects.exists()


# --- filters ----------------------------------------------------------------------------


def test_action_items_filter_by_owner_status_overdue_service_and_team(
    ana, bob, django_assert_num_queries
):
    payments = TeamFactory(name="Payments", slug="payments")
    checkout = ServiceFactory(name="Checkout", slug="checkout", team=payments)
    search = ServiceFactory(name="Search", slug="search")
    resolved("SEV1", by=ana, service=checkout)
    resolved("SEV1", by=ana, service=search)
    first, second = PostIncidentReview.objects.order_by("pk")
    yesterday = date.today() - timedelta(days=1)
    late = reviews.action_item_create(
        review=first, by=ana, title="late", owner=ana, due_date=yesterday
    )
    reviews.action_item_create(
        review=first, by=ana, title="future", owner=bob, due_date=date.today() + timedelta(days=3)
    )
    done = reviews.action_item_create(
        review=second, by=ana, title="done", owner=ana, due_date=yesterday
    )
    reviews.action_item_update(item=done, by=ana, status="done")
    api = client_for(ana)

    def titles(query):
        response = api.get(f"/api/action-items?{query}")
        assert response.status_code == 200, response.json()
        return sorted(row["title"] for row in response.json()["results"])

    assert titles("owner=me") == ["done", "late"]
    assert titles("owner=bob") == ["future"]
    assert titles(f"owner={bob.pk}") == ["future"]
    assert titles("overdue=true") == ["late"]
    assert titles("overdue=false") == ["done", "future"]
    assert titles("status=done") == ["done"]
    assert titles("service=checkout") == ["future", "late"]
    assert titles(f"service={search.pk}") == ["done"]
    assert titles("team=payments") == ["future", "late"]
    assert late.pk in [row["id"] for row in api.get("/api/action-items").json()["results"]]
    assert api.get("/api/action-items?overdue=maybe").status_code == 400
    assert api.get("/api/action-items?owner=²").json()["count"] == 0

    with django_assert_num_queries(2):  # count, page (owner, review, incident in the join)
        api.get("/api/action-items")


def test_review_lists_cost_a_constant_number_of_queries(ana, django_assert_num_queries):
    for _ in range(3):
        resolved("SEV1", by=ana)
    for review in PostIncidentReview.objects.all():
        reviews.action_item_create(review=review, by=ana, title="x", owner=ana)
        review.participants.add(ana)
    api = client_for(ana)
    api.get("/api/reviews")  # the user's permissions are loaded once

    with django_assert_num_queries(4):  # count, page, participants, action items
        body = api.get("/api/reviews").json()
    assert body["count"] == 3
    assert api.get("/api/reviews?overdue=false&status=draft").json()["count"] == 3


# --- roles ------------------------------------------------------------------------------


def test_viewers_read_responders_write_managers_delete(ana):
    resolved("SEV1", by=ana)
    review = PostIncidentReview.objects.get()
    item = reviews.action_item_create(review=review, by=ana, title="Fix")
    viewer = client_for(UserFactory(roles=["Viewer"]))
    responder = client_for(ana)
    manager = client_for(UserFactory(roles=["Manager"]))

    assert viewer.get("/api/reviews").status_code == 200
    assert viewer.get(f"/api/reviews/{review.pk}/export?format=md").status_code == 200
    assert viewer.get("/api/action-items").status_code == 200
    assert (
        viewer.patch(f"/api/reviews/{review.pk}", {"summary": "x"}, format="json").status_code
        == 403
    )
    assert viewer.post(f"/api/reviews/{review.pk}/publish").status_code == 403
    assert viewer.post("/api/action-items", {"review": review.pk, "title": "x"}).status_code == 403
    assert viewer.patch(f"/api/action-items/{item.pk}", {"status": "done"}).status_code == 403

    assert (
        responder.patch(f"/api/reviews/{review.pk}", {"summary": "x"}, format="json").status_code
        == 200
    )
    assert responder.delete(f"/api/reviews/{review.pk}").status_code == 403
    assert responder.delete(f"/api/action-items/{item.pk}").status_code == 204
    assert manager.delete(f"/api/reviews/{review.pk}").status_code == 204
    assert not PostIncidentReview.objects.exists()


# --- exports ----------------------------------------------------------------------------


@pytest.fixture
def written_review(ana, bob):
    resolved("SEV1", by=ana, commander=bob)
    review = PostIncidentReview.objects.get()
    reviews.review_update(
        review=review,
        by=bob,
        participants=[ana, bob],
        summary="Card payments failed for 70 minutes after a deploy.",
        customer_impact="12% of checkouts failed.",
        root_cause="A connection pool limit shipped at 5.",
        contributing_factors="No canary for the payments service.",
        what_went_well="The page reached ana in 4 minutes.",
        what_went_poorly="Rollback took 45 minutes.",
        lessons_learned="Pool limits need a load test.",
    )
    reviews.action_item_create(
        review=review,
        by=bob,
        title="Canary the payments deploy",
        owner=ana,
        priority="P1",
        due_date=date(2026, 12, 9),
        ticket_url="https://tracker.example/PAY-12",
    )
    reviews.action_item_create(review=review, by=bob, title="Load-test pool limits", owner=bob)
    return review


SECTION_TITLES = (
    "Summary",
    "Customer impact",
    "Root cause",
    "Contributing factors",
    "What went well",
    "What went poorly",
    "Lessons learned",
    "Detection and response",
    "Timeline",
    "Action items",
)


def test_the_markdown_export_reads_as_a_document(written_review, ana):
    response = client_for(ana).get(f"/api/reviews/{written_review.pk}/export?format=md")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert 'filename="review-INC-1.md"' in response["Content-Disposition"]
    text = response.content.decode()
    assert text.startswith("# Post-incident review: INC-1 Payments failing")
    for title in SECTION_TITLES:
        assert f"## {title}" in text
    assert "| Time to acknowledge | 4 min |" in text
    assert "| Time to resolve | 1 h 10 min |" in text
    assert "A connection pool limit shipped at 5." in text
    assert "| P1 | Canary the payments deploy | ana | 2026-12-09 |" in text
    assert "Load-test pool limits" in text
    assert "Resolved by ana: rolled back" in text


@needs_pango
def test_the_pdf_export_holds_every_section_and_action_item(written_review, ana):
    response = client_for(ana).get(f"/api/reviews/{written_review.pk}/export?format=pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    text = " ".join(text.split())
    assert "INC-1: Payments failing" in text
    for title in SECTION_TITLES:
        assert title in text, title
    for phrase in (
        "Card payments failed for 70 minutes",
        "A connection pool limit shipped at 5.",
        "Canary the payments deploy",
        "Load-test pool limits",
        "tracker.example/",  # the URL breaks across lines in its table cell
        "1 h 10 min",
    ):
        assert phrase in text, phrase


def test_an_unknown_export_format_is_a_json_400(written_review, ana):
    response = client_for(ana).get(f"/api/reviews/{written_review.pk}/export?format=docx")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["format"]


# --- admin ------------------------------------------------------------------------------


def test_the_admin_links_incident_and_review_and_publishes(written_review):
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    incident_page = admin.get(f"/admin/incidents/incident/{written_review.incident_id}/change/")
    review_url = f"/admin/incidents/postincidentreview/{written_review.pk}/change/"

    assert review_url in incident_page.content.decode()
    page = admin.get(review_url).content.decode()
    assert f"/admin/incidents/incident/{written_review.incident_id}/change/" in page
    assert "Publish this review" in page
    assert "Canary the payments deploy" in page
    assert "?format=pdf" in page

    published = admin.post(f"/admin/incidents/postincidentreview/{written_review.pk}/publish/")
    assert published.status_code == 302
    written_review.refresh_from_db()
    assert written_review.is_published
    page = admin.get(review_url).content.decode()
    assert "Publish this review" not in page
    assert 'name="summary"' not in page  # the text is read-only now


def test_the_admin_opens_a_review_through_the_service(ana):
    incident = open_incident(ServiceFactory(), severity="SEV3")
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    response = admin_post(
        admin,
        "/admin/incidents/postincidentreview/add/",
        {"incident": incident.pk, "facilitator": ana.pk, "due_date": "2026-12-10"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    review = PostIncidentReview.objects.get()
    assert review.facilitator == ana
    assert incident.timeline.filter(kind=TimelineKind.REVIEW).exists()


def test_the_incident_page_shows_its_service_runbooks_and_review_link():
    from incidents.models import Incident
    from tests.factories import make_integration

    service = ServiceFactory(name="Checkout", runbook_url="https://runbooks.example/checkout")
    _, secret = make_integration("webhook", service=service)
    for runbook in ("javascript:alert(1)", "https://wiki.example/high-errors"):
        response = Client().post(
            "/api/integrations/webhook/",
            {"title": "Checkout 5xx", "dedup_key": "5xx", "annotations": {"runbook_url": runbook}},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )
        assert response.status_code == 200, response.content
    incident = Incident.objects.get()
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    page = admin.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()

    assert 'href="https://wiki.example/high-errors"' in page
    assert 'href="https://runbooks.example/checkout"' in page
    assert 'href="javascript:' not in page
    assert f"/admin/incidents/postincidentreview/add/?incident={incident.pk}" in page
    assert f"/admin/catalog/service/{service.pk}/change/" in page
