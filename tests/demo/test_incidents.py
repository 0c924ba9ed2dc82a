"""The incidents demo (incidents/demo*.py): a realistic organisation with ninety days of
history behind it, received, paged and reviewed as the platform would have, seeded once."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F, Max, Min
from django.utils import timezone

from catalog.models import Service, Team
from core.models import DeliveryStatus
from incidents.ingest.alertmanager import label_fingerprint
from incidents.models import (
    ActionItem,
    Alert,
    EscalationPolicy,
    Incident,
    IncidentStatus,
    Integration,
    Notification,
    PostIncidentReview,
    ServiceEscalationRule,
    TimelineEntry,
)
from incidents.response_times import incident_response_times
from incidents.services.alerts import dedup_key_for
from incidents.services.notifications import notifications_pending_since
from observability.models import SLO
from oncall import selectors as oncall_selectors
from oncall.models import ContactMethod, Schedule

pytestmark = pytest.mark.django_db


def seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_a_realistic_organisation(demo):
    assert Team.objects.count() == 4
    assert Service.objects.count() == 10
    users = get_user_model().objects
    for role in ("Viewer", "Responder", "Manager"):
        assert users.filter(groups__name=role).exists(), role
    assert set(Integration.objects.values_list("kind", flat=True)) == {
        "alertmanager",
        "grafana",
        "pagerduty",
        "webhook",
    }
    assert demo.output.count(" secret: vgi_") == Integration.objects.count()
    sun = Schedule.objects.get(name="Payments follow-the-sun")
    assert [layer.restrictions[0]["start"] for layer in sun.layers.order_by("id")] == [
        "07:00",
        "19:00",
    ]
    assert Schedule.objects.get(name="Platform primary").time_zone == "Europe/London"
    assert EscalationPolicy.objects.count() == 5
    assert Service.objects.exclude(escalation_rules__severity="").count() == 0
    assert ContactMethod.objects.filter(user__groups__name="Responder").exists()


def test_ninety_days_of_history_mostly_closed_some_still_being_worked(demo):
    incidents = Incident.objects.count()
    assert 100 <= incidents <= 400
    assert "incident history [10/10]" in demo.output
    oldest = Incident.objects.order_by("triggered_at").first().triggered_at
    newest = Incident.objects.order_by("triggered_at").last().triggered_at
    assert (newest - oldest).days >= 80
    assert Incident.objects.filter(status=IncidentStatus.CLOSED).count() > incidents / 2


def test_acknowledged_in_minutes_resolved_in_hours_faster_for_worse_severities(demo):
    by_severity = {row["severity"]: row for row in incident_response_times(group_by="severity")}
    assert 60 < by_severity["SEV1"]["mtta_median"] < 15 * 60
    assert by_severity["SEV1"]["mtta_median"] < by_severity["SEV4"]["mtta_median"]
    assert by_severity["SEV1"]["mttr_median"] < by_severity["SEV4"]["mttr_median"]


def test_reviews_of_the_worst_incidents_in_every_status_with_follow_up_work_some_late(demo):
    assert set(PostIncidentReview.objects.values_list("status", flat=True)) == {
        "draft",
        "in_review",
        "published",
    }
    assert not PostIncidentReview.objects.exclude(incident__severity__in=["SEV1", "SEV2"]).exists()
    assert ActionItem.objects.filter(status="done").exists()
    assert ActionItem.objects.filter(
        status__in=["open", "in_progress"], due_date__lt=timezone.localdate()
    ).exists()
    assert "reviews: " in demo.output


def test_slos_with_30_days_of_data_some_met_one_at_risk_one_breached(demo):
    states = sorted(slo.evaluations.order_by("-at").first().state for slo in SLO.objects.all())
    assert states == ["at_risk", "breached", "met", "met"]
    assert all(slo.evaluations.count() == 31 for slo in SLO.objects.all())


def test_every_alert_sourced_incident_opened_from_its_services_integration(demo):
    # Firing alerts received when it triggered, resolved ones when it was resolved.
    alerting = Incident.objects.filter(source="alert")
    assert alerting.count() >= 30
    assert not alerting.filter(alerts__isnull=True).exists()
    assert not Incident.objects.exclude(source="alert").filter(alerts__isnull=False).exists()
    assert not Alert.objects.exclude(integration__service=F("incident__service")).exists()
    firsts = alerting.annotate(first=Min("alerts__received_at"))
    assert not firsts.exclude(first=F("triggered_at")).exists()
    assert not Alert.objects.filter(received_at__lt=F("incident__triggered_at")).exists()
    resolved = Alert.objects.filter(status="resolved")
    assert not resolved.exclude(received_at=F("incident__resolved_at")).exists()
    assert (
        not alerting.filter(resolved_at__isnull=False)
        .exclude(pk__in=resolved.values("incident"))
        .exists()
    )
    assert not alerting.filter(resolved_at__isnull=True, alerts__status="resolved").exists()
    firing = Alert.objects.filter(status="firing")
    assert not firing.filter(received_at__gt=F("incident__resolved_at")).exists()
    # Fingerprints and group keys as ingestion computes them.
    for alert in Alert.objects.select_related("incident", "integration"):
        assert alert.incident.dedup_key == dedup_key_for(alert.group_key)
        if alert.integration.kind in ("alertmanager", "grafana"):
            assert alert.fingerprint == label_fingerprint(alert.labels)
            assert {"alertname", "severity", "job", "instance"} <= set(alert.labels)
    # Some incidents had several alerts firing at once.
    assert (
        Alert.objects.filter(status="firing").values("incident").distinct().count()
        < Alert.objects.filter(status="firing").count()
    )

    # Every integration has received something, last when its latest alert arrived.
    for integration in Integration.objects.all():
        latest = integration.alerts.aggregate(at=Max("received_at"))["at"]
        assert latest is not None, integration.name
        assert integration.last_received_at == latest


def test_every_page_was_sent_at_its_time_to_whoever_its_level_paged(demo):
    # Each service is paged by its own team's policy.
    rules = ServiceEscalationRule.objects.select_related("service", "policy")
    assert rules.count() == 12
    assert all(rule.policy.team_id == rule.service.team_id for rule in rules)

    # None is pending, so no worker and no sweep sends anything.
    pages = Notification.objects.select_related("incident", "contact_method")
    assert pages.count() >= Incident.objects.count()
    assert set(pages.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert notifications_pending_since(older_than=timedelta(0)) == []
    assert not pages.filter(sent_at__lt=F("created_at")).exists()
    assert not pages.filter(sent_at__gt=F("created_at") + timedelta(minutes=1)).exists()
    assert not pages.exclude(contact_method__user=F("user")).exists()
    assert (
        not pages.filter(incident__acknowledged_at__isnull=True)
        .exclude(incident__status="triggered")
        .exists()
    )
    assert not pages.filter(created_at__gt=F("incident__acknowledged_at")).exists()
    assert demo.mail == []
    for incident in Incident.objects.prefetch_related("notifications"):
        steps = incident.escalation["steps"]
        first = [p for p in incident.notifications.all() if (p.level, p.repeat) == (0, 0)]
        assert [p.created_at for p in first] == [incident.triggered_at], incident
        (schedule,) = steps[0]["schedules"]
        on_call = oncall_selectors.oncall_user_id(
            oncall_selectors.schedule_list().get(pk=schedule), incident.triggered_at
        )
        assert [p.user_id for p in first] == [on_call]
        # The second level was paged exactly when nobody had acknowledged in time.
        answered = incident.acknowledged_at or timezone.now()
        waited = (answered - incident.triggered_at).total_seconds()
        second = [p for p in incident.notifications.all() if (p.level, p.repeat) == (1, 0)]
        assert bool(second) == (len(steps) > 1 and waited > steps[0]["delay"]), incident
        if incident.status != IncidentStatus.TRIGGERED:
            assert incident.escalation_next_at is None
    assert Notification.objects.filter(level=1).exists()
    sends = TimelineEntry.objects.filter(kind="notification")
    assert sorted(sends.values_list("data__notification", flat=True)) == sorted(
        pages.values_list("pk", flat=True)
    )


def test_seeding_again_keeps_the_organisation_and_its_history(demo):
    reviews = PostIncidentReview.objects.count()
    incidents = Incident.objects.count()
    stored = {
        model.__name__: model.objects.count()
        for model in (Alert, Notification, TimelineEntry, EscalationPolicy, Schedule)
    }
    received = dict(Integration.objects.values_list("pk", "last_received_at"))

    again = seed()

    assert PostIncidentReview.objects.count() == reviews
    assert "reviews: kept" in again
    assert Incident.objects.count() == incidents
    assert Team.objects.count() == 4
    assert "incident history: kept" in again
    assert " secret: " not in again
    assert "pages: kept" in again
    assert stored == {
        model.__name__: model.objects.count()
        for model in (Alert, Notification, TimelineEntry, EscalationPolicy, Schedule)
    }
    assert dict(Integration.objects.values_list("pk", "last_received_at")) == received
