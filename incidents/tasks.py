from datetime import timedelta

from celery import shared_task

from incidents.services import escalation, notifications, webhooks

MAX_SEND_RETRIES = 6


@shared_task(ignore_result=True)
def escalations_tick():
    """Beat, every 30 s: advance due escalations; a full batch re-queues the rest."""
    if escalation.escalations_advance_due() == escalation.BATCH:
        escalations_tick.delay()


@shared_task(bind=True, ignore_result=True, max_retries=MAX_SEND_RETRIES)
def notification_send(self, notification_id):
    """Deliver one page. Idempotent: a second run finds it sent and does nothing."""
    try:
        notifications.notification_send(notification_id=notification_id)
    except notifications.SendFailed as exc:
        if self.request.retries >= self.max_retries:
            notifications.notification_give_up(notification_id=notification_id)
            return
        # 10 s, 20 s, 40 s ... capped at 5 minutes.
        raise self.retry(exc=exc, countdown=min(10 * 2**self.request.retries, 300)) from exc


@shared_task(bind=True, ignore_result=True, max_retries=MAX_SEND_RETRIES)
def webhook_deliver(self, delivery_id):
    """Post one outgoing webhook delivery; idempotent like notification_send."""
    try:
        webhooks.webhook_deliver(delivery_id=delivery_id)
    except webhooks.DeliveryFailed as exc:
        if self.request.retries >= self.max_retries:
            webhooks.webhook_give_up(delivery_id=delivery_id)
            return
        raise self.retry(exc=exc, countdown=min(10 * 2**self.request.retries, 300)) from exc


@shared_task(ignore_result=True)
def notifications_sweep():
    """Beat, every minute: re-enqueue pages still pending after two minutes, so a broker
    outage or a lost task delays a page but never loses it."""
    for notification_id in notifications.notifications_pending_since(
        older_than=timedelta(minutes=2)
    ):
        notification_send.delay(notification_id)
