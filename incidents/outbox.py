from core.outbox import OutboxKind
from incidents.models import Notification, ReviewReminder
from incidents.services.notifications import (
    notification_attempted,
    notification_deliver,
    notification_gave_up,
)
from incidents.services.review_reminders import review_reminder_deliver

OUTBOX_KINDS = [
    OutboxKind(
        model=Notification,
        task="incidents.tasks.notification_send",
        deliver=notification_deliver,
        on_attempt=notification_attempted,
        on_give_up=notification_gave_up,
        select_related=("incident__service", "contact_method", "user"),
    ),
    OutboxKind(
        model=ReviewReminder,
        task="incidents.tasks.review_reminder_send",
        deliver=review_reminder_deliver,
    ),
]
