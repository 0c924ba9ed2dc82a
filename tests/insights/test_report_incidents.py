"""The incidents report on a week whose figures are worked out by hand here: counts and
MTTA/MTTR overall and by severity, service and team against the week before, alert
noise, on-call load, the major incidents and the repeat offenders; the same figures as
GET /api/analytics/incidents for the same start, end and group_by; and a PDF that
shows them."""

import io
import json
import os
import statistics
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader
from rest_framework.test import APIClient

from core.models import DeliveryStatus
from incidents import services
from incidents.models import Alert, Notification
from insights.reports.document import Period
from insights.reports.kinds import incidents as report
from insights.reports.render import report_html, report_pdf
from oncall import services as oncall_services
from tests.factories import (
    ServiceFactory,
    TeamFactory,
    UserFactory,
    make_integration,
    open_incident,
)

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

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
END = START + timedelta(days=7)
PERIOD = Period(START, END)
H = timedelta(hours=1)
URL = "/api/analytics/incidents"

# (service, hours after START, seconds to acknowledge, seconds to resolve, severity,
#  title, dedup key)
THIS_WEEK = [
    ("api", 2, 60, 1200, "SEV1", "Checkout errors", "k-errors"),
    ("api", 26, 240, 3600, "SEV2", "Checkout errors", "k-errors"),
    ("web", 50, 120, 600, "SEV3", "Slow pages", ""),
    ("web", 74, None, None, "SEV4", "Slow pages", ""),
    ("pipeline", 98, 600, 7200, "SEV2", "Backlog growing", ""),
    ("api", 122, 30, None, "SEV3", "Latency", ""),
]
WEEK_BEFORE = [
    ("api", -100, 120, 2400, "SEV1", "Checkout errors", ""),
    ("web", -50, 300, 1800, "SEV3", "Slow pages", ""),
    ("web", -30, 60, 900, "SEV2", "Cache cold", ""),
]
LATER = ("api", 7 * 24 + 1, 10, 20, "SEV1", "Next week", "")


def make_incident(by_slug, row):
    slug, hours, ack, resolve, severity, title, key = row
    at = START + hours * H
    incident = open_incident(by_slug[slug], at=at, severity=severity, title=title, dedup_key=key)
    if ack is not None:
        services.incident_acknowledge(incident=incident, by=None, at=at + timedelta(seconds=ack))
    if resolve is not None:
        services.incident_resolve(incident=incident, by=None, at=at + timedelta(seconds=resolve))
    return incident


def alerts(hook, incident, hours, status, name, group, n=1):
    return [
        Alert(
            integration=hook,
            incident=incident,
            fingerprint=f"{group}-{hours}-{status}-{i}",
            group_key=group,
            status=status,
            severity="SEV3",
            labels={"alertname": name},
            received_at=START + hours * H,
        )
        for i in range(n)
    ]


@pytest.fixture
def week(settings):
    settings.TIME_ZONE = "UTC"
    core, data = TeamFactory(slug="core", name="Core"), TeamFactory(slug="data", name="Data")
    by_slug = {
        "api": ServiceFactory(slug="api", name="API", team=core),
        "web": ServiceFactory(slug="web", name="Web", team=core),
        "pipeline": ServiceFactory(slug="pipeline", name="Pipeline", team=data),
    }
    before = [make_incident(by_slug, row) for row in WEEK_BEFORE]
    now = [make_incident(by_slug, row) for row in THIS_WEEK]
    make_incident(by_slug, LATER)
    api, web = (make_integration(service=by_slug[slug])[0] for slug in ("api", "web"))
    rows = [
        *alerts(api, now[0], 2, "firing", "HighErrorRate", "g-err", n=4),
        *alerts(api, now[0], 3, "resolved", "HighErrorRate", "g-err"),
        *alerts(api, now[1], 26, "firing", "HighErrorRate", "g-err", n=2),
        *alerts(web, now[2], 50, "firing", "SlowPage", "g-slow"),
        *alerts(api, before[0], -100, "firing", "HighErrorRate", "g-err", n=3),  # before
    ]
    # A group that fires, resolves and fires again three times: it flaps.
    for hours in range(10, 17):
        status = "firing" if hours % 2 == 0 else "resolved"
        rows += alerts(web, None, hours, status, "Flappy", "g-flap")
    Alert.objects.bulk_create(rows)

    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    sent, failed = DeliveryStatus.SENT, DeliveryStatus.FAILED
    pages = [
        (alice, 3, sent),  # 03:00 UTC: out of hours
        (alice, 12, sent),  # in
        (alice, 22, sent),  # out
        (bob, 14, sent),  # in
        (bob, 15, failed),  # not a page sent
        (bob, -20, sent),  # the week before
    ]
    methods = {
        user.pk: oncall_services.contact_method_create(
            user=user, kind="email", address=f"{user.username}@example.com"
        )
        for user in (alice, bob)
    }
    Notification.objects.bulk_create(
        Notification(
            incident=now[0],
            level=level,
            user=user,
            contact_method=methods[user.pk],
            status=status,
            created_at=START + hours * H - timedelta(seconds=5),
            sent_at=START + hours * H if status == sent else None,
        )
        for level, (user, hours, status) in enumerate(pages)
    )
    return {"services": by_slug, "now": now, "before": before, "alice": alice, "bob": bob}


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Manager"]))
    return client


def expected_times(rows) -> dict:
    """Independently of the database: counts, means, medians and linear 90th pcts."""

    def stats(values):
        if not values:
            return None, None, None
        return statistics.fmean(values), statistics.median(values), float(np.percentile(values, 90))

    ack = [row[2] for row in rows if row[2] is not None]
    fix = [row[3] for row in rows if row[3] is not None]
    return {
        "incidents": len(rows),
        "acknowledged": len(ack),
        "resolved": len(fix),
        **dict(zip(("mtta_mean", "mtta_median", "mtta_p90"), stats(ack), strict=True)),
        **dict(zip(("mttr_mean", "mttr_median", "mttr_p90"), stats(fix), strict=True)),
    }


def same(row: dict, expected: dict):
    for key, value in expected.items():
        assert row[key] == (None if value is None else pytest.approx(value)), key


# --- figures against numbers worked out here ----------------------------------------------


def test_overall_response_times_against_the_week_before(week):
    figures = report.build(PERIOD, {}).figures
    times = figures["response_times"]

    # By hand: acknowledged in 30, 60, 120, 240, 600 s; resolved in 600, 1200, 3600, 7200 s.
    assert (times["incidents"], times["acknowledged"], times["resolved"]) == (6, 5, 4)
    assert times["mtta_mean"] == pytest.approx(210)
    assert times["mtta_median"] == pytest.approx(120)
    assert times["mtta_p90"] == pytest.approx(456)  # 240 + 0.6 * (600 - 240)
    assert times["mttr_mean"] == pytest.approx(3150)
    assert times["mttr_median"] == pytest.approx(2400)
    assert times["mttr_p90"] == pytest.approx(6120)  # 3600 + 0.7 * (7200 - 3600)
    # The week before: 60, 120, 300 s to acknowledge; 900, 1800, 2400 s to resolve.
    assert times["previous"]["incidents"] == 3
    assert times["previous"]["mtta_mean"] == pytest.approx(160)
    assert times["previous"]["mttr_mean"] == pytest.approx(1700)
    assert times["incidents_change"] == pytest.approx(1.0)
    assert times["mtta_mean_change"] == pytest.approx((210 - 160) / 160)
    assert times["mttr_mean_change"] == pytest.approx((3150 - 1700) / 1700)
    same(times, expected_times(THIS_WEEK))
    same(times["previous"], expected_times(WEEK_BEFORE))


@pytest.mark.parametrize(
    ("group_by", "figure", "key", "column"),
    [
        ("severity", "by_severity", "severity", 4),
        ("service", "by_service", "service__slug", 0),
        ("team", "by_team", "service__team__slug", None),
    ],
)
def test_each_breakdown_for_both_weeks(week, group_by, figure, key, column):
    teams = {"api": "core", "web": "core", "pipeline": "data"}

    def group(row):
        return teams[row[0]] if column is None else row[column]

    figures = report.build(PERIOD, {}).figures

    for rows, got in (
        (THIS_WEEK, figures[figure]),
        (WEEK_BEFORE, figures["previous"][figure]),
    ):
        groups = sorted({group(row) for row in rows})
        assert [row[key] for row in got] == groups
        for row in got:
            same(row, expected_times([r for r in rows if group(r) == row[key]]))


def test_the_severity_rows_by_hand(week):
    rows = {row["severity"]: row for row in report.build(PERIOD, {}).figures["by_severity"]}

    assert rows["SEV2"]["incidents"] == 2
    assert rows["SEV2"]["mtta_mean"] == pytest.approx(420)  # (240 + 600) / 2
    assert rows["SEV2"]["mtta_p90"] == pytest.approx(564)  # 240 + 0.9 * 360
    assert rows["SEV2"]["mttr_median"] == pytest.approx(5400)
    assert rows["SEV4"]["incidents"] == 1
    assert rows["SEV4"]["mtta_mean"] is None  # never acknowledged


def test_the_comparison_rows_cover_groups_of_either_week(week):
    content = report.build(PERIOD, {})

    by = {b["group_by"]: b for b in content.context["breakdowns"]}
    services_ = [
        (r["name"], r["now"] and r["now"]["incidents"], r["before"] and r["before"]["incidents"])
        for r in by["service"]["rows"]
    ]
    assert services_ == [("API", 3, 1), ("Web", 2, 2), ("Pipeline", 1, None)]
    assert [r["change"] for r in by["service"]["rows"]] == [2.0, 0.0, None]
    assert [(r["key"], r["now"]["incidents"]) for r in by["severity"]["rows"]] == [
        ("SEV1", 1),
        ("SEV2", 2),
        ("SEV3", 2),
        ("SEV4", 1),
    ]
    teams = [(r["name"], r["now"]["incidents"], r["before"]) for r in by["team"]["rows"]]
    assert teams[0][:2] == ("Core", 5)
    assert teams[1] == ("Data", 1, None)


def test_alert_noise_and_on_call_load(week):
    figures = report.build(PERIOD, {}).figures
    noise, load = figures["alert_noise"], figures["oncall_load"]

    # Incidents with firing alerts: 4, 2 and 1 alerts.
    assert noise["alerts_per_incident"] == {
        "incidents": 3,
        "mean": pytest.approx(7 / 3),
        "median": 2,
        "max": 4,
    }
    assert noise["alerts_fired"] == 4 + 2 + 1 + 4  # the flapping group fired 4 times
    assert noise["noisiest_alerts"] == [
        {"name": "HighErrorRate", "alerts": 6, "incidents": 2},
        {"name": "Flappy", "alerts": 4, "incidents": 0},
        {"name": "SlowPage", "alerts": 1, "incidents": 1},
    ]
    assert noise["flapping_groups"] == [
        {
            "service": "web",
            "group_key": "g-flap",
            "fired": 4,
            "resolved": 3,
            "fired_again": 3,
            "alerts": 4,
            "incidents": 0,
        }
    ]
    alice, bob = week["alice"], week["bob"]
    assert load["people"] == [
        {
            "user": alice.pk,
            "username": "alice",
            "time_zone": "UTC",
            "pages": 3,
            "pages_out_of_hours": 2,
            "share": 0.75,
        },
        {
            "user": bob.pk,
            "username": "bob",
            "time_zone": "UTC",
            "pages": 1,
            "pages_out_of_hours": 0,
            "share": 0.25,
        },
    ]
    assert (load["pages"], load["pages_out_of_hours"], load["out_of_hours_share"]) == (4, 2, 0.5)


def test_major_incidents_and_repeat_offenders(week):
    figures = report.build(PERIOD, {}).figures
    now = week["now"]

    assert figures["major_total"] == 3
    assert [(row["reference"], row["severity"]) for row in figures["major"]] == [
        (now[0].reference, "SEV1"),
        (now[1].reference, "SEV2"),
        (now[4].reference, "SEV2"),
    ]
    assert figures["major"][0]["time_to_acknowledge"] == 60
    assert figures["major"][2]["time_to_resolve"] == 7200
    # "Checkout errors" by title is the same group as its dedup key: told once.
    assert figures["repeats_total"] == 2
    assert [(r["service"], r["kind"], r["key"], r["incidents"]) for r in figures["repeats"]] == [
        ("api", "dedup_key", "k-errors", 2),
        ("web", "title", "Slow pages", 2),
    ]
    assert figures["repeats"][0]["first"] == (START + 2 * H).isoformat()


def test_the_figures_are_json(week):
    figures = report.build(PERIOD, {}).figures

    assert json.loads(json.dumps(figures)) == figures


def test_the_query_count_does_not_grow_with_the_data(week):
    with CaptureQueriesContext(connection) as small:
        report.build(PERIOD, {})
    hook = make_integration(service=week["services"]["pipeline"])[0]
    for hour in range(20):
        incident = make_incident(
            week["services"], ("pipeline", 130 + hour, 30, 60, "SEV1", f"More {hour % 3}", "")
        )
        Alert.objects.bulk_create(alerts(hook, incident, 130 + hour, "firing", f"A{hour}", "g"))

    with CaptureQueriesContext(connection) as large:
        figures = report.build(PERIOD, {}).figures

    assert figures["response_times"]["incidents"] == 26
    assert len(large) == len(small) < 40


def test_an_empty_period_has_nothing_but_says_so():
    content = report.build(Period(START, END), {})
    figures = content.figures

    assert figures["response_times"]["incidents"] == 0
    assert figures["response_times"]["mtta_mean"] is None
    assert figures["by_severity"] == figures["by_service"] == []
    assert figures["oncall_load"] == {
        "people": [],
        "pages": 0,
        "pages_out_of_hours": 0,
        "out_of_hours_share": None,
    }
    html = report_html("incidents", PERIOD, content)
    assert "No incidents were triggered in this period." in html
    assert "No page was sent in this period." in html


# --- the same figures as the API ----------------------------------------------------------


def approx_row(row):
    return {
        key: pytest.approx(value) if isinstance(value, float) else value
        for key, value in row.items()
    }


def as_api_answers(rows, api_rows):
    """``rows`` cut to the fields the API answers, floats compared approximately."""
    assert len(rows) == len(api_rows)
    return [{key: row[key] for key in api} for row, api in zip(rows, api_rows, strict=True)]


def api_answer(client, period, group_by=None):
    params = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    if group_by:
        params["group_by"] = group_by
    response = client.get(URL, params)
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_figures_are_what_the_api_answers(week, manager):
    figures = report.build(PERIOD, {}).figures
    overall = figures["response_times"]

    body = api_answer(manager, PERIOD)
    [row] = body["response_times"]
    assert as_api_answers([overall], [row]) == [approx_row(row)]
    assert {key: figures["alert_noise"][key] for key in body["alert_noise"]} == body["alert_noise"]
    assert figures["oncall_load"]["people"] == body["oncall_load"]
    [row] = api_answer(manager, PERIOD.previous())["response_times"]
    assert as_api_answers([overall["previous"]], [row]) == [approx_row(row)]


@pytest.mark.parametrize("group_by", ["severity", "service", "team"])
def test_each_breakdown_is_what_the_api_answers_for_its_group_by(week, manager, group_by):
    figures = report.build(PERIOD, {}).figures
    figure = f"by_{group_by}"

    now = api_answer(manager, PERIOD, group_by)["response_times"]
    before = api_answer(manager, PERIOD.previous(), group_by)["response_times"]

    assert as_api_answers(figures[figure], now) == [approx_row(row) for row in now]
    assert as_api_answers(figures["previous"][figure], before) == [approx_row(r) for r in before]
    assert len(now) == {"severity": 4, "service": 3, "team": 2}[group_by]


# --- the document -------------------------------------------------------------------------


@needs_pango
def test_the_pdf_shows_the_figures(week):
    content = report.build(PERIOD, {})

    pdf = report_pdf(report_html("incidents", PERIOD, content))

    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert 2 <= len(reader.pages) <= 4
    for expected in (
        "Incidents report",
        "2 Mar 2026",  # the period, to the last day it covers
        "8 Mar 2026",
        "3 min 30 s",  # MTTA mean, 210 s
        "52 min 30 s",  # MTTR mean, 3150 s
        "1 h 42 min",  # MTTR p90, 6120 s
        "+100%",  # six incidents against three
        "HighErrorRate",
        "g-flap",
        "alice",
        "75%",  # alice's share of the pages
        "k-errors",
        "Slow pages",
        "Pipeline",
        "Core",
        *(incident.reference for incident in week["now"][:2]),
    ):
        assert expected in text, expected


def test_a_service_with_incidents_only_the_period_before_reads_as_none_now():
    # Found on the demo: such a group's row has no figures this period, and the document
    # must print "-" for them, not fail.
    quiet = ServiceFactory(slug="quiet", name="Quiet")
    make_incident({"quiet": quiet}, ("quiet", -30, 60, 600, "SEV3", "Old trouble", ""))

    content = report.build(PERIOD, {})
    html = report_html("incidents", PERIOD, content)

    by = {b["group_by"]: b for b in content.context["breakdowns"]}
    [row] = [r for r in by["service"]["rows"] if r["name"] == "Quiet"]
    assert row["now"] is None
    assert row["before"]["incidents"] == 1
    assert "Quiet" in html
