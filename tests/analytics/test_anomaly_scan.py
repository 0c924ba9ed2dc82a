"""Anomaly scans, through the service and the API: a seasonal hourly series with spikes
is scanned once (every finding stored once), again (nothing new), and after new samples
arrive (only they are judged); high and critical anomalies that are bad news for the
series (a fall when higher is better, a rise otherwise) open one incident per series and
add to it afterwards; low and medium ones, and good news, open nothing. The list's
filters and query count, acknowledging, the roles, and the beat task; worker memory.

Where a number is checked it is computed here: the rolling z-scores by a plain loop
(mean and sample standard deviation of the 24 values before each point), the "true
baseline" from the function the series was generated with."""

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from rest_framework.test import APIClient

from analytics import periodic, services, tasks
from analytics.models import Anomaly, AnomalyScan, MetricSample, MetricSeries
from catalog.models import Service
from core.periodic import default_periodic_tasks
from incidents.models import Incident, TimelineEntry
from tests.factories import ServiceFactory, UserFactory, open_incident

pytestmark = pytest.mark.django_db

SCAN = "/api/analytics/anomalies/scan"
LIST = "/api/production/anomalies"
SAMPLES = "/api/metrics/samples"
HOUR = 3600
START = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday
WEEKS = 3
N = WEEKS * 7 * 24
OLD_SPIKE = 10 * 24 + 14  # an hour in the middle of the second week: -60
NEW_SPIKE = N - 1  # the newest sample: -65 (orders all but stop)
GAP = 18 * 24 + 3  # no sample here at first; a late sample fills it in later


def client_for(role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(roles=[role]))
    return client


@pytest.fixture
def manager():
    return client_for("Manager")


@pytest.fixture
def responder():
    return client_for("Responder")


@pytest.fixture
def viewer():
    return client_for("Viewer")


def post(client, metric, samples, labels=None):
    rows = [
        {"metric": metric, "labels": labels or {}, "timestamp": at, "value": value}
        for at, value in samples
    ]
    response = client.post(SAMPLES, {"samples": rows}, format="json")
    assert response.status_code == 201, response.json()


def at(index: int) -> int:
    return int(START.timestamp()) + index * HOUR


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat().replace("+00:00", "Z")


def baseline(index: int) -> float:
    """The true value before noise: a daily cycle of ±20 around 100, 10 lower at weekends."""
    seconds = at(index)
    hour = seconds // HOUR % 24
    weekday = (seconds // 86400 + 3) % 7  # 1970-01-01 was a Thursday
    return 100 + 20 * math.sin(2 * math.pi * (hour - 6) / 24) - (10 if weekday >= 5 else 0)


def seasonal(indices, seed=3) -> list[tuple[int, float]]:
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 2, max(indices) + 1)
    return [(at(i), round(baseline(i) + noise[i], 3)) for i in indices]


def by_key(anomalies) -> dict:
    return {(row["timestamp"], row["method"]): row for row in anomalies}


@pytest.fixture
def shop(manager):
    """Three weeks of hourly orders with a spike down in week two and one at the end (a
    fall of orders is bad news: they page), and one hour missing (filled in later)."""
    samples = seasonal([i for i in range(N) if i != GAP])
    values = dict(samples)
    values[at(OLD_SPIKE)] -= 60
    values[at(NEW_SPIKE)] -= 65
    post(manager, "orders", sorted(values.items()))
    return values


def scan_mark(series):
    return AnomalyScan.objects.get(series=series).stored_through


def newest_stored(series):
    return MetricSample.objects.filter(series=series).latest("stored_at").stored_at


# --- the seasonal series through the API -----------------------------------------------


def test_scan_finds_the_spikes_stores_each_once_and_pages_once(manager, shop):
    series = MetricSeries.objects.get(name="orders")

    first = manager.post(SCAN, {}, format="json")

    assert first.status_code == 200, first.json()
    body = first.json()
    assert body["series_scanned"] == 1
    found = by_key(body["anomalies"])
    # Both spikes, the old one included (it was stored before the first scan), by the
    # seasonal method with the value posted and the true baseline expected.
    for index in (OLD_SPIKE, NEW_SPIKE):
        row = found[(iso(at(index)), "robust_z")]
        assert row["value"] == shop[at(index)]
        assert abs(row["expected"] - baseline(index)) < 3, (row, baseline(index))
        assert row["severity"] == "critical"
        assert row["score"] >= 8
        assert row["metric"] == "orders"
        assert row["labels"] == {}
        assert row["series"] == series.pk
    # Every method sees the newest spike; rolling_z expects the mean of the 24 before.
    newest = {method for (when, method) in found if when == iso(at(NEW_SPIKE))}
    assert newest == {"rolling_z", "robust_z", "isolation_forest"}
    previous = [shop[at(i)] for i in range(NEW_SPIKE - 24, NEW_SPIKE)]
    rolling = found[(iso(at(NEW_SPIKE)), "rolling_z")]
    assert rolling["expected"] == pytest.approx(sum(previous) / 24, rel=1e-12)
    forest = found[(iso(at(NEW_SPIKE)), "isolation_forest")]
    assert abs(forest["expected"] - baseline(NEW_SPIKE)) < 3

    # Stored once each, as answered.
    stored = Anomaly.objects.filter(series=series)
    assert stored.count() == len(body["anomalies"])
    assert {(iso(a.timestamp.timestamp()), a.method) for a in stored} == set(found)
    assert scan_mark(series) == newest_stored(series)

    # One incident for the series, on the business-metrics service (it has none), SEV2
    # for a critical anomaly; every high and critical anomaly points at it.
    (incident,) = Incident.objects.all()
    business = Service.objects.get(slug="business-metrics")
    assert incident.service == business
    assert (incident.source, incident.dedup_key, incident.severity) == (
        "anomaly",
        f"anomaly:{series.pk}",
        "SEV2",
    )
    assert "orders" in incident.title
    for row in body["anomalies"]:
        if row["severity"] in ("high", "critical"):
            assert row["incident"] == incident.pk, row
        else:
            assert row["incident"] is None, row

    # Again: nothing new, nothing stored, nothing paged.
    again = manager.post(SCAN, {}, format="json").json()
    assert again == {"series_scanned": 0, "anomalies": []}
    assert Anomaly.objects.count() == len(body["anomalies"])
    assert Incident.objects.count() == 1


def test_samples_posted_later_are_scanned_and_only_they(manager, shop):
    series = MetricSeries.objects.get(name="orders")
    first = manager.post(SCAN, {}, format="json").json()
    mark = scan_mark(series)
    (incident,) = Incident.objects.all()
    notes_before = TimelineEntry.objects.filter(incident=incident, kind="note").count()
    # Six more hours with a spike down in the third, and the missing hour, late, down too.
    later = dict(seasonal([*range(N, N + 6), GAP]))
    later[at(N + 2)] -= 70
    later[at(GAP)] -= 70
    post(manager, "orders", sorted(later.items()))

    second = manager.post(SCAN, {"metric": "orders"}, format="json")

    assert second.status_code == 200, second.json()
    body = second.json()
    assert body["series_scanned"] == 1
    assert body["anomalies"]
    new_times = {iso(when) for when in later}
    assert {row["timestamp"] for row in body["anomalies"]} <= new_times
    found = by_key(body["anomalies"])
    for index in (N + 2, GAP):
        row = found[(iso(at(index)), "robust_z")]
        assert row["value"] == later[at(index)]
        assert abs(row["expected"] - baseline(index)) < 3
        assert row["severity"] in ("high", "critical")
    # Nothing of the first scan again; the mark moved on to the newest sample.
    assert not set(found) & set(by_key(first["anomalies"]))
    assert scan_mark(series) > mark
    assert scan_mark(series) == newest_stored(series)
    assert Anomaly.objects.count() == len(first["anomalies"]) + len(body["anomalies"])
    # The open incident got a note; no second incident.
    assert Incident.objects.count() == 1
    notes = TimelineEntry.objects.filter(incident=incident, kind="note")
    assert notes.count() == notes_before + 1
    note = notes.latest("id").message
    assert "Anomalies detected" in note
    assert datetime.fromtimestamp(at(N + 2), tz=UTC).strftime("%Y-%m-%d %H:%M") in note
    assert all(
        row["incident"] == incident.pk
        for row in body["anomalies"]
        if row["severity"] in ("high", "critical")
    )


def test_noise_alone_pages_nobody(manager):
    # BUG (analytics/stats/anomaly.py, _forest_scores(), paged by
    # analytics/services/anomalies.py, anomalies_scan()): on seasonal series of pure
    # Gaussian noise, with no spike at all, the isolation forest scores an ordinary point
    # "high" and a SEV3 incident is opened. At the time of writing: series noise_0, the
    # point at 2026-10-24 22:00, 3.9 standard deviations of noise off its baseline, scored
    # 6.8 to 7.4 "sigmas" by the versions seen (robust_z and rolling_z page on none). The
    # bands promise that from 6 sigmas on "chance is no longer an explanation" (p < 2e-9); six
    # series of 504 points should page nobody. (analytics/stats/anomaly.py was being
    # recalibrated while this was written: earlier versions paged on seeds 0, 3 and 5.)
    for seed in range(6):
        post(manager, f"noise_{seed}", seasonal(range(N), seed=seed))

    result = services.anomalies_scan()

    paging = sorted(
        (
            a.series.name,
            a.timestamp.isoformat(),
            a.method,
            a.severity,
            round(a.score, 1),
            # how far the point really is from its baseline, in sigmas of the noise (2)
            round((a.value - baseline(int((a.timestamp - START).total_seconds()) // HOUR)) / 2, 1),
        )
        for a in result["anomalies"]
        if a.severity in ("high", "critical")
    )
    assert paging == [], paging
    assert not Incident.objects.exists()


def test_a_scan_of_one_metric_leaves_the_others_for_later(manager, shop):
    post(manager, "signups", seasonal(range(48), seed=9))
    signups = MetricSeries.objects.get(name="signups")

    body = manager.post(SCAN, {"metric": "orders"}, format="json").json()

    assert body["series_scanned"] == 1
    assert {row["metric"] for row in body["anomalies"]} == {"orders"}
    assert not AnomalyScan.objects.filter(series=signups, stored_through__isnull=False).exists()
    assert services.anomalies_scan()["series_scanned"] == 1  # signups, now
    assert scan_mark(signups) == newest_stored(signups)


def test_a_value_replaced_after_a_scan_is_scanned(manager, settings):
    # BUG (analytics/services/anomalies.py, _new_samples() line 45 with
    # analytics/services/metrics.py _store() line 167): a scan judges the samples whose
    # id is above the series' mark, but posting a (series, timestamp) again replaces the
    # value in place (an upsert keeps the row and its id). A value replaced after a scan,
    # e.g. a sender re-posting the current hour's count as it grows, is never judged:
    # here the newest hour is re-posted as 10,000 (about 5,000 sigmas), and the next
    # scan reports series_scanned 0 and no anomaly.
    settings.ANOMALY_METHODS = ["rolling_z"]
    values = noise()
    post(manager, "orders_this_hour", [(at(i), v) for i, v in enumerate(values)])
    assert services.anomalies_scan()["anomalies"] == []
    post(manager, "orders_this_hour", [(at(len(values) - 1), 10_000.0)])

    result = services.anomalies_scan()

    assert [(a.timestamp, a.value) for a in result["anomalies"]] == [
        (datetime.fromtimestamp(at(len(values) - 1), tz=UTC), 10_000.0)
    ]


# --- severities and paging, with rolling z-scores computed by hand ---------------------


def rolling_z_by_hand(values, index):
    window = values[max(0, index - 24) : index]
    mean = sum(window) / len(window)
    sd = math.sqrt(sum((x - mean) ** 2 for x in window) / (len(window) - 1))
    return abs(values[index] - mean) / sd, mean, sd


def band(score):
    for lower, name in ((8, "critical"), (6, "high"), (4.5, "medium"), (3.5, "low")):
        if score >= lower:
            return name
    return None


def noise(count=48, seed=0) -> list[float]:
    return [round(float(x), 3) for x in np.random.default_rng(seed).normal(100, 2, count)]


def spike_after(values, sigmas):
    """The value ``sigmas`` standard deviations above the mean of the last 24 (below it
    when ``sigmas`` is negative)."""
    window = values[-24:]
    mean = sum(window) / 24
    sd = math.sqrt(sum((x - mean) ** 2 for x in window) / 23)
    return mean + sigmas * sd


@pytest.mark.parametrize(("sigmas", "severity"), [(4.35, "low"), (5.2, "medium")])
def test_low_and_medium_anomalies_open_nothing(manager, settings, sigmas, severity):
    # Downward, on a series where higher is better: bad news, not paging by severity alone.
    settings.ANOMALY_METHODS = ["rolling_z"]
    values = noise()
    values.append(spike_after(values, -sigmas))
    post(manager, "basket_size", [(at(i), v) for i, v in enumerate(values)])
    # The premise: no other point reaches the threshold.
    assert all(rolling_z_by_hand(values, i)[0] < 3.5 for i in range(10, len(values) - 1))

    body = manager.post(SCAN, {}, format="json").json()

    (row,) = body["anomalies"]
    score, mean, _ = rolling_z_by_hand(values, len(values) - 1)
    assert row["timestamp"] == iso(at(len(values) - 1))
    assert row["method"] == "rolling_z"
    assert row["score"] == pytest.approx(score, rel=1e-9) == pytest.approx(sigmas, rel=1e-9)
    assert row["expected"] == pytest.approx(mean, rel=1e-12)
    assert row["severity"] == severity == band(score)
    assert row["incident"] is None
    assert not Incident.objects.exists()
    assert not Service.objects.filter(slug="business-metrics").exists()


def test_high_anomalies_page_the_series_service_once_then_add_notes(manager, settings):
    settings.ANOMALY_METHODS = ["rolling_z"]
    checkout = ServiceFactory(name="Checkout", slug="checkout")
    values = noise()
    values.append(spike_after(values, 7.0))
    post(manager, "checkout_errors", [(at(i), v) for i, v in enumerate(values)])
    series = MetricSeries.objects.get(name="checkout_errors")
    # More errors are bad news: the upward spikes page.
    services.series_update(series=series, service=checkout, higher_is_better=False)

    first = services.anomalies_scan(now=datetime(2026, 11, 1, tzinfo=UTC))

    (anomaly,) = first["anomalies"]
    assert anomaly.severity == "high"
    assert anomaly.score == pytest.approx(7.0, rel=1e-9)
    (incident,) = Incident.objects.all()
    assert incident.service == checkout  # the series' own service, not business-metrics
    assert (incident.source, incident.dedup_key, incident.severity) == (
        "anomaly",
        f"anomaly:{series.pk}",
        "SEV3",
    )
    assert Anomaly.objects.get().incident == incident
    assert not Service.objects.filter(slug="business-metrics").exists()
    assert not TimelineEntry.objects.filter(incident=incident, kind="note").exists()

    # A second high anomaly an hour later, 7 sigmas above the 24 before it (the first
    # spike among them): added to the open incident as a note.
    values.append(spike_after(values, 7.0))
    post(manager, "checkout_errors", [(at(len(values) - 1), values[-1])])
    score, _, _ = rolling_z_by_hand(values, len(values) - 1)
    assert band(score) == "high"

    second = services.anomalies_scan(now=datetime(2026, 11, 1, 1, tzinfo=UTC))

    (anomaly,) = second["anomalies"]
    assert anomaly.timestamp == datetime.fromtimestamp(at(len(values) - 1), tz=UTC)
    assert anomaly.score == pytest.approx(score, rel=1e-9)
    assert Incident.objects.count() == 1
    assert Anomaly.objects.get(pk=anomaly.pk).incident == incident
    (note,) = TimelineEntry.objects.filter(incident=incident, kind="note")
    assert "Anomalies detected" in note.message
    assert anomaly.timestamp.strftime("%Y-%m-%d %H:%M") in note.message

    # Once it is resolved, the next high anomaly opens a new incident.
    from incidents.services import incident_resolve

    incident_resolve(incident=incident, by=None)
    values.append(spike_after(values, 7.0))
    post(manager, "checkout_errors", [(at(len(values) - 1), values[-1])])
    assert band(rolling_z_by_hand(values, len(values) - 1)[0]) == "high"
    services.anomalies_scan(now=datetime(2026, 11, 1, 2, tzinfo=UTC))
    assert Incident.objects.count() == 2
    assert Incident.objects.exclude(pk=incident.pk).get().dedup_key == f"anomaly:{series.pk}"


def test_an_open_incident_with_the_same_dedup_key_is_added_to(manager, settings):
    # Opened some other way (say by hand) with the series' dedup key on the business
    # service: the scan adds to it rather than failing or opening a second one.
    settings.ANOMALY_METHODS = ["rolling_z"]
    values = noise()
    values.append(spike_after(values, 9.0))
    post(manager, "refunds", [(at(i), v) for i, v in enumerate(values)])
    series = MetricSeries.objects.get(name="refunds")
    services.series_update(series=series, higher_is_better=False)  # more refunds: bad news
    existing = open_incident(
        ServiceFactory(name="Business metrics", slug="business-metrics"),
        dedup_key=f"anomaly:{series.pk}",
        title="Refunds look odd",
    )

    result = services.anomalies_scan()

    (anomaly,) = result["anomalies"]
    assert anomaly.severity == "critical"
    assert Incident.objects.count() == 1
    assert Anomaly.objects.get().incident == existing
    (note,) = TimelineEntry.objects.filter(incident=existing, kind="note")
    assert "refunds" in note.message


# --- direction: only bad news pages ----------------------------------------------------


def minute(anomaly) -> str:
    """How the incident's summary and notes name an anomaly's time."""
    return anomaly.timestamp.strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("higher_is_better", "sigmas", "pages"),
    [
        (True, 9.0, False),  # orders surge: good news
        (True, -9.0, True),  # orders fall
        (False, 9.0, True),  # errors rise
        (False, -9.0, False),  # errors fall: good news
    ],
    ids=[
        "higher-is-better-up",
        "higher-is-better-down",
        "lower-is-better-up",
        "lower-is-better-down",
    ],
)
def test_only_bad_news_pages_and_every_anomaly_is_stored(
    manager, settings, higher_is_better, sigmas, pages
):
    settings.ANOMALY_METHODS = ["rolling_z"]
    name = "orders" if higher_is_better else "error_rate"
    values = noise()
    values.append(spike_after(values, sigmas))
    post(manager, name, [(at(i), v) for i, v in enumerate(values)])
    series = MetricSeries.objects.get(name=name)
    services.series_update(series=series, higher_is_better=higher_is_better)

    result = services.anomalies_scan()

    # Found and stored whichever way it moved, critical either way.
    (anomaly,) = result["anomalies"]
    score, mean, _ = rolling_z_by_hand(values, len(values) - 1)
    assert anomaly.severity == "critical" == band(score)
    assert anomaly.score == pytest.approx(abs(sigmas), rel=1e-9)
    assert anomaly.expected == pytest.approx(mean, rel=1e-12)
    assert (anomaly.value > anomaly.expected) == (sigmas > 0)
    stored = Anomaly.objects.get()
    assert stored.pk == anomaly.pk
    if pages:
        (incident,) = Incident.objects.all()
        assert (incident.source, incident.dedup_key, incident.severity) == (
            "anomaly",
            f"anomaly:{series.pk}",
            "SEV2",
        )
        assert minute(anomaly) in incident.summary
        assert stored.incident == incident
    else:
        assert not Incident.objects.exists()
        assert stored.incident is None
        assert not Service.objects.filter(slug="business-metrics").exists()
    # The list shows it either way.
    (row,) = manager.get(LIST).json()["results"]
    assert (row["id"], row["severity"]) == (anomaly.pk, "critical")
    assert row["incident"] == (stored.incident_id if pages else None)


def test_good_news_is_left_out_of_the_incident_bad_news_opens(manager, settings):
    # Orders (higher is better): a surge and, 30 hours later, a fall, both critical and
    # new to the same scan; then, while the incident is open, another surge and fall.
    settings.ANOMALY_METHODS = ["rolling_z"]
    values = noise()
    values.append(spike_after(values, 10.0))
    surge = len(values) - 1
    values += noise(30, seed=1)
    values.append(spike_after(values, -10.0))
    fall = len(values) - 1
    post(manager, "orders", [(at(i), v) for i, v in enumerate(values)])
    series = MetricSeries.objects.get(name="orders")
    assert series.higher_is_better
    # The premise: the fall's 24 points before it do not hold the surge.
    assert fall - 24 > surge

    result = services.anomalies_scan()

    critical = {a.timestamp: a for a in result["anomalies"] if a.severity == "critical"}
    up, down = critical[START + timedelta(hours=surge)], critical[START + timedelta(hours=fall)]
    assert len(critical) == 2
    assert up.value > up.expected
    assert down.value < down.expected
    (incident,) = Incident.objects.all()
    assert incident.severity == "SEV2"
    assert minute(down) in incident.summary
    assert minute(up) not in incident.summary
    assert incident.summary.count(f"- {series} at ") == 1
    assert Anomaly.objects.get(pk=down.pk).incident == incident
    assert Anomaly.objects.get(pk=up.pk).incident is None
    assert not TimelineEntry.objects.filter(incident=incident, kind="note").exists()

    # While it is open: a surge alone adds nothing to it...
    values += noise(30, seed=2)
    values.append(spike_after(values, 10.0))
    post(manager, "orders", [(at(i), v) for i, v in enumerate(values)][fall + 1 :])

    alone = services.anomalies_scan()

    (second_surge,) = [a for a in alone["anomalies"] if a.severity == "critical"]
    assert second_surge.value > second_surge.expected
    assert Anomaly.objects.get(pk=second_surge.pk).incident is None
    assert not TimelineEntry.objects.filter(incident=incident, kind="note").exists()

    # ...and a later fall is added as a note naming it alone.
    first_new = len(values)
    values += noise(30, seed=3)
    values.append(spike_after(values, -10.0))
    post(manager, "orders", [(at(i), v) for i, v in enumerate(values)][first_new:])

    later = services.anomalies_scan()

    (second_fall,) = [a for a in later["anomalies"] if a.severity == "critical"]
    assert second_fall.value < second_fall.expected
    assert Incident.objects.count() == 1
    (note,) = TimelineEntry.objects.filter(incident=incident, kind="note")
    assert minute(second_fall) in note.message
    assert minute(second_surge) not in note.message
    assert Anomaly.objects.get(pk=second_fall.pk).incident == incident


@pytest.mark.parametrize(
    ("sigmas", "pages"), [(-20.0, False), (20.0, True)], ids=["restart", "rise"]
)
def test_worker_memory_pages_for_a_sudden_rise_not_for_a_restart(settings, sigmas, pages):
    settings.ANOMALY_METHODS = ["rolling_z"]
    step = timedelta(minutes=5)
    first = datetime(2026, 11, 2, 9, tzinfo=UTC)
    recorded = services.worker_memory_record(now=first)
    series = MetricSeries.objects.get(name=services.WORKER_MEMORY_METRIC)
    assert (series.higher_is_better, series.unit) == (False, "bytes")

    def record(values, start):
        services.samples_record(
            rows=[
                {
                    "metric": services.WORKER_MEMORY_METRIC,
                    "labels": series.labels,
                    "timestamp": (first + (start + i) * step).isoformat(),
                    "value": value,
                }
                for i, value in enumerate(values)
            ]
        )

    # Four hours around the memory it recorded, 3 MiB of noise, scanned as they came.
    mib = 2**20
    values = [float(recorded)] + [recorded + 1.5 * (x - 100) * mib for x in noise(47)]
    record(values[1:], 1)
    services.anomalies_scan()
    assert not Incident.objects.exists()
    # Then a restart (memory falls back) or a sudden rise, 20 sigmas off.
    values.append(spike_after(values, sigmas))
    record(values[-1:], len(values) - 1)

    result = services.anomalies_scan()

    (anomaly,) = [a for a in result["anomalies"] if a.severity == "critical"]
    assert anomaly.timestamp == first + (len(values) - 1) * step
    assert anomaly.score == pytest.approx(abs(sigmas), rel=1e-6)
    assert Anomaly.objects.filter(pk=anomaly.pk).exists()
    if pages:
        (incident,) = Incident.objects.all()
        assert incident.dedup_key == f"anomaly:{series.pk}"
        assert Anomaly.objects.get(pk=anomaly.pk).incident == incident
    else:
        assert not Incident.objects.exists()
        assert Anomaly.objects.get(pk=anomaly.pk).incident is None


# --- the list ------------------------------------------------------------------------------


def anomaly(series, hours, *, method="robust_z", severity="high", score=7.0, **fields):
    when = START + timedelta(hours=hours)
    return Anomaly.objects.create(
        series=series,
        timestamp=when,
        value=10.0,
        expected=5.0,
        score=score,
        method=method,
        severity=severity,
        detected_at=when + timedelta(minutes=5),
        **fields,
    )


@pytest.fixture
def listed(db):
    orders = MetricSeries.objects.create(name="orders", labels={"region": "eu"})
    signups = MetricSeries.objects.create(name="signups")
    someone = UserFactory(username="ana", roles=["Responder"])
    rows = {
        "a": anomaly(orders, 1, method="rolling_z", severity="low", score=3.6),
        "b": anomaly(orders, 2, method="robust_z", severity="critical", score=9.0),
        "c": anomaly(orders, 3, method="isolation_forest", severity="medium", score=5.0),
        "d": anomaly(signups, 4, method="robust_z", severity="high", score=6.5),
        "e": anomaly(
            signups,
            5,
            method="rolling_z",
            severity="critical",
            score=12.0,
            acknowledged_at=START + timedelta(hours=6),
            acknowledged_by=someone,
        ),
    }
    return {name: row.pk for name, row in rows.items()}


def listed_names(client, listed, query=""):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200, response.json()
    names = {pk: name for name, pk in listed.items()}
    return [names[row["id"]] for row in response.json()["results"]]


def test_the_list_is_newest_first_and_shaped(viewer, listed):
    response = viewer.get(LIST)

    assert listed_names(viewer, listed) == ["e", "d", "c", "b", "a"]
    row = response.json()["results"][0]
    assert row["metric"] == "signups"
    assert row["acknowledged_by"] == "ana"
    assert row["incident"] is None
    assert row["timestamp"] == iso((START + timedelta(hours=5)).timestamp())
    orders = response.json()["results"][3]
    assert orders["labels"] == {"region": "eu"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("metric=orders", ["c", "b", "a"]),
        ("metric=signups", ["e", "d"]),
        ("metric=nope", []),
        (f"since={iso((START + timedelta(hours=3)).timestamp())}", ["e", "d", "c"]),
        ("since=2026-10-05T03:00:00%2B00:00", ["e", "d", "c"]),
        ("severity=critical", ["e", "b"]),
        ("severity=critical&severity=low", ["e", "b", "a"]),
        ("method=rolling_z", ["e", "a"]),
        ("method=robust_z&method=isolation_forest", ["d", "c", "b"]),
        ("acknowledged=true", ["e"]),
        ("acknowledged=false", ["d", "c", "b", "a"]),
        ("metric=orders&severity=critical&method=robust_z&acknowledged=false", ["b"]),
        ("ordering=-score", ["e", "b", "d", "c", "a"]),
    ],
)
def test_each_filter(viewer, listed, query, expected):
    assert listed_names(viewer, listed, query) == expected


@pytest.mark.parametrize(
    "query", ["severity=huge", "method=magic", "acknowledged=maybe", "since=last-week"]
)
def test_bad_filter_values_are_a_400(viewer, listed, query):
    response = viewer.get(f"{LIST}?{query}")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]


@pytest.mark.parametrize("count", [1, 20])
def test_the_list_costs_a_constant_number_of_queries(viewer, django_assert_num_queries, count):
    series = MetricSeries.objects.create(name="orders", labels={"region": "eu"})
    responder = UserFactory(roles=["Responder"])
    incident = open_incident(ServiceFactory())
    for hours in range(count):
        anomaly(series, hours, acknowledged_at=START, acknowledged_by=responder, incident=incident)
    viewer.get(LIST)  # the user's permissions are loaded once

    with django_assert_num_queries(2):  # count, page (series and acknowledger joined)
        response = viewer.get(LIST)

    assert response.json()["count"] == count
    assert {row["incident"] for row in response.json()["results"]} == {incident.pk}
    assert {row["acknowledged_by"] for row in response.json()["results"]} == {responder.username}


# --- acknowledging ---------------------------------------------------------------------------


def test_a_responder_acknowledges_once(listed):
    first_responder = UserFactory(username="bo", roles=["Responder"])
    second_responder = UserFactory(username="cy", roles=["Responder"])
    bo, cy = APIClient(), APIClient()
    bo.force_authenticate(first_responder)
    cy.force_authenticate(second_responder)
    url = f"{LIST}/{listed['d']}/acknowledge"

    first = bo.post(url)
    again = cy.post(url)

    assert first.status_code == 200, first.json()
    assert first.json()["acknowledged_by"] == "bo"
    assert first.json()["acknowledged_at"]
    assert again.status_code == 200
    assert again.json()["acknowledged_by"] == "bo"
    assert again.json()["acknowledged_at"] == first.json()["acknowledged_at"]
    stored = Anomaly.objects.get(pk=listed["d"])
    assert stored.acknowledged_by == first_responder


def test_a_viewer_may_not_acknowledge(viewer, listed):
    response = viewer.post(f"{LIST}/{listed['d']}/acknowledge")

    assert response.status_code == 403
    assert Anomaly.objects.get(pk=listed["d"]).acknowledged_at is None


def test_acknowledging_a_missing_anomaly_is_a_404(responder):
    assert responder.post(f"{LIST}/999999/acknowledge").status_code == 404


# --- the scan's roles and refusals -------------------------------------------------------


@pytest.mark.parametrize("role", ["Viewer", "Responder"])
def test_only_managers_scan(role):
    response = client_for(role).post(SCAN, {}, format="json")

    assert response.status_code == 403
    assert not AnomalyScan.objects.exists()


@pytest.mark.parametrize("body", [{"metric": "nope"}, {"metric": ""}, {"metric": 3}, [], "orders"])
def test_bad_scan_requests_are_a_400(manager, body):
    MetricSeries.objects.create(name="orders")

    response = manager.post(SCAN, body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["message"]
    assert not AnomalyScan.objects.exists()


# --- the beat task ------------------------------------------------------------------------


def test_the_beat_task_scans_and_is_scheduled(manager, settings):
    settings.ANOMALY_METHODS = ["rolling_z"]
    values = noise()
    values.append(spike_after(values, 5.2))
    post(manager, "basket_size", [(at(i), v) for i, v in enumerate(values)])

    assert tasks.anomalies_scan() == {"series_scanned": 1, "anomalies": 1}
    assert tasks.anomalies_scan() == {"series_scanned": 0, "anomalies": 0}
    assert Anomaly.objects.get().severity == "medium"

    (spec,) = [s for s in periodic.PERIODIC_TASKS if s.task == "analytics.tasks.anomalies_scan"]
    assert spec.every_seconds == 300
    assert spec in default_periodic_tasks()
    assert tasks.anomalies_scan.name == spec.task


def test_a_first_scan_of_a_long_series_finds_spikes_all_along_it(settings):
    # A first scan of a long history (here 20,000 hours, the isolation forest scoring it
    # in chunks of FOREST_TRAINING points) finds spikes early in it as surely as recent ones.
    settings.ANOMALY_METHODS = ["isolation_forest"]
    hours = np.arange(20_000)
    rng = np.random.default_rng(7)
    values = 100 + 20 * np.sin(hours % 24 / 24 * 2 * np.pi) + rng.normal(0, 2, hours.size)
    spikes = list(range(500, 20_000, 1000))
    values[spikes] += 16  # 8 sigmas of the noise
    start = int(START.timestamp())
    rows = [
        {"metric": "long", "timestamp": start + int(h) * HOUR, "value": float(x)}
        for h, x in zip(hours, values, strict=True)
    ]
    for first in range(0, len(rows), services.MAX_SAMPLES):
        services.samples_record(rows=rows[first : first + services.MAX_SAMPLES])

    found = services.anomalies_scan(page=False)["anomalies"]

    hours_found = {int((a.timestamp - START).total_seconds()) // HOUR for a in found}
    assert len(set(spikes) & hours_found) >= 0.9 * len(spikes)
