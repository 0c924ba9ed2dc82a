"""Every write to the insights app goes through these functions."""

from insights.services.deliveries import report_delivery_deliver, report_delivery_retry
from insights.services.insights import insight_dismiss, insights_generate
from insights.services.reports import report_delete, report_generate, report_request, reports_sweep
from insights.services.subscriptions import (
    subscription_create,
    subscription_default_ensure,
    subscription_delete,
    subscription_run,
    subscription_update,
)

__all__ = [
    "insight_dismiss",
    "insights_generate",
    "report_delete",
    "report_delivery_deliver",
    "report_delivery_retry",
    "report_generate",
    "report_request",
    "reports_sweep",
    "subscription_create",
    "subscription_default_ensure",
    "subscription_delete",
    "subscription_run",
    "subscription_update",
]
