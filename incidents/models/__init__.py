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
from incidents.models.timeline import TimelineEntry, TimelineKind

__all__ = [
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
    "RespondLinkUse",
    "ServiceEscalationRule",
    "TimelineEntry",
    "TimelineKind",
]
