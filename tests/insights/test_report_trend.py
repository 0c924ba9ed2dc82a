"""The trend report on a stored series with a known slope and a daily cycle: its points,
line and linear forecast against a computation done here (a plain loop for the buckets,
np.polyfit and scipy's t distribution for the fit and the prediction interval), every
figure against GET /api/analytics/trends for the same metric, labels and period, the
unknown metric failing the report with its message, and the PDF's text."""

import io
import math
import os
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import numpy as np
import pypdf
import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient
from scipy import stats

from analytics import services as analytics_services
from analytics.selectors import UnknownMetric, series_find
from insights import services
from insights.models import Report, ReportStatus
from insights.reports.document import Period
from insights.reports.kinds import trend
from insights.reports.render import report_html, report_pdf
from tests.factories import UserFactory

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
needs_pango = pytest.mark.skipif(PANGO_MISSING, reason="Pango is not installed")

DAY = 86400
START = datetime(2026, 11, 2, tzinfo=UTC)
END = datetime(2026, 11, 9, tzinfo=UTC)  # seven days: hourly points, one day of forecast
PERIOD = Period(START, END)
PARAMS = {"metric": "orders_per_hour", "labels": {"region": "eu"}}


def eu_samples() -> list[tuple[float, float]]:
    """Every 30 minutes from two days before the period to one after: rising 2 a day,
    a daily cycle of ±3, and half an order more on the half hour."""
    first = START - timedelta(days=2)
    rows = []
    for i in range(11 * 48):
        at = first + timedelta(minutes=30 * i)
        days = (at - START).total_seconds() / DAY
        value = 100 + 2 * days + 3 * math.sin(2 * math.pi * at.hour / 24) + 0.5 * (i % 2)
        rows.append((at.timestamp(), round(value, 6)))
    return rows


@pytest.fixture
def orders():
    eu = eu_samples()
    rows = [
        {"metric": "orders_per_hour", "labels": {"region": "eu"}, "timestamp": at, "value": v}
        for at, v in eu
    ]
    # Another region of the same metric, far off: the labels keep it out.
    rows += [
        {"metric": "orders_per_hour", "labels": {"region": "us"}, "timestamp": at, "value": 9000.0}
        for at, _ in eu
    ]
    analytics_services.samples_record(
        rows=[
            {**row, "timestamp": datetime.fromtimestamp(row["timestamp"], UTC).isoformat()}
            for row in rows
        ]
    )
    analytics_services.series_update(
        series=series_find("orders_per_hour", {"region": "eu"}),
        unit="orders/h",
        description="Orders completed per hour.",
        higher_is_better=True,
    )
    return eu


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Manager"]))
    return client


def hourly_by_hand(samples):
    """Hour buckets of the period's samples, the mean of each: a plain loop."""
    buckets = defaultdict(list)
    for at, value in samples:
        if START.timestamp() <= at < END.timestamp():
            buckets[at // 3600 * 3600].append(value)
    return [(hour, sum(values) / len(values)) for hour, values in sorted(buckets.items())]


def test_the_grid_is_hourly_up_to_a_quarter_and_looks_a_quarter_ahead():
    def grid(days):
        return trend.grid(Period(START, START + timedelta(days=days)))

    assert grid(1) == (3600, DAY)
    assert grid(7) == (3600, DAY)
    assert grid(30) == (3600, 7 * DAY)
    assert grid(92) == (3600, 23 * DAY)
    assert grid(93) == (DAY, 23 * DAY)
    assert grid(400) == (DAY, 100 * DAY)


def test_the_figures_are_worked_out_from_the_samples(orders):
    content = trend.build(PERIOD, PARAMS)
    figures = content.figures

    points = hourly_by_hand(orders)
    t = np.array([at for at, _ in points])
    y = np.array([value for _, value in points])
    x = (t - t[0]) / DAY
    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (intercept + slope * x)
    n, sxx = len(x), float(np.sum((x - x.mean()) ** 2))
    s = math.sqrt(float(residuals @ residuals) / (n - 2))
    p_value = 2 * stats.t.sf(abs(slope / (s / math.sqrt(sxx))), n - 2)

    assert content.title == "Trend: orders_per_hour{region=eu}"
    assert figures["name"] == "orders_per_hour{region=eu}"
    assert (figures["unit"], figures["higher_is_better"], figures["builtin"]) == (
        "orders/h",
        True,
        False,
    )
    assert figures["interval_seconds"] == 3600
    assert figures["horizon_seconds"] == DAY
    assert figures["samples"] == 7 * 48
    assert figures["points"] == 7 * 24
    assert figures["first"]["value"] == pytest.approx(y[0])
    assert figures["latest"] == {
        "timestamp": datetime(2026, 11, 8, 23, tzinfo=UTC).isoformat(),
        "value": pytest.approx(y[-1]),
    }
    assert figures["mean"] == pytest.approx(y.mean())
    assert (figures["min"], figures["max"]) == (pytest.approx(y.min()), pytest.approx(y.max()))
    assert figures["change"] == pytest.approx(y[-1] - y[0])
    assert figures["change_ratio"] == pytest.approx((y[-1] - y[0]) / y[0])

    line = figures["trend"]
    assert line["slope_per_day"] == pytest.approx(slope, rel=1e-9)
    # The series rises 2 a day; its cycle, falling through each day's second half, pulls
    # the least-squares slope a little under that.
    assert line["slope_per_day"] == pytest.approx(2, abs=0.2)
    assert line["intercept"] == pytest.approx(intercept, rel=1e-9)
    assert line["p_value"] == pytest.approx(p_value, rel=1e-6, abs=1e-300)
    assert line["significant"] is True
    assert line["direction"] == "increasing"

    # The linear forecast a day after the last point, with the OLS prediction interval.
    x0 = (t[-1] + DAY - t[0]) / DAY
    value = intercept + slope * x0
    half = stats.t.ppf(0.975, n - 2) * s * math.sqrt(1 + 1 / n + (x0 - x.mean()) ** 2 / sxx)
    linear = figures["forecast"]["linear"]
    assert linear["timestamp"] == datetime(2026, 11, 9, 23, tzinfo=UTC).isoformat()
    assert linear["value"] == pytest.approx(value, rel=1e-9)
    assert (linear["lower"], linear["upper"]) == (
        pytest.approx(value - half, rel=1e-9),
        pytest.approx(value + half, rel=1e-9),
    )
    for method in ("moving_average", "holt_winters"):
        point = figures["forecast"][method]
        assert point["lower"] <= point["value"] <= point["upper"]
    assert content.context["chart"].startswith("data:image/svg+xml;base64,")


def test_the_figures_are_what_the_trends_api_answers(orders, manager):
    figures = trend.build(PERIOD, PARAMS).figures

    answer = manager.get(
        "/api/analytics/trends",
        {
            "metric": "orders_per_hour",
            "labels": "region=eu",
            "start": START.isoformat(),
            "end": END.isoformat(),
            "interval": "1h",
            "horizon": "1d",
        },
    )

    assert answer.status_code == 200, answer.content
    api = answer.json()
    assert figures["samples"] == api["samples"]
    assert figures["interval_seconds"] == api["interval_seconds"]
    for name in ("slope_per_day", "intercept", "r_squared", "p_value", "direction"):
        assert figures["trend"][name] == api[name], name
    assert figures["trend"]["season_points"] == api["season_points"] == 24
    values = [point["value"] for point in api["points"]]
    assert figures["points"] == len(values)
    assert figures["latest"]["value"] == values[-1]
    assert figures["first"]["value"] == values[0]
    assert figures["mean"] == pytest.approx(sum(values) / len(values), rel=1e-12)

    def moment(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    assert moment(figures["latest"]["timestamp"]) == moment(api["points"][-1]["timestamp"])
    for method, points in api["forecast"].items():
        last = points[-1]
        mine = figures["forecast"][method]
        assert moment(mine["timestamp"]) == moment(last["timestamp"]), method
        assert (mine["value"], mine["lower"], mine["upper"]) == (
            last["value"],
            last["lower"],
            last["upper"],
        ), method


def test_a_built_in_metric_needs_no_stored_series():
    content = trend.build(PERIOD, {"metric": "vigil_incidents", "labels": {"severity": "SEV1"}})

    assert content.title == "Trend: vigil_incidents{severity=SEV1}"
    assert content.figures["builtin"] is True
    assert content.figures["unit"] == "incidents"
    assert content.figures["points"] == 7  # one a day, the quiet days as zeros
    assert content.figures["mean"] == 0
    assert content.figures["trend"]["slope_per_day"] == 0


def test_a_metric_that_does_not_exist_is_refused_when_asked():
    with pytest.raises(UnknownMetric, match="No series nope with labels"):
        trend.build(PERIOD, {"metric": "nope"})

    with pytest.raises(ValidationError, match="No metric nope"):
        services.report_request(
            kind="trend", start=START, end=END, params={"metric": "nope"}, origin="command"
        )
    assert not Report.objects.exists()


def test_a_series_deleted_before_its_report_is_generated_fails_it_with_its_message():
    analytics_services.samples_record(
        rows=[{"metric": "gone", "labels": {}, "timestamp": START.isoformat(), "value": 1.0}]
    )
    report = services.report_request(
        kind="trend", start=START, end=END, params={"metric": "gone"}, origin="command"
    )
    analytics_services.series_delete(series=series_find("gone", {}))

    report = services.report_generate(report.pk)

    assert report.status == ReportStatus.FAILED
    assert report.error == "UnknownMetric: No series gone with labels {}."
    assert report.figures == {}


def test_a_label_a_built_in_metric_does_not_take_fails_the_report():
    report = services.report_request(
        kind="trend",
        start=START,
        end=END,
        params={"metric": "vigil_incidents", "labels": {"region": "eu"}},
        origin="command",
    )
    report = services.report_generate(report.pk)

    assert report.status == ReportStatus.FAILED
    assert (
        report.error
        == "ValueError: vigil_incidents has no label region (it takes severity, service)."
    )


def test_the_report_service_stores_the_figures(orders):
    report = services.report_request(
        kind="trend", start=START, end=END, params=PARAMS, origin="command"
    )

    report = services.report_generate(report.pk)

    assert report.status == ReportStatus.DONE, report.error
    assert report.title == "Trend: orders_per_hour{region=eu}"
    assert report.figures == trend.build(PERIOD, PARAMS).figures


def test_a_period_without_samples_says_so(orders):
    early = Period(START - timedelta(days=30), START - timedelta(days=20))

    content = trend.build(early, PARAMS)

    assert content.figures["points"] == 0
    assert content.figures["latest"] is None
    assert content.figures["forecast"] == dict.fromkeys(
        ("linear", "moving_average", "holt_winters")
    )
    assert content.context["chart"] is None
    assert "No samples of orders_per_hour{region=eu} in this period." in report_html(
        "trend", early, content
    )


@needs_pango
def test_the_pdf_shows_the_figures(orders):
    content = trend.build(PERIOD, PARAMS)
    figures = content.figures

    pdf = pypdf.PdfReader(io.BytesIO(report_pdf(report_html("trend", PERIOD, content))))

    # Words as read, whatever line a table cell broke them onto.
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert len(pdf.pages) == 1
    holt_winters = figures["forecast"]["holt_winters"]
    for expected in (
        "Trend: orders_per_hour{region=eu}",
        "Orders completed per hour.",
        f"{figures['latest']['value']:.4g}",
        f"+{figures['trend']['slope_per_day']:.4g} orders/h a day",
        f"{holt_winters['value']:.4g}",
        f"{holt_winters['lower']:.4g} to {holt_winters['upper']:.4g}",
        "increasing",
        "< 0.001",
        "Holt-Winters",
        "Moving average",
    ):
        assert expected in text, expected
