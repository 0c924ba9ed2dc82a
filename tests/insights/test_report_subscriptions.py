"""Scheduled reports: the default weekly executive report, each subscription's own beat
entry, the period a run covers, and the email (PDF attached, HTML summary) received by a
real SMTP server from a real Celery worker; a failed send retries and shows."""

import email
import email.policy
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django_celery_beat.models import PeriodicTask

from config.celery import app
from core.models import DeliveryStatus
from core.outbox import outbox_deliver, outbox_kind
from insights import services
from insights.models import Report, ReportDelivery, ReportStatus, ReportSubscription
from insights.services.subscriptions import DEFAULT_NAME, subscription_period
from tests.factories import UserFactory
from tests.insights.test_reports import needs_pango
from tests.support import Process, database_url_of_test_db, free_port, venv_bin, wait_until

pytestmark = pytest.mark.django_db


def test_migrate_installs_the_weekly_executive_report_for_monday_0800():
    subscription = ReportSubscription.objects.get(name=DEFAULT_NAME)
    task = subscription.periodic_task
    assert (subscription.kind, subscription.period, subscription.enabled) == (
        "executive",
        "week",
        True,
    )
    assert task.task == "insights.tasks.report_subscription_run"
    assert json.loads(task.kwargs) == {"subscription_id": subscription.pk}
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("0", "8", "1")
    assert str(crontab.timezone) == settings.TIME_ZONE
    # An operator's edits stay: ensuring again changes nothing.
    assert services.subscription_default_ensure() is None


def test_a_weekly_run_covers_monday_to_monday_in_the_schedules_time_zone():
    subscription = services.subscription_create(
        name="London weekly",
        kind="executive",
        period="week",
        crontab={"minute": "0", "hour": "8", "day_of_week": "1", "timezone": "Europe/London"},
    )
    london = ZoneInfo("Europe/London")
    # Monday 2026-11-02 08:00 London: the week before crosses the end of summer time.
    run = datetime(2026, 11, 2, 8, 0, tzinfo=london)

    start, end = subscription_period(subscription, run)

    assert start == datetime(2026, 10, 26, 0, 0, tzinfo=london)
    assert end == datetime(2026, 11, 2, 0, 0, tzinfo=london)
    assert end - start == timedelta(days=7)  # 24 h days in London since 25 Oct
    month = services.subscription_update(subscription=subscription, period="month")
    assert subscription_period(month, run)[0] == datetime(2026, 10, 2, 0, 0, tzinfo=london)


def test_a_subscription_reports_on_each_period_once_however_often_beat_fires():
    subscription = ReportSubscription.objects.get(name=DEFAULT_NAME)
    at = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    first = services.subscription_run(subscription_id=subscription.pk, at=at)
    again = services.subscription_run(subscription_id=subscription.pk, at=at + timedelta(minutes=5))

    assert first == again
    assert Report.objects.filter(subscription=subscription).count() == 1
    assert (first.start, first.end, first.origin) == (
        datetime(2026, 11, 16, tzinfo=UTC),
        datetime(2026, 11, 23, tzinfo=UTC),
        "schedule",
    )


def test_disabling_a_subscription_disables_its_beat_entry_and_deleting_removes_it():
    subscription = ReportSubscription.objects.get(name=DEFAULT_NAME)
    services.subscription_update(subscription=subscription, enabled=False)
    assert PeriodicTask.objects.get(pk=subscription.periodic_task_id).enabled is False
    assert services.subscription_run(subscription_id=subscription.pk) is None

    task_id = subscription.periodic_task_id
    services.subscription_delete(subscription=subscription)
    assert not PeriodicTask.objects.filter(pk=task_id).exists()


def test_recipients_must_be_email_addresses():
    with pytest.raises(ValidationError, match="recipients"):
        services.subscription_create(
            name="bad", kind="executive", period="week", recipients="ceo@example.com, not-mail"
        )
    assert not ReportSubscription.objects.filter(name="bad").exists()


def _mail(mailbox) -> email.message.EmailMessage:
    [envelope] = mailbox.messages
    return email.message_from_bytes(envelope.content, policy=email.policy.default)


@needs_pango
@pytest.mark.django_db(transaction=True)
def test_the_scheduled_email_arrives_with_the_pdf_and_an_html_summary(
    smtp_server, smtp_port, tmp_path
):
    UserFactory(roles=["Manager"], email="cto@example.com")
    UserFactory(roles=["Viewer"], email="viewer@example.com")  # not a recipient by default
    subscription = ReportSubscription.objects.get(name=DEFAULT_NAME)

    worker = Process(
        [
            venv_bin("celery"),
            "--app",
            "config",
            "worker",
            "--pool",
            "solo",
            "--queues",
            "default,reports",
            "--loglevel",
            "INFO",
        ],
        tmp_path / "worker.log",
        DATABASE_URL=database_url_of_test_db(),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
    )

    def sent():
        if ReportDelivery.objects.filter(status=DeliveryStatus.SENT).exists():
            return True
        # A worker that died (it failed to start, say) sends nothing: stop waiting then.
        assert worker.popen.poll() is None, "the worker exited"
        return False

    try:
        # What beat sends on Monday 08:00: the subscription's own task, by name.
        app.send_task("insights.tasks.report_subscription_run", args=[subscription.pk])
        try:
            wait_until(
                sent,
                timeout=120,
                message="the worker to generate the report and mail it",
            )
        except AssertionError:
            pytest.fail(worker.output()[-4000:])
    finally:
        worker.stop()

    report = Report.objects.get(subscription=subscription)
    assert report.status == ReportStatus.DONE
    assert report.end - report.start == timedelta(days=7)
    delivery = ReportDelivery.objects.get()
    assert (delivery.recipients, delivery.attempts) == (["cto@example.com"], 1)

    assert smtp_server.messages[0].rcpt_tos == ["cto@example.com"]
    mail = _mail(smtp_server)
    assert mail["Message-ID"] == f"<report-delivery-{delivery.pk}@localhost>"
    assert str(mail["Subject"]).strip().startswith(f"{settings.SITE_NAME}: Executive report, ")
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "Mean time to acknowledge" in html
    assert f"/api/insights/reports/{report.pk}/html" in html
    assert "Mean time to acknowledge" in mail.get_body(preferencelist=("plain",)).get_content()
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename().endswith(".pdf")
    assert attachment.get_content() == bytes(report.pdf)


@needs_pango
def test_a_failed_send_retries_then_gives_up_and_shows_then_sends_again(
    smtp_server, smtp_port, settings, client
):
    UserFactory(roles=["Manager"], email="cto@example.com")
    subscription = ReportSubscription.objects.get(name=DEFAULT_NAME)
    report = services.subscription_run(
        subscription_id=subscription.pk, at=datetime(2026, 11, 23, 8, tzinfo=UTC)
    )
    services.report_generate(report.pk)
    delivery = ReportDelivery.objects.get(report=report)
    kind = outbox_kind(ReportDelivery)

    settings.EMAIL_PORT = free_port()  # nothing listens there: the SMTP server is down
    outcome = outbox_deliver(kind=kind, row_id=delivery.pk)

    assert outcome.result == "retry"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert "Connection refused" in delivery.last_error
    for _ in range(kind.max_attempts - 1):
        ReportDelivery.objects.filter(pk=delivery.pk).update(retry_at=None)
        outbox_deliver(kind=kind, row_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, kind.max_attempts)

    # The admin shows it failed, with the error, and a Manager sends it again.
    manager = UserFactory(roles=["Manager"], is_staff=True)
    client.force_login(manager)
    listing = client.get("/admin/insights/reportdelivery/?status__exact=failed").content.decode()
    assert "Connection refused" in listing
    client.post(
        "/admin/insights/reportdelivery/",
        {"action": "send_again", "_selected_action": [delivery.pk]},
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)

    settings.EMAIL_PORT = smtp_port  # the server is back
    assert outbox_deliver(kind=kind, row_id=delivery.pk).result == "sent"
    assert len(smtp_server.messages) == 1


def test_the_admin_subscribes_and_moves_the_schedule(client):
    client.force_login(UserFactory(roles=["Manager"], is_staff=True))
    form = {
        "name": "Daily SLO report",
        "kind": "slo",
        "period": "day",
        "params": "{}",
        "recipients": "sre@example.com\nlead@example.com",
        "enabled": "on",
        "minute": "30",
        "hour": "7",
        "day_of_week": "*",
        "day_of_month": "*",
        "month_of_year": "*",
        "time_zone": "Europe/London",
        "deliveries-TOTAL_FORMS": "0",
        "deliveries-INITIAL_FORMS": "0",
    }

    answer = client.post("/admin/insights/reportsubscription/add/", form)

    assert answer.status_code == 302, answer.content.decode()[-3000:]
    subscription = ReportSubscription.objects.get(name="Daily SLO report")
    crontab = subscription.periodic_task.crontab
    assert (crontab.minute, crontab.hour, str(crontab.timezone)) == ("30", "7", "Europe/London")
    assert subscription.recipient_list() == ["sre@example.com", "lead@example.com"]

    page = client.get(f"/admin/insights/reportsubscription/{subscription.pk}/change/")
    assert page.status_code == 200
    answer = client.post(
        f"/admin/insights/reportsubscription/{subscription.pk}/change/", {**form, "hour": "9"}
    )
    assert answer.status_code == 302
    crontab = ReportSubscription.objects.get(pk=subscription.pk).periodic_task.crontab
    assert (crontab.minute, crontab.hour, str(crontab.timezone)) == ("30", "9", "Europe/London")

    listing = client.get("/admin/insights/reportsubscription/").content.decode()
    assert "Daily SLO report" in listing
    assert "sre@example.com, lead@example.com" in listing


def test_the_admin_refuses_a_schedule_cron_cannot_read(client):
    client.force_login(UserFactory(roles=["Manager"], is_staff=True))
    answer = client.post(
        "/admin/insights/reportsubscription/add/",
        {
            "name": "Broken",
            "kind": "executive",
            "period": "week",
            "params": "{}",
            "minute": "99",
            "hour": "8",
            "day_of_week": "1",
            "day_of_month": "*",
            "month_of_year": "*",
            "time_zone": "Mars/Olympus",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )
    assert answer.status_code == 200
    assert b"Not a valid schedule" in answer.content
    assert not ReportSubscription.objects.filter(name="Broken").exists()
