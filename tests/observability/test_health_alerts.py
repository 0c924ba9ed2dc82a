"""Critical alerting on the platform itself: a health check failing twice in a row opens
one incident (source health) on the platform's own service; a pass resolves it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import DeliveryStatus
from incidents.models import Incident, Notification
from observability.health_alerts import health_checks_run
from observability.models import HealthCheckState
from tests.factories import open_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def beat_alive():
    # As if beat had just run: only the check a test breaks fails.
    from core.health import BEAT_HEARTBEAT
    from core.services import heartbeat_record

    heartbeat_record(name=BEAT_HEARTBEAT)


UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def test_a_check_failing_twice_opens_one_incident_and_a_pass_resolves_it(settings):
    working = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    from django.core.cache import caches

    caches._settings = None
    try:
        first = health_checks_run()
        assert first["cache"] is False
        assert not Incident.objects.filter(source="health").exists()  # once may be a blip

        health_checks_run()
        health_checks_run()
    finally:
        settings.CACHES = working
        caches._settings = None

    incident = Incident.objects.get(source="health")
    assert incident.dedup_key == "health:cache"
    assert incident.service.slug == "vigil"
    assert incident.severity == "SEV2"
    assert "/runbooks/readiness/#cache" in incident.summary
    assert HealthCheckState.objects.get(name="cache").consecutive_failures == 3

    assert health_checks_run()["cache"] is True
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert HealthCheckState.objects.get(name="cache").consecutive_failures == 0


def test_failing_pages_are_a_failing_check(smtp_server):
    from incidents import services
    from incidents.services.escalation import policy_save
    from oncall import services as oncall_services
    from tests.factories import ServiceFactory, TeamFactory, UserFactory

    ana = UserFactory(username="ana")
    oncall_services.contact_method_create(user=ana, kind="email", address="ana@example.com")
    team = TeamFactory()
    policy = policy_save(
        name="p", team=team, steps=[{"delay": timedelta(minutes=5), "users": [ana]}]
    )
    service = ServiceFactory(team=team)
    services.escalation_rule_set(service=service, policy=policy)
    open_incident(service)
    Notification.objects.update(status=DeliveryStatus.FAILED, attempts=7, last_error="SMTP 550")

    health_checks_run()
    health_checks_run()

    incident = Incident.objects.get(source="health")
    assert incident.dedup_key == "health:notifications"
    assert "SMTP 550" in incident.summary

    Notification.objects.update(created_at=timezone.now() - timedelta(hours=1))
    assert health_checks_run()["notifications"] is True
    incident.refresh_from_db()
    assert incident.status == "resolved"


def test_a_beat_outage_opens_an_incident_once_beat_is_back_and_the_next_pass_resolves_it(
    settings,
):
    import time_machine

    from core.health import BEAT_HEARTBEAT
    from core.services import heartbeat_record

    settings.BEAT_HEARTBEAT_MAX_AGE = 120
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert health_checks_run()["beat"] is True
    # A normal minute later: nothing to report.
    with time_machine.travel(start + timedelta(seconds=60), tick=False):
        assert health_checks_run()["beat"] is True
    assert not Incident.objects.filter(source="health").exists()

    # Beat was down for ten minutes (nothing ran), then came back with a fresh heartbeat.
    back = start + timedelta(minutes=11)
    with time_machine.travel(back, tick=False):
        heartbeat_record(name=BEAT_HEARTBEAT)
        outcome = health_checks_run()

    assert outcome["beat"] is False
    incident = Incident.objects.get(source="health", dedup_key="health:beat")
    assert incident.status == "triggered"
    assert "no scheduled check ran for 600 s" in incident.summary
    assert "beat was down" in incident.summary

    with time_machine.travel(back + timedelta(seconds=60), tick=False):
        heartbeat_record(name=BEAT_HEARTBEAT)
        assert health_checks_run()["beat"] is True
    incident.refresh_from_db()
    assert incident.status == "resolved"
