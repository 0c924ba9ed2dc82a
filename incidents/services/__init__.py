"""Every write to the incidents app goes through these functions."""

from incidents.services.alerts import alerts_ingest, change_event_record
from incidents.services.escalation import (
    escalation_advance,
    escalation_rule_delete,
    escalation_rule_set,
    escalation_rule_update,
    escalations_advance_due,
    incident_escalate,
    policy_delete,
    policy_save,
)
from incidents.services.incidents import (
    DuplicateOpenIncident,
    incident_acknowledge,
    incident_add_note,
    incident_assign,
    incident_change_severity,
    incident_close,
    incident_create,
    incident_mitigate,
    incident_reopen,
    incident_resolve,
    incident_update,
)
from incidents.services.integrations import (
    IssuedIntegration,
    integration_create,
    integration_delete,
    integration_rotate_secret,
    integration_update,
)
from incidents.services.timeline import timeline_record

__all__ = [
    "DuplicateOpenIncident",
    "IssuedIntegration",
    "alerts_ingest",
    "change_event_record",
    "escalation_advance",
    "escalation_rule_delete",
    "escalation_rule_set",
    "escalation_rule_update",
    "escalations_advance_due",
    "incident_acknowledge",
    "incident_add_note",
    "incident_assign",
    "incident_change_severity",
    "incident_close",
    "incident_create",
    "incident_escalate",
    "incident_mitigate",
    "incident_reopen",
    "incident_resolve",
    "incident_update",
    "integration_create",
    "integration_delete",
    "integration_rotate_secret",
    "integration_update",
    "policy_delete",
    "policy_save",
    "timeline_record",
]
