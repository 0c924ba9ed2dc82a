"""The SLO report on SLOs whose counts and evaluations are set here and worked out by
hand: each SLO's status at the period's end (the same as GET /api/slos/<id>/status?at=),
the time it spent at risk or breached over the period from its stored evaluations, the
incidents its burn-rate alerts opened, and a PDF that shows them."""

import io
import json
import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from pypdf import PdfReader
from rest_framework.test import APIClient

from incidents import services as incident_services
from incidents.models import IncidentSource
from insights.reports.document import Period
from insights.reports.kinds import slo as report
from insights.reports.render import report_html, report_pdf
from observability import services
from observability.slo_math import Status
from tests.factories import ServiceFactory, UserFactory, open_incident

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

END = datetime(2026, 6, 29, tzinfo=UTC)
START = END - timedelta(days=7)
PERIOD = Period(START, END)
DAY = timedelta(days=1)
DAY_S = 86400.0
TIMES = "\u00d7"


def events(slo, *rows):
    """``rows``: (moment, good, total)."""
    services.slo_events_record(
        slo=slo,
        events=[{"timestamp": at, "good": good, "total": total} for at, good, total in rows],
        now=END,
    )


def evaluated(slo, at, state, budget, sli):
    services.slo_evaluation_store(
        slo=slo,
        status=Status(
            at=at,
            state=state,
            reason=None,
            sli=sli,
            good=sli * 1000,
            total=1000,
            remaining_ratio=budget,
            remaining_events=None,
            exhausted_at=None,
        ),
    )


@pytest.fixture
def slos(settings):
    settings.TIME_ZONE = "UTC"
    checkout = services.slo_create(
        service=ServiceFactory(slug="checkout", name="Checkout"),
        name="Checkout availability",
        target="99.9",
        window="30d",
    )
    search = services.slo_create(
        service=ServiceFactory(slug="search", name="Search"),
        name="Search latency",
        target="99",
        window="7d",
        sli_kind="latency",
        latency_threshold_ms=300,
    )
    ledger = services.slo_create(
        service=ServiceFactory(slug="ledger", name="Ledger"), name="Ledger writes", target="99.5"
    )
    # Checkout: 15 bad of 60,000 over 30 days (SLI 99.975%), 4 of them 10 minutes ago.
    events(checkout, (END - timedelta(minutes=10), 9_996, 10_000), (END - 10 * DAY, 49_989, 50_000))
    # Search: 2% errors two minutes ago, twice its 1% budget: breached, and paging.
    events(search, (END - timedelta(minutes=2), 980, 1_000))

    evaluated(checkout, START - timedelta(hours=1), "met", 0.95, 0.99995)  # before the period
    evaluated(checkout, START + DAY, "met", 0.9, 0.9999)
    evaluated(checkout, START + 3 * DAY, "at_risk", 0.2, 0.9992)
    evaluated(checkout, START + 4 * DAY, "breached", -0.1, 0.9989)
    evaluated(checkout, START + 5 * DAY, "met", 0.5, 0.9995)
    evaluated(checkout, END, "met", 0.75, 0.99975)  # at the end: it lasts no time
    evaluated(search, END - timedelta(hours=12), "breached", -1.0, 0.98)

    # Search's page opened an incident three days before the end, resolved 2 h later.
    with time_machine.travel(END - 3 * DAY, tick=False):
        services.slo_alerts_apply(slo=search, status=services.slo_status(search, END))
    page = search.service.incidents.get()
    incident_services.incident_resolve(
        incident=page, by=None, at=END - 3 * DAY + 2 * timedelta(hours=1)
    )
    ticket = incident_services.incident_create(
        service=checkout.service,
        title="SLO Checkout availability: error budget burning (ticket)",
        severity="SEV4",
        source=IncidentSource.SLO,
        dedup_key=f"slo:{checkout.pk}:ticket",
        at=END - 5 * DAY,
    )
    earlier = incident_services.incident_create(
        service=checkout.service,
        title="Before the period",
        source=IncidentSource.SLO,
        dedup_key=f"slo:{checkout.pk}:page",
        at=START - timedelta(hours=2),
    )
    incident_services.incident_resolve(incident=earlier, by=None, at=START - timedelta(hours=1))
    open_incident(checkout.service, at=END - DAY, title="Not from an SLO")
    return {
        "checkout": checkout,
        "search": search,
        "ledger": ledger,
        "page": page,
        "ticket": ticket,
    }


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Manager"]))
    return client


def by_name(figures):
    return {row["name"]: row for row in figures["slos"]}


# --- status at the end, by hand -----------------------------------------------------------


def test_each_slos_status_at_the_end(slos):
    figures = report.build(PERIOD, {}).figures
    rows = by_name(figures)

    assert list(rows) == ["Checkout availability", "Ledger writes", "Search latency"]
    checkout = rows["Checkout availability"]
    assert checkout["objective"] == pytest.approx(0.999)
    status = checkout["status"]
    assert status["state"] == "met"
    assert (status["good"], status["total"]) == (59_985, 60_000)
    assert status["sli"] == pytest.approx(0.99975)
    assert status["budget_remaining"] == pytest.approx(0.75)  # 1 - 15 / 60
    assert status["budget_remaining_events"] == pytest.approx(45)
    # 45 bad events left at the last hour's 4 bad an hour: 675 minutes.
    assert status["exhausted_at"] == (END + timedelta(minutes=675)).isoformat()
    assert status["burn_rates"]["5m"] == 0
    for window in ("30m", "1h", "2h", "6h", "1d", "3d"):
        assert status["burn_rates"][window] == pytest.approx(0.4), window  # 0.04% / 0.1%
    assert (status["page"], status["ticket"]) == (False, False)

    search = rows["Search latency"]["status"]
    assert search["state"] == "breached"
    assert search["sli"] == pytest.approx(0.98)
    assert search["budget_remaining"] == pytest.approx(-1.0)  # 20 bad of 10 allowed
    assert search["exhausted_at"] is None
    assert list(search["burn_rates"].values()) == [pytest.approx(2.0)] * 7
    # Over 7 days the 6h/30m page row fires above 5% x 10080 / 360 = 1.4.
    assert (search["page"], search["ticket"]) == (True, False)

    ledger = rows["Ledger writes"]["status"]
    assert ledger["state"] == "unknown"
    assert ledger["reason"] == "No events in the SLO's window."
    assert ledger["sli"] is None

    assert figures["states"] == {"met": 1, "at_risk": 0, "breached": 1, "unknown": 1}
    assert figures["alerting"] == 1
    assert figures["lowest_budget"]["name"] == "Search latency"
    assert figures["lowest_budget"]["budget_remaining"] == pytest.approx(-1.0)
    json.dumps(figures)  # stored on the Report as it is


def test_the_time_spent_in_each_state_over_the_period(slos):
    rows = by_name(report.build(PERIOD, {}).figures)

    checkout = rows["Checkout availability"]["period"]
    assert checkout["evaluations"] == 5
    assert checkout["first_evaluated_at"] == (START + DAY).isoformat()
    assert checkout["seconds"] == {
        "met": 4 * DAY_S,  # day 1 to 3 and day 5 to 7
        "at_risk": DAY_S,
        "breached": DAY_S,
        "unknown": 0,
    }
    assert checkout["not_evaluated_seconds"] == DAY_S
    assert checkout["at_risk_ratio"] == pytest.approx(1 / 7)
    assert checkout["breached_ratio"] == pytest.approx(1 / 7)
    assert checkout["lowest_budget_remaining"] == pytest.approx(-0.1)
    assert checkout["lowest_sli"] == pytest.approx(0.9989)

    search = rows["Search latency"]["period"]
    assert search["seconds"]["breached"] == 12 * 3600
    assert search["not_evaluated_seconds"] == 7 * DAY_S - 12 * 3600

    ledger = rows["Ledger writes"]["period"]
    assert ledger["evaluations"] == 0
    assert ledger["not_evaluated_seconds"] == 7 * DAY_S
    assert ledger["lowest_budget_remaining"] is None


def test_the_incidents_slo_alerts_opened_in_the_period(slos):
    figures = report.build(PERIOD, {}).figures

    assert figures["incidents_total"] == 2
    assert [(row["reference"], row["slo"], row["alert"]) for row in figures["incidents"]] == [
        (slos["ticket"].reference, slos["checkout"].pk, "ticket"),
        (slos["page"].reference, slos["search"].pk, "page"),
    ]
    assert figures["incidents"][1]["severity"] == "SEV2"  # the SLO's page severity
    assert figures["incidents"][1]["time_to_resolve"] == 7200
    assert figures["incidents"][0]["time_to_resolve"] is None
    assert (figures["incidents_page"], figures["incidents_ticket"]) == (1, 1)
    rows = by_name(figures)
    assert rows["Checkout availability"]["incidents"] == 1
    assert rows["Search latency"]["incidents_page"] == 1
    assert rows["Ledger writes"]["incidents"] == 0


def test_a_minute_by_minute_history_is_timed_exactly_and_charted_in_bins(slos):
    ledger = slos["ledger"]
    first = END - timedelta(hours=12)
    for minute in range(720):  # 10 h met but for one breached minute, then 2 h at risk
        state = "met" if minute < 600 else "at_risk"
        budget = 0.5
        if minute == 300:
            state, budget = "breached", -0.2
        evaluated(ledger, first + timedelta(minutes=minute), state, budget, 0.999)

    content = report.build(PERIOD, {})
    history, points = report.course(ledger, PERIOD)

    assert by_name(content.figures)["Ledger writes"]["period"] == history
    assert history["evaluations"] == 720
    assert history["seconds"] == {
        "met": 599 * 60,
        "at_risk": 120 * 60,
        "breached": 60,
        "unknown": 0,
    }
    assert history["not_evaluated_seconds"] == 7 * DAY_S - 720 * 60
    assert history["lowest_budget_remaining"] == pytest.approx(-0.2)
    # Binned into at most 360 points over the week, the breached minute still shows.
    assert len(points) <= report.CHART_POINTS
    assert ("breached", -0.2) in [(state, budget) for _at, state, _sli, budget in points]
    assert len(content.context["budget_charts"]) == 1


def test_no_slos_no_charts_and_a_note():
    content = report.build(PERIOD, {})

    assert content.figures["slos"] == []
    assert content.context["budget_charts"] == []
    assert "No SLOs are defined." in report_html("slo", PERIOD, content)


# --- the same figures as the API ----------------------------------------------------------


def test_each_status_is_what_the_api_answers_at_the_end(slos, manager):
    figures = report.build(PERIOD, {}).figures

    for row in figures["slos"]:
        response = manager.get(f"/api/slos/{row['slo']}/status", {"at": END.isoformat()})
        assert response.status_code == 200, response.json()
        api, mine = response.json(), row["status"]
        assert api["state"] == mine["state"]
        assert api["reason"] == mine["reason"]
        assert api["sli"] == (None if mine["sli"] is None else pytest.approx(mine["sli"]))
        assert (api["good"], api["total"]) == (mine["good"], mine["total"])
        budget = api["error_budget"]
        for theirs, ours in (
            (budget["remaining_ratio"], mine["budget_remaining"]),
            (budget["remaining_events"], mine["budget_remaining_events"]),
        ):
            assert theirs == (None if ours is None else pytest.approx(ours))
        exhausted = budget["exhausted_at"]
        assert (exhausted and datetime.fromisoformat(exhausted)) == (
            mine["exhausted_at"] and datetime.fromisoformat(mine["exhausted_at"])
        )
        assert api["burn_rates"] == {
            window: None if rate is None else pytest.approx(rate)
            for window, rate in mine["burn_rates"].items()
        }
        assert api["alerts"] == {"page": mine["page"], "ticket": mine["ticket"]}


# --- the document -------------------------------------------------------------------------


@needs_pango
def test_the_pdf_shows_the_figures(slos):
    content = report.build(PERIOD, {})

    pdf = report_pdf(report_html("slo", PERIOD, content))

    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert 1 <= len(reader.pages) <= 3
    for expected in (
        "SLO report",
        "Checkout · Checkout availability",
        "99.975%",  # Checkout's SLI
        "75%",  # its budget left
        "-100%",  # Search's
        "breached",
        "No events in the SLO's window.",
        f"0.40{TIMES}",  # Checkout's burn over 1h
        f"2.00{TIMES}",  # Search's
        "24 h",  # a day at risk
        "14%",  # of the week
        "1 of 3",  # SLOs met
        slos["page"].reference,
        slos["ticket"].reference,
    ):
        assert expected in text, expected
