from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from catalog.models import Service, Team
from incidents.models import Incident, IncidentStatus
from incidents.response_times import incident_response_times

pytestmark = pytest.mark.django_db


def seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_builds_a_realistic_organisation_once():
    output = seed()

    assert Team.objects.count() == 4
    assert Service.objects.count() == 10
    users = get_user_model().objects
    for role in ("Viewer", "Responder", "Manager"):
        assert users.filter(groups__name=role).exists(), role
    incidents = Incident.objects.count()
    assert 100 <= incidents <= 400
    assert "incident history [10/10]" in output
    from incidents.models import Integration

    assert set(Integration.objects.values_list("kind", flat=True)) == {
        "alertmanager",
        "grafana",
        "pagerduty",
        "webhook",
    }
    assert output.count(" secret: vgi_") == Integration.objects.count()
    from incidents.models import EscalationPolicy, Notification
    from oncall.models import ContactMethod, Schedule

    sun = Schedule.objects.get(name="Payments follow-the-sun")
    assert [layer.restrictions[0]["start"] for layer in sun.layers.order_by("id")] == [
        "07:00",
        "19:00",
    ]
    assert Schedule.objects.get(name="Platform primary").time_zone == "Europe/London"
    assert EscalationPolicy.objects.count() == 3
    assert Service.objects.exclude(escalation_rules__severity="").count() == 0
    assert ContactMethod.objects.filter(user__groups__name="Responder").exists()
    assert not Notification.objects.exists()  # the history pages nobody

    # Ninety days of history, mostly closed, some still being worked.
    oldest = Incident.objects.order_by("triggered_at").first().triggered_at
    newest = Incident.objects.order_by("triggered_at").last().triggered_at
    assert (newest - oldest).days >= 80
    assert Incident.objects.filter(status=IncidentStatus.CLOSED).count() > incidents / 2

    # Acknowledged in minutes, resolved in hours, faster for worse severities.
    by_severity = {row["severity"]: row for row in incident_response_times(group_by="severity")}
    assert 60 < by_severity["SEV1"]["mtta_median"] < 15 * 60
    assert by_severity["SEV1"]["mtta_median"] < by_severity["SEV4"]["mtta_median"]
    assert by_severity["SEV1"]["mttr_median"] < by_severity["SEV4"]["mttr_median"]

    # Reviews of the worst incidents in every status, with follow-up work, some late.
    from incidents.models import ActionItem, PostIncidentReview

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
    assert "reviews: " in output
    reviews = PostIncidentReview.objects.count()

    # SLOs with 30 days of data: some met, one at risk, one breached.
    from observability.models import SLO

    states = sorted(slo.evaluations.order_by("-at").first().state for slo in SLO.objects.all())
    assert states == ["at_risk", "breached", "met", "met"]
    assert all(slo.evaluations.count() == 31 for slo in SLO.objects.all())

    again = seed()

    assert PostIncidentReview.objects.count() == reviews
    assert "reviews: kept" in again
    assert Incident.objects.count() == incidents
    assert Team.objects.count() == 4
    assert "incident history: kept" in again
    assert " secret: " not in again
