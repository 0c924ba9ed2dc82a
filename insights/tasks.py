from celery import shared_task

from core.outbox import outbox_run_task
from insights import services
from insights.models import ReportDelivery


@shared_task(ignore_result=True)
def insights_generate():
    """Beat, hourly: run every insight rule and reconcile the stored insights."""
    result = services.insights_generate()
    return {key: result[key] for key in ("created", "updated", "resolved")}


@shared_task(ignore_result=True)
def report_generate(report_id):
    """Generate one report (the ``reports`` queue); a failure is kept on the report."""
    report = services.report_generate(report_id)
    return report.status if report else "skipped"


@shared_task(ignore_result=True)
def report_subscription_run(subscription_id):
    """Beat, on each subscription's own schedule: ask for the period's report."""
    report = services.subscription_run(subscription_id=subscription_id)
    return report.pk if report else None


@shared_task(bind=True, ignore_result=True, max_retries=None)
def report_delivery_send(self, delivery_id):
    """Email one report; retried with backoff like a page."""
    return outbox_run_task(self, model=ReportDelivery, row_id=delivery_id)


@shared_task(ignore_result=True)
def reports_sweep():
    """Beat: generate again the reports whose task was lost."""
    return services.reports_sweep()
