"""Metric sources against a REAL Prometheus (Debian's package, installed by .ci/run): a
gauge with known per-minute values and labels is backfilled with promtool, and what a
source pulls is compared with those values at the step grid; pulls again add nothing,
pulled_through moves on only after a good pull, an unreachable Prometheus is recorded,
and only the sources that are due are pulled."""

import os
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from analytics import services
from analytics.models import MetricSample, MetricSeries, MetricSource
from tests.factories import UserFactory
from tests.support import free_port, prometheus_start

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")

if (PROMETHEUS is None or PROMTOOL is None) and os.environ.get("CI"):
    raise RuntimeError("CI must install prometheus and promtool (see .ci/run)")
pytestmark = [
    pytest.mark.skipif(
        PROMETHEUS is None or PROMTOOL is None,
        reason="prometheus is not installed (.ci/run installs it)",
    ),
    pytest.mark.django_db,
]

# A gauge sampled at every minute from FIRST to LAST, both included.
LAST = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
FIRST = LAST - timedelta(hours=4)
GAUGE = "shop_orders_in_flight"
REGIONS = ("eu", "us")
STEP = 60


def known(region: str, at: datetime) -> float:
    """The gauge's value at ``at`` (a whole minute from FIRST to LAST)."""
    minute = int((at - FIRST).total_seconds() // 60)
    if region == "eu":
        return 10 + (minute % 17) * 0.5
    return 100.0 - (minute % 23) + minute / 1000


def minutes(start: datetime, end: datetime, step: int = STEP) -> list[datetime]:
    """The step grid from start to end, both included."""
    count = int((end - start).total_seconds() // step)
    return [start + timedelta(seconds=step * i) for i in range(count + 1)]


# A second gauge whose only label value is longer than the metric store takes (200).
LONG_GAUGE = "shop_slow_requests"
LONG_PATH = "/search?" + "q" * 250


def openmetrics() -> str:
    lines = [f"# HELP {GAUGE} Orders being placed.", f"# TYPE {GAUGE} gauge"]
    for region in REGIONS:  # each series' points together, in time order
        for at in minutes(FIRST, LAST):
            lines.append(
                f'{GAUGE}{{region="{region}"}} {known(region, at)!r} {int(at.timestamp())}'
            )
    lines += [f"# HELP {LONG_GAUGE} Slow requests.", f"# TYPE {LONG_GAUGE} gauge"]
    for at in minutes(FIRST, LAST):
        lines.append(f'{LONG_GAUGE}{{path="{LONG_PATH}"}} 1 {int(at.timestamp())}')
    return "\n".join(lines) + "\n# EOF\n"


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory):
    url, process = prometheus_start(
        tmp_path_factory.mktemp("prometheus"),
        openmetrics(),
        prometheus=PROMETHEUS,
        promtool=PROMTOOL,
    )
    try:
        yield url
    finally:
        process.stop()


def source_for(url, *, name="orders in flight", metric="orders_in_flight", **fields):
    fields.setdefault("query", GAUGE)
    return services.source_create(
        name=name, metric=metric, prometheus_url=url, step_seconds=STEP, **fields
    )


def set_pulled_through(source, at):
    MetricSource.objects.filter(pk=source.pk).update(pulled_through=at)
    source.refresh_from_db()


def stored(metric: str) -> dict:
    """{(labels as a sorted tuple, time): value} of every sample of ``metric``."""
    return {
        (tuple(sorted(labels.items())), at): value
        for labels, at, value in MetricSample.objects.filter(series__name=metric).values_list(
            "series__labels", "timestamp", "value"
        )
    }


def expected(start: datetime, end: datetime, scale: float = 1.0) -> dict:
    return {
        ((("region", region),), at): known(region, at) * scale
        for region in REGIONS
        for at in minutes(start, end)
    }


# --- pulling ---------------------------------------------------------------------------------


def test_a_pull_stores_the_known_values_at_the_step_grid(prometheus_url):
    source = source_for(prometheus_url)
    set_pulled_through(source, LAST - timedelta(hours=3))
    now = LAST - timedelta(hours=1) + timedelta(seconds=30)  # the grid ends a minute down

    result = services.source_pull(source=source, now=now)

    grid_end = LAST - timedelta(hours=1)
    want = expected(LAST - timedelta(hours=3) + timedelta(minutes=1), grid_end)
    assert result == {"samples": len(want), "error": None}
    assert len(want) == 2 * 120
    assert stored("orders_in_flight") == want
    # The result's labels are kept, its __name__ dropped.
    assert sorted(
        MetricSeries.objects.filter(name="orders_in_flight").values_list("labels", flat=True),
        key=str,
    ) == [{"region": "eu"}, {"region": "us"}]
    source.refresh_from_db()
    assert source.pulled_through == grid_end
    assert source.last_pulled_at == now
    assert source.last_error == ""

    # The same moment again: nothing to ask for, nothing stored, nothing moved.
    again = services.source_pull(source=source, now=now)

    assert again == {"samples": 0, "error": None}
    assert stored("orders_in_flight") == want
    source.refresh_from_db()
    assert source.pulled_through == grid_end

    # Half an hour later: the new half hour only, and pulled_through follows.
    later = LAST - timedelta(minutes=30)
    third = services.source_pull(source=source, now=later)

    assert third == {"samples": 2 * 30, "error": None}
    assert stored("orders_in_flight") == expected(
        LAST - timedelta(hours=3) + timedelta(minutes=1), later
    )
    source.refresh_from_db()
    assert source.pulled_through == later


def test_pulling_a_range_again_changes_nothing(prometheus_url):
    source = source_for(prometheus_url)
    set_pulled_through(source, LAST - timedelta(hours=2))
    services.source_pull(source=source, now=LAST - timedelta(hours=1))
    first = stored("orders_in_flight")
    ids = set(MetricSample.objects.values_list("pk", flat=True))

    set_pulled_through(source, LAST - timedelta(hours=2))  # as if the last pull was lost
    result = services.source_pull(source=source, now=LAST - timedelta(hours=1))

    assert result["samples"] == 2 * 60  # the same points, read again...
    assert stored("orders_in_flight") == first  # ...replace themselves with equal values
    assert set(MetricSample.objects.values_list("pk", flat=True)) == ids
    assert MetricSeries.objects.filter(name="orders_in_flight").count() == 2


def test_long_ranges_are_pulled_in_chunks_without_gaps_or_overlaps(prometheus_url, settings):
    settings.METRIC_SOURCE_POINTS_PER_QUERY = 7  # 8 points a query
    source = source_for(prometheus_url)
    set_pulled_through(source, FIRST)

    result = services.source_pull(source=source, now=LAST)

    want = expected(FIRST + timedelta(minutes=1), LAST)
    assert result == {"samples": len(want), "error": None}
    assert stored("orders_in_flight") == want


def test_a_query_s_own_labels_and_values(prometheus_url):
    source = source_for(
        prometheus_url,
        name="doubled",
        metric="orders_doubled",
        query=f"sum by (region) ({GAUGE}) * 2",
    )
    set_pulled_through(source, LAST - timedelta(minutes=20))

    services.source_pull(source=source, now=LAST)

    assert stored("orders_doubled") == expected(LAST - timedelta(minutes=19), LAST, scale=2.0)


def test_a_first_pull_reaches_back_a_day(prometheus_url):
    source = source_for(prometheus_url)
    now = LAST - timedelta(hours=1)

    services.source_pull(source=source, now=now)

    # A day back is before the data: Prometheus answers from its first point.
    assert stored("orders_in_flight") == expected(FIRST, now)


# --- failures ----------------------------------------------------------------------------------


def test_an_unreachable_prometheus_is_recorded_and_pulled_through_stays():
    source = source_for(f"http://127.0.0.1:{free_port()}")  # nothing listens there
    set_pulled_through(source, LAST - timedelta(hours=2))
    now = LAST - timedelta(hours=1)

    result = services.source_pull(source=source, now=now)

    assert result["samples"] == 0
    assert "unreachable" in result["error"]
    source.refresh_from_db()
    assert "unreachable" in source.last_error
    assert source.pulled_through == LAST - timedelta(hours=2)
    assert source.last_pulled_at == now
    assert not MetricSample.objects.exists()


def test_a_refused_query_is_recorded_and_a_good_pull_clears_it(prometheus_url):
    source = source_for(prometheus_url, query="sum(rate(")
    set_pulled_through(source, LAST - timedelta(hours=2))

    result = services.source_pull(source=source, now=LAST - timedelta(hours=1))

    assert result["samples"] == 0
    assert "400" in result["error"]
    source.refresh_from_db()
    assert source.last_error == result["error"]
    assert source.pulled_through == LAST - timedelta(hours=2)

    services.source_update(source=source, query=GAUGE)
    fixed = services.source_pull(source=source, now=LAST - timedelta(hours=1))

    assert fixed == {"samples": 2 * 60, "error": None}
    source.refresh_from_db()
    assert source.last_error == ""
    assert source.pulled_through == LAST - timedelta(hours=1)


def test_results_the_store_refuses_are_recorded_not_raised(prometheus_url):
    # BUG (analytics/services/sources.py, source_pull(), lines 107-110): the rows are
    # stored with samples_record(partial=True), which still raises InvalidInput when
    # every row of a batch is invalid. Here the query's only series has a label value of
    # 258 characters (the store takes 200): instead of answering {"samples": 0, "error":
    # ...} and recording last_error, source_pull raises InvalidInput, and neither
    # last_pulled_at nor last_error is written.
    source = source_for(prometheus_url, name="slow", metric="slow_requests", query=LONG_GAUGE)
    set_pulled_through(source, LAST - timedelta(minutes=10))
    now = LAST

    result = services.source_pull(source=source, now=now)

    assert result["samples"] == 0
    assert result["error"]
    source.refresh_from_db()
    assert source.last_error == result["error"]
    assert source.last_pulled_at == now


def test_one_source_s_refused_results_do_not_stop_the_others(prometheus_url):
    # The same bug seen from beat: sources_pull_due() pulls the due sources one after
    # another with no guard, so the exception of the first (by name) stops the run and
    # the source after it is never pulled, on every run, while the bad one stays due.
    now = LAST
    source_for(prometheus_url, name="a slow", metric="slow_requests", query=LONG_GAUGE)
    good = source_for(prometheus_url, name="b orders", metric="orders_in_flight")
    MetricSource.objects.update(pulled_through=now - timedelta(minutes=10))

    outcome = services.sources_pull_due(now=now)

    assert outcome["b orders"] == {"samples": 2 * 10, "error": None}
    assert outcome["a slow"]["error"]
    good.refresh_from_db()
    assert good.pulled_through == now


# --- what is due -------------------------------------------------------------------------------


def test_only_enabled_sources_whose_interval_has_passed_are_pulled(prometheus_url):
    now = LAST - timedelta(hours=1)
    never = source_for(prometheus_url, name="never pulled", metric="m_never")
    elapsed = source_for(prometheus_url, name="interval passed", metric="m_elapsed")
    recent = source_for(prometheus_url, name="pulled recently", metric="m_recent")
    disabled = source_for(prometheus_url, name="disabled", metric="m_disabled", enabled=False)
    hourly = source_for(prometheus_url, name="hourly", metric="m_hourly", every_minutes=60)
    for source, ago in ((elapsed, 5), (recent, 4), (hourly, 59)):
        MetricSource.objects.filter(pk=source.pk).update(
            last_pulled_at=now - timedelta(minutes=ago),
            pulled_through=now - timedelta(minutes=ago + 10),
        )

    outcome = services.sources_pull_due(now=now)

    assert set(outcome) == {"never pulled", "interval passed"}
    assert all(result["error"] is None for result in outcome.values())
    assert stored("m_never") == expected(FIRST, now)
    assert stored("m_elapsed") == expected(now - timedelta(minutes=14), now)
    for source, last_pulled in (
        (recent, now - timedelta(minutes=4)),
        (hourly, now - timedelta(minutes=59)),
        (disabled, None),
    ):
        assert not MetricSample.objects.filter(series__name=source.metric).exists()
        source.refresh_from_db()
        assert source.last_pulled_at == last_pulled, source.name
    never.refresh_from_db()
    elapsed.refresh_from_db()
    assert never.last_pulled_at == elapsed.last_pulled_at == now
    assert never.pulled_through == elapsed.pulled_through == now


# --- the API ----------------------------------------------------------------------------


def test_managers_configure_sources_through_the_api_and_viewers_read_them(db):
    manager, viewer = APIClient(), APIClient()
    manager.force_authenticate(UserFactory(roles=["Manager"]))
    viewer.force_authenticate(UserFactory(roles=["Viewer"]))
    body = {"name": "Orders", "query": "sum(orders)", "metric": "orders", "every_minutes": 5}

    created = manager.post("/api/metrics/sources", body, format="json")
    refused = viewer.post("/api/metrics/sources", {**body, "name": "Other"}, format="json")
    bad = manager.post("/api/metrics/sources", {**body, "metric": "9 bad"}, format="json")

    assert created.status_code == 201, created.content
    assert refused.status_code == 403
    assert bad.status_code == 400
    assert "metric" in bad.json()["error"]["fields"]
    source = MetricSource.objects.get()
    assert (source.name, source.query, source.every_minutes) == ("Orders", "sum(orders)", 5)
    listed = viewer.get("/api/metrics/sources").json()["results"]
    assert [row["name"] for row in listed] == ["Orders"]

    changed = manager.patch(f"/api/metrics/sources/{source.pk}", {"enabled": False}, format="json")
    assert changed.status_code == 200
    assert changed.json()["enabled"] is False


def test_pull_now_answers_the_failure_and_keeps_it_on_the_source(db):
    manager = APIClient()
    manager.force_authenticate(UserFactory(roles=["Manager"]))
    source = services.source_create(
        name="Nowhere",
        query="up",
        metric="up",
        prometheus_url=f"http://127.0.0.1:{free_port()}",
    )

    answer = manager.post(f"/api/metrics/sources/{source.pk}/pull")

    assert answer.status_code == 200
    assert answer.json()["samples"] == 0
    assert "unreachable" in answer.json()["error"]
    source.refresh_from_db()
    assert "unreachable" in source.last_error
    assert source.pulled_through is None
