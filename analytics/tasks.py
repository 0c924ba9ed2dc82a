from celery import shared_task

from analytics import services


@shared_task(ignore_result=True)
def samples_prune():
    """Beat, daily: delete metric samples older than METRIC_RETENTION_DAYS, and usage
    counts older than USAGE_RETENTION_DAYS."""
    services.samples_prune()
    services.usage_prune()


@shared_task(ignore_result=True)
def anomalies_scan():
    """Beat, every 5 minutes: scan the samples stored since the last scan."""
    result = services.anomalies_scan()
    return {"series_scanned": result["series_scanned"], "anomalies": len(result["anomalies"])}


@shared_task(ignore_result=True)
def sources_pull():
    """Beat, every minute: pull the metric sources that are due from Prometheus."""
    return services.sources_pull_due()


@shared_task(ignore_result=True)
def worker_memory_record():
    """Beat, every 5 minutes: store the resident memory of the worker process that runs
    it as a sample of vigil_worker_memory_bytes{host=...}."""
    return services.worker_memory_record()
