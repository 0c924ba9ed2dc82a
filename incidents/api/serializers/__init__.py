"""The incidents API's serializers, one module per concept."""

from incidents.api.serializers.alerts import (
    AlertSerializer,
    ChangeEventSerializer,
    alert_list_data,
)
from incidents.api.serializers.escalation import (
    EscalationPolicySerializer,
    EscalationStepSerializer,
    OncallOverviewSerializer,
    ServiceEscalationRuleSerializer,
)
from incidents.api.serializers.incidents import (
    ActionNoteSerializer,
    AssignSerializer,
    IncidentCreateSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    IncidentUpdateSerializer,
    NoteSerializer,
    ReopenSerializer,
    ResolveSerializer,
    TimelineEntrySerializer,
    incident_detail_data,
    incident_list_data,
)
from incidents.api.serializers.integrations import (
    IntegrationIssuedSerializer,
    IntegrationSerializer,
)
from incidents.api.serializers.response_times import (
    ResponseTimesQuerySerializer,
    ResponseTimesRowSerializer,
)
from incidents.api.serializers.reviews import (
    ActionItemSerializer,
    ReviewDetailSerializer,
    ReviewSerializer,
    action_item_list_data,
)
from incidents.api.serializers.services import ServiceSerializer

__all__ = [
    "ActionItemSerializer",
    "ActionNoteSerializer",
    "AlertSerializer",
    "AssignSerializer",
    "ChangeEventSerializer",
    "EscalationPolicySerializer",
    "EscalationStepSerializer",
    "IncidentCreateSerializer",
    "IncidentDetailSerializer",
    "IncidentSerializer",
    "IncidentUpdateSerializer",
    "IntegrationIssuedSerializer",
    "IntegrationSerializer",
    "NoteSerializer",
    "OncallOverviewSerializer",
    "ReopenSerializer",
    "ResolveSerializer",
    "ResponseTimesQuerySerializer",
    "ResponseTimesRowSerializer",
    "ReviewDetailSerializer",
    "ReviewSerializer",
    "ServiceEscalationRuleSerializer",
    "ServiceSerializer",
    "TimelineEntrySerializer",
    "action_item_list_data",
    "alert_list_data",
    "incident_detail_data",
    "incident_list_data",
]
