from incidents.models.escalation import (
    ContactKind,
    ContactMethod,
    EscalationPolicy,
    EscalationStep,
    Notification,
    NotificationStatus,
    ServiceEscalationRule,
)
from incidents.models.incidents import Incident, Severity, Source, Status
from incidents.models.integrations import (
    Alert,
    AlertStatus,
    ChangeEvent,
    Integration,
    IntegrationKind,
)
from incidents.models.schedules import (
    CalendarFeed,
    LayerMember,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
)
from incidents.models.teams import Service, Team, Tier
from incidents.models.timeline import TimelineEntry, TimelineKind
from incidents.models.webhooks import WEBHOOK_EVENTS, OutgoingWebhook, WebhookDelivery

__all__ = [
    "WEBHOOK_EVENTS",
    "Alert",
    "AlertStatus",
    "CalendarFeed",
    "ChangeEvent",
    "ContactKind",
    "ContactMethod",
    "EscalationPolicy",
    "EscalationStep",
    "Incident",
    "Integration",
    "IntegrationKind",
    "LayerMember",
    "Notification",
    "NotificationStatus",
    "OutgoingWebhook",
    "Schedule",
    "ScheduleLayer",
    "ScheduleOverride",
    "Service",
    "ServiceEscalationRule",
    "Severity",
    "Source",
    "Status",
    "Team",
    "Tier",
    "TimelineEntry",
    "TimelineKind",
    "WebhookDelivery",
]
