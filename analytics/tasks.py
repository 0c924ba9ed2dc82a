from celery import shared_task

from analytics import services


@shared_task(ignore_result=True)
def samples_prune():
    """Beat, daily: delete metric samples older than METRIC_RETENTION_DAYS."""
    services.samples_prune()
