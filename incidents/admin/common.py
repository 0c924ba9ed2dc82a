from django.utils.html import format_html

from incidents.models import IncidentSeverity, IncidentStatus

SEVERITY_COLOURS = {
    IncidentSeverity.SEV1: "#b91c1c",
    IncidentSeverity.SEV2: "#c2410c",
    IncidentSeverity.SEV3: "#a16207",
    IncidentSeverity.SEV4: "#4b5563",
}
STATUS_COLOURS = {
    IncidentStatus.TRIGGERED: "#b91c1c",
    IncidentStatus.ACKNOWLEDGED: "#c2410c",
    IncidentStatus.MITIGATED: "#1d4ed8",
    IncidentStatus.RESOLVED: "#15803d",
    IncidentStatus.CLOSED: "#4b5563",
}


def badge(text, colour):
    return format_html(
        '<span style="background:{};color:#fff;padding:2px 8px;border-radius:10px;'
        'font-weight:600;white-space:nowrap">{}</span>',
        colour,
        text,
    )
