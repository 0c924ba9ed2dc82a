from celery import shared_task

from insights import services


@shared_task(ignore_result=True)
def insights_generate():
    """Beat, hourly: run every insight rule and reconcile the stored insights."""
    result = services.insights_generate()
    return {key: result[key] for key in ("created", "updated", "resolved")}
