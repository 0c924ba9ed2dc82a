"""Demo insights and a report: the rules run over the demo data (as the hourly beat task
would), and last week's executive report is generated, so the dashboard and the reports
list have something to show from the first start."""

from datetime import timedelta

from django.utils import timezone

from insights import services
from insights.models import Report, ReportKind, ReportOrigin, ReportStatus


def seed(*, stdout) -> None:
    result = services.insights_generate()
    stdout.write(
        f"  insights: {len(result['insights'])} open "
        f"({result['created']} new, {result['resolved']} resolved)"
    )
    # Last week, Monday to Monday in TIME_ZONE, as the weekly subscription reports it.
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    end = today - timedelta(days=today.weekday())
    start = end - timedelta(days=7)
    if Report.objects.filter(kind=ReportKind.EXECUTIVE, start=start, end=end).exists():
        return
    report = services.report_request(
        kind=ReportKind.EXECUTIVE, start=start, end=end, origin=ReportOrigin.COMMAND
    )
    # Generated here rather than by the worker: the demo's first page shows it done.
    report = services.report_generate(report.pk)
    if report.status == ReportStatus.DONE:
        stdout.write(f"  report: {report} for {start:%d %b} to {end:%d %b}, PDF ready")
    else:
        stdout.write(f"  report: {report} failed: {report.error}")
