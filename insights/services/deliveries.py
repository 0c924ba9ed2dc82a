"""Scheduled report emails, sent through the outbox: the PDF attached, a short HTML
summary in the body, the same Message-ID on every attempt."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from core.models import DeliveryStatus
from core.outbox import outbox_enqueue, outbox_kind
from insights.models import ReportDelivery
from insights.reports.document import Period
from insights.reports.kinds import kind_module


def _headline(report) -> list[tuple[str, str]]:
    headline = getattr(kind_module(report.kind), "headline", None)
    return headline(report.figures) if headline else []


def report_email(delivery: ReportDelivery) -> EmailMultiAlternatives:
    report = delivery.report
    period = Period(report.start, report.end)
    site_url = settings.SITE_URL.rstrip("/")
    context = {
        "site_name": settings.SITE_NAME,
        "report": report,
        "period": period,
        "time_zone": settings.TIME_ZONE,
        "headline": _headline(report),
        "report_url": f"{site_url}/api/insights/reports/{report.pk}/html",
        "admin_url": f"{site_url}/admin/insights/report/{report.pk}/change/",
        "subscription": delivery.subscription,
    }
    message = EmailMultiAlternatives(
        subject=f"{settings.SITE_NAME}: {report.title}, {period.label}",
        body=render_to_string("reports/email_summary.txt", context),
        to=delivery.recipients,
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
        headers={"Message-ID": f"<report-delivery-{delivery.pk}@{_mail_domain()}>"},
    )
    message.attach_alternative(render_to_string("reports/email_summary.html", context), "text/html")
    start = period.start.astimezone(period.zone).date().isoformat()
    message.attach(
        f"{settings.SITE_NAME.lower()}-{report.kind}-{start}.pdf",
        bytes(report.pdf),
        "application/pdf",
    )
    return message


def _mail_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def report_delivery_deliver(delivery: ReportDelivery) -> None:
    """Send one report email (the outbox's ``deliver``); raises on failure."""
    report_email(delivery).send()


@transaction.atomic
def report_delivery_retry(*, delivery: ReportDelivery) -> bool:
    """Send a failed delivery again, with a fresh set of attempts."""
    updated = ReportDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING,
        attempts=0,
        retry_at=None,
        claimed_until=None,
        created_at=timezone.now(),
    )
    if updated:
        outbox_enqueue(kind=outbox_kind(ReportDelivery), ids=[delivery.pk])
    return bool(updated)
