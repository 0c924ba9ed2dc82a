from celery import shared_task

from core.health import BEAT_HEARTBEAT
from core.services import heartbeat_record


@shared_task(ignore_result=True)
def beat_heartbeat():
    """Sent by beat every 30 s and run by a worker: its last run tells /readyz that the
    whole clock path (beat, broker, worker, database) is alive."""
    heartbeat_record(name=BEAT_HEARTBEAT)


@shared_task(ignore_result=True)
def outbox_sweep():
    """Beat, every minute: re-enqueue outbox rows (pages, webhook deliveries) still
    pending after their grace period, so a broker outage delays them but loses none."""
    from core.outbox import outbox_sweep as sweep

    sweep()
