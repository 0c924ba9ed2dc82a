from celery import shared_task

from core.outbox import outbox_run_task
from incidents.models import Notification, ReviewReminder
from incidents.services import escalation, notifications, review_reminders


@shared_task(ignore_result=True)
def escalations_tick():
    """Beat, every 30 s: advance due escalations; a full batch re-queues the rest."""
    if escalation.escalations_advance_due() == escalation.BATCH:
        escalations_tick.delay()


@shared_task(bind=True, ignore_result=True, max_retries=None)
def notification_send(self, notification_id):
    """Deliver one page. Idempotent: a second run finds it sent and does nothing; a
    failure is retried with backoff until the page's attempts run out."""
    return outbox_run_task(self, model=Notification, row_id=notification_id)


@shared_task(ignore_result=True)
def respond_link_uses_prune():
    """Beat, hourly: forget the uses of one-click links that have expired anyway."""
    notifications.respond_link_uses_prune()


@shared_task(ignore_result=True)
def review_reminders_queue():
    """Beat, daily: one digest per person with overdue action items or reviews."""
    review_reminders.review_reminders_queue()


@shared_task(bind=True, ignore_result=True, max_retries=None)
def review_reminder_send(self, reminder_id):
    """Deliver one digest; retried with backoff like a page."""
    return outbox_run_task(self, model=ReviewReminder, row_id=reminder_id)
