"""Every report kind rendered to PNG pages (pdftoppm, Debian poppler-utils) and kept as
test artifacts, for a person to look at: each page must be a real image with content on
it, not a blank sheet."""

import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image, ImageStat

from analytics import services as analytics_services
from insights import services
from insights.models import ReportKind, ReportStatus
from tests.factories import ServiceFactory, open_incident
from tests.insights.test_reports import needs_pango

PDFTOPPM = shutil.which("pdftoppm")
if PDFTOPPM is None and os.environ.get("CI"):
    raise RuntimeError("CI must install poppler-utils (see .ci/run)")

pytestmark = [
    pytest.mark.django_db,
    needs_pango,
    pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (poppler-utils) is not installed"),
]

END = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
START = END - timedelta(days=7)


@pytest.fixture
def data():
    checkout = ServiceFactory(name="Checkout")
    for severity in ("SEV1", "SEV2", "SEV3"):
        open_incident(checkout, title=f"Checkout {severity}", severity=severity)
    analytics_services.samples_record(
        rows=[
            {
                "metric": "orders",
                "labels": {},
                "timestamp": (START + timedelta(hours=hour)).isoformat(),
                "value": 100.0 + (hour % 24) * 3,
            }
            for hour in range(7 * 24)
        ]
    )


@pytest.mark.parametrize("kind", ReportKind.values)
def test_each_kind_renders_to_readable_pages(kind, data, artifacts):
    params = {"metric": "orders"} if kind == ReportKind.TREND else {}
    report = services.report_request(
        kind=kind, start=START, end=END, params=params, origin="command"
    )
    report = services.report_generate(report.pk)
    assert report.status == ReportStatus.DONE, report.error
    pdf = artifacts / f"report-{kind}.pdf"
    pdf.write_bytes(bytes(report.pdf))
    for old in artifacts.glob(f"report-{kind}-*.png"):
        old.unlink()

    subprocess.run(
        [PDFTOPPM, "-png", "-r", "60", str(pdf), str(artifacts / f"report-{kind}")], check=True
    )

    pages = sorted(artifacts.glob(f"report-{kind}-*.png"))
    assert 1 <= len(pages) <= 6
    for page in pages:
        with Image.open(page) as image:
            assert image.size[0] < image.size[1]  # A4, upright
            spread = ImageStat.Stat(image.convert("L")).stddev[0]
            assert spread > 5, f"{page.name} looks blank"
