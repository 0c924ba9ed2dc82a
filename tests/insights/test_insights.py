"""The insight engine and its first rules: each rule on data that should and should not
trigger it, and a generation's life cycle (created, updated, dismissed until it changes,
resolved when it no longer holds, reopened when it comes back), through the API too."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from incidents import services as incident_services
from incidents.models import ActionItemStatus
from incidents.services import reviews as review_services
from insights import services
from insights.models import Insight, InsightStatus
from insights.rules import overdue_action_items, unowned_services, unreviewed_incidents
from tests.factories import ServiceFactory, UserFactory, make_integration, open_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(roles=["Manager"])


def resolved(service, manager, *, severity="SEV1", days_ago=10):
    now = timezone.now()
    incident = open_incident(service, severity=severity, at=now - timedelta(days=days_ago, hours=1))
    return incident_services.incident_resolve(
        incident=incident, by=manager, at=now - timedelta(days=days_ago)
    )


def an_owned_service():
    """A service with a policy, an enabled integration and a runbook: nothing to say."""
    service = ServiceFactory(runbook_url="https://runbooks.example.com/checkout")
    policy = incident_services.policy_save(
        name=f"{service.slug} policy", team=service.team, steps=[]
    )
    incident_services.escalation_rule_set(service=service, policy=policy)
    make_integration("webhook", service=service)
    return service


# --- rules ------------------------------------------------------------------------------


def test_overdue_action_items_are_counted_per_service_with_the_oldest(manager):
    service = an_owned_service()
    review = resolved(service, manager).review
    today = timezone.localdate()
    for days_late in (3, 40):
        review_services.action_item_create(
            review=review,
            by=manager,
            title=f"late {days_late}",
            due_date=today - timedelta(days=days_late),
        )
    review_services.action_item_create(
        review=review, by=manager, title="not due", due_date=today + timedelta(days=3)
    )
    review_services.action_item_create(
        review=review,
        by=manager,
        title="done",
        status=ActionItemStatus.DONE,
        due_date=today - timedelta(days=9),
    )

    [finding] = overdue_action_items.find(timezone.now())

    assert finding.subject == f"service:{service.slug}"
    assert finding.figures == {"overdue": 2, "oldest_days_late": 40}
    assert finding.severity == "critical"  # 30 days late or more
    assert finding.service_id == service.pk
    assert any("/api/action-items?overdue=true" in url for _, url in finding.evidence)


def test_no_overdue_items_no_finding(manager):
    review = resolved(an_owned_service(), manager).review
    review_services.action_item_create(
        review=review, by=manager, title="soon", due_date=timezone.localdate() + timedelta(days=1)
    )

    assert overdue_action_items.find(timezone.now()) == []


def test_a_sev1_without_a_published_review_after_a_week_is_a_finding(manager):
    service = an_owned_service()
    old = resolved(service, manager, days_ago=10)
    resolved(service, manager, days_ago=2)  # still within the week it takes to write one
    resolved(service, manager, severity="SEV3", days_ago=10)  # not a reviewed severity

    [finding] = unreviewed_incidents.find(timezone.now())

    assert finding.subject == f"incident:{old.pk}"
    assert old.reference in finding.title
    assert finding.figures == {"days_since_resolved": 10}
    assert finding.severity == "warning"


def test_a_service_that_cannot_page_anyone_is_critical_and_an_owned_one_is_not(manager):
    bare = ServiceFactory(name="Bare", runbook_url="")
    an_owned_service()

    [finding] = unowned_services.find(timezone.now())

    assert finding.subject == f"service:{bare.slug}"
    assert finding.title == "Bare has no escalation policy and no integration and no runbook"
    assert finding.severity == "critical"
    assert finding.figures["missing"] == ["an escalation policy", "an integration", "a runbook"]


# --- the life of an insight ----------------------------------------------------------------


def test_generation_creates_updates_keeps_dismissed_reopens_on_change_and_resolves(manager):
    service = an_owned_service()
    review = resolved(service, manager).review
    review_insights = {"rule": "overdue_action_items"}
    late = review_services.action_item_create(
        review=review, by=manager, title="late", due_date=timezone.localdate() - timedelta(days=5)
    )

    first = services.insights_generate()
    insight = Insight.objects.get(**review_insights)
    assert first["created"] >= 1
    assert insight.pk in first["insights"]
    assert insight.status == InsightStatus.OPEN

    again = services.insights_generate()
    assert again["created"] == 0
    assert again["updated"] == 0
    assert Insight.objects.filter(**review_insights).count() == 1

    services.insight_dismiss(insight=insight, by=manager)
    services.insights_generate()
    insight.refresh_from_db()
    assert insight.status == InsightStatus.DISMISSED  # nothing changed: stays dismissed

    review_services.action_item_create(
        review=review, by=manager, title="later", due_date=timezone.localdate() - timedelta(days=1)
    )
    changed = services.insights_generate()
    insight.refresh_from_db()
    assert insight.status == InsightStatus.OPEN  # it says something new
    assert insight.figures["overdue"] == 2
    assert changed["updated"] == 1

    for item in review.action_items.all():
        review_services.action_item_update(item=item, by=manager, status=ActionItemStatus.DONE)
    gone = services.insights_generate()
    insight.refresh_from_db()
    assert insight.status == InsightStatus.RESOLVED
    assert insight.resolved_at is not None
    assert gone["resolved"] >= 1
    assert late.pk  # (the item itself stays; only the finding went)


# --- the API ------------------------------------------------------------------------------


def test_the_api_lists_filters_generates_and_dismisses(manager, django_assert_max_num_queries):
    for _ in range(3):
        ServiceFactory(runbook_url="")
    responder, viewer = APIClient(), APIClient()
    responder.force_authenticate(UserFactory(roles=["Responder"]))
    viewer.force_authenticate(UserFactory(roles=["Viewer"]))

    assert viewer.post("/api/insights/generate").status_code == 403
    generated = responder.post("/api/insights/generate")
    assert generated.status_code == 200
    assert sorted(generated.json()) == ["created", "insights", "resolved", "updated"]
    assert generated.json()["created"] == 3

    with django_assert_max_num_queries(4):
        listed = viewer.get("/api/insights/?rule=unowned_services&status=open&severity=critical")
    rows = listed.json()["results"]
    assert len(rows) == 3
    assert rows[0]["evidence"][0]["url"].startswith("/admin/catalog/service/")
    one = viewer.get(f"/api/insights/?service={rows[0]['service']}").json()["results"]
    assert [row["id"] for row in one] == [rows[0]["id"]]

    assert viewer.post(f"/api/insights/{rows[0]['id']}/dismiss").status_code == 403
    dismissed = responder.post(f"/api/insights/{rows[0]['id']}/dismiss")
    assert dismissed.json()["status"] == "dismissed"
    assert viewer.get("/api/insights/?status=dismissed").json()["count"] == 1
    assert viewer.get("/api/insights/?severity=nonsense").status_code == 400
