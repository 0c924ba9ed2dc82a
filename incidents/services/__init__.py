"""Every write to the incidents app goes through these functions."""

from incidents.services.alerts import alerts_ingest, change_event_record
from incidents.services.catalog import (
    service_create,
    service_delete,
    service_update,
    team_create,
    team_delete,
    team_update,
)
from incidents.services.escalation import escalation_advance, escalations_advance_due
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
    timeline_record,
)
from incidents.services.integrations import (
    IssuedIntegration,
    integration_create,
    integration_rotate_secret,
    integration_update,
)
from incidents.services.schedules import (
    calendar_feed_get_or_create,
    calendar_feed_rotate,
    override_create,
    override_delete,
    schedule_create,
    schedule_update,
)

__all__ = [
    "DuplicateOpenIncident",
    "IssuedIntegration",
    "alerts_ingest",
    "calendar_feed_get_or_create",
    "calendar_feed_rotate",
    "change_event_record",
    "escalation_advance",
    "escalations_advance_due",
    "incident_acknowledge",
    "incident_add_note",
    "incident_assign",
    "incident_change_severity",
    "incident_close",
    "incident_create",
    "incident_mitigate",
    "incident_reopen",
    "incident_resolve",
    "incident_update",
    "integration_create",
    "integration_rotate_secret",
    "integration_update",
    "override_create",
    "override_delete",
    "schedule_create",
    "schedule_update",
    "service_create",
    "service_delete",
    "service_update",
    "team_create",
    "team_delete",
    "team_update",
    "timeline_record",
]
