"""The platform's own SLOs: created by migrate, fed by the API's own traffic counted in
memory and flushed once a minute per process, adding up across processes."""

import pytest
from django.core.management import call_command

from observability.models import SLO, SLOBucket
from observability.platform import (
    AVAILABILITY,
    LATENCY,
    TrafficCounter,
    platform_slos_install,
    traffic,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform(settings):
    settings.PLATFORM_SLOS = True
    platform_slos_install()
    traffic.take(everything=True)  # nothing left over from other tests' requests
    return {slo.name: slo for slo in SLO.objects.filter(service__slug="vigil")}


def buckets(slo):
    return list(SLOBucket.objects.filter(slo=slo).values_list("minute", "good", "total"))


def test_migrate_creates_them_once(settings):
    settings.PLATFORM_SLOS = True
    call_command("migrate", verbosity=0)
    call_command("migrate", verbosity=0)

    slos = SLO.objects.filter(service__slug="vigil").order_by("name")
    assert [(slo.name, str(slo.target), slo.sli_kind) for slo in slos] == [
        (AVAILABILITY, "99.9000", "ratio"),
        (LATENCY, "99.0000", "latency"),
    ]
    assert slos[1].latency_threshold_ms == 500


def test_off_by_setting_nothing_is_created(settings):
    settings.PLATFORM_SLOS = False
    assert platform_slos_install() == []
    assert not SLO.objects.exists()


def test_api_requests_are_counted_and_flushed_per_minute(platform, admin_client):
    for _ in range(3):
        assert admin_client.get("/api/incidents").status_code == 200
    assert admin_client.get("/api/no-such-thing").status_code == 404  # not a 5xx: good
    admin_client.get("/admin/")  # not API traffic

    assert not SLOBucket.objects.exists()  # nothing written per request
    assert traffic.flush(everything=True) == 1

    [(_, good, total)] = buckets(platform[AVAILABILITY])
    assert (good, total) == (4, 4)
    [(_, fast, total)] = buckets(platform[LATENCY])
    assert total == 4
    assert 0 <= fast <= 4


def test_errors_and_slow_answers_are_bad_and_processes_add_up(platform):
    minute_start = 1_780_000_020 * 60  # a fixed minute
    web_1, web_2 = TrafficCounter(), TrafficCounter()
    web_1.record(status=200, seconds=0.05, now=minute_start + 1)
    web_1.record(status=503, seconds=0.05, now=minute_start + 2)
    web_2.record(status=200, seconds=0.9, now=minute_start + 3)
    web_2.record(status=200, seconds=0.1, now=minute_start + 4)

    assert web_1.record(status=200, seconds=0.1, now=minute_start + 61)  # next minute: flush
    web_1.flush(everything=True)
    web_2.flush(everything=True)

    end = minute_start // 60 + 1
    # The minute ending at ``end``: 4 answers, one 5xx, one slow; then one good answer.
    assert sorted(buckets(platform[AVAILABILITY])) == [(end, 3, 4), (end + 1, 1, 1)]
    assert sorted(buckets(platform[LATENCY])) == [(end, 3, 4), (end + 1, 1, 1)]
