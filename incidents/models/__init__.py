from core.models import DeliveryStatus
from incidents.models.escalation import (
    EscalationPolicy,
    EscalationStep,
    EscalationStepSchedule,
    ServiceEscalationRule,
)
from incidents.models.incidents import Incident, IncidentSeverity, IncidentSource, IncidentStatus
from incidents.models.integrations import (
    Alert,
    AlertStatus,
    ChangeEvent,
    Integration,
    IntegrationKind,
)
from incidents.models.notifications import Notification
from incidents.models.respond import RespondLinkUse
from incidents.models.reviews import (
    ActionItem,
    ActionItemPriority,
    ActionItemStatus,
    PostIncidentReview,
    ReviewReminder,
    ReviewStatus,
)
from incidents.models.timeline import TimelineEntry, TimelineKind

__all__ = [
    "ActionItem",
    "ActionItemPriority",
    "ActionItemStatus",
    "Alert",
    "AlertStatus",
    "ChangeEvent",
    "DeliveryStatus",
    "EscalationPolicy",
    "EscalationStep",
    "EscalationStepSchedule",
    "Incident",
    "IncidentSeverity",
    "IncidentSource",
    "IncidentStatus",
    "Integration",
    "IntegrationKind",
    "Notification",
    "PostIncidentReview",
    "RespondLinkUse",
    "ReviewReminder",
    "ReviewStatus",
    "ServiceEscalationRule",
    "TimelineEntry",
    "TimelineKind",
]
