"""The demo's insights and report (insights/demo.py): the rules have run and last week's
executive report is done when ``seed_demo`` finishes, and seeding again adds neither."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from insights.models import Insight, InsightStatus, Report, ReportStatus
from tests.insights.test_reports import needs_pango

pytestmark = pytest.mark.django_db


@needs_pango
def test_the_demo_has_open_insights_and_last_weeks_executive_report(demo):
    assert Insight.objects.filter(status=InsightStatus.OPEN).count() >= 5
    report = Report.objects.get()
    assert (report.kind, report.status, report.origin) == (
        "executive",
        ReportStatus.DONE,
        "command",
    )
    assert report.end - report.start == timedelta(days=7)
    assert timezone.localtime(report.start).weekday() == 0  # Monday in TIME_ZONE
    assert "PDF ready" in demo.output


@needs_pango
def test_seeding_again_adds_no_insight_and_no_report(demo):
    insights = Insight.objects.count()

    call_command("seed_demo", stdout=StringIO())

    assert Report.objects.count() == 1
    assert Insight.objects.count() == insights
