from incidents.models.incidents import Incident, Severity, Source, Status
from incidents.models.teams import Service, Team, Tier
from incidents.models.timeline import TimelineEntry, TimelineKind

__all__ = [
    "Incident",
    "Service",
    "Severity",
    "Source",
    "Status",
    "Team",
    "Tier",
    "TimelineEntry",
    "TimelineKind",
]
