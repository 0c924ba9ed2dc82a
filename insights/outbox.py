from core.outbox import OutboxKind
from insights.models import ReportDelivery
from insights.services.deliveries import report_delivery_deliver

OUTBOX_KINDS = [
    OutboxKind(
        model=ReportDelivery,
        task="insights.tasks.report_delivery_send",
        deliver=report_delivery_deliver,
        select_related=("report", "subscription"),
    ),
]
