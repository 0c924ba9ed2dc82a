from celery import shared_task

from core.outbox import outbox_run_task
from webhooks.models import WebhookDelivery


@shared_task(bind=True, ignore_result=True, max_retries=None)
def webhook_deliver(self, delivery_id):
    """Post one outgoing webhook delivery; idempotent, retried with backoff."""
    return outbox_run_task(self, model=WebhookDelivery, row_id=delivery_id)
