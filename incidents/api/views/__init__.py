"""The incidents API's views, one module per concept."""

from incidents.api.views.escalation import EscalationPolicyViewSet, EscalationRuleViewSet
from incidents.api.views.incidents import IncidentViewSet
from incidents.api.views.integrations import AlertViewSet, ChangeEventViewSet, IntegrationViewSet
from incidents.api.views.reviews import ActionItemViewSet, ReviewViewSet
from incidents.api.views.services import ServiceViewSet

__all__ = [
    "ActionItemViewSet",
    "AlertViewSet",
    "ChangeEventViewSet",
    "EscalationPolicyViewSet",
    "EscalationRuleViewSet",
    "IncidentViewSet",
    "IntegrationViewSet",
    "ReviewViewSet",
    "ServiceViewSet",
]
