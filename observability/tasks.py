from celery import shared_task

from observability import health_alerts, services


@shared_task(ignore_result=True)
def slo_evaluations_run():
    """Beat, every minute: evaluate every SLO, store the result, open or resolve the
    incidents its burn-rate alerts call for."""
    services.slo_evaluations_run()


@shared_task(ignore_result=True)
def slo_buckets_prune():
    """Beat, daily: delete SLO counts and evaluations older than SLO_RETENTION_DAYS."""
    services.slo_buckets_prune()


@shared_task(ignore_result=True)
def health_checks_run():
    """Beat, every minute: the platform's own health checks; two failures in a row open
    an incident, the first pass resolves it."""
    health_alerts.health_checks_run()
