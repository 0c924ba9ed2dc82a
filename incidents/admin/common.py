from django.utils.html import format_html

from core.net import is_http_url
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


def external_link(url, text):
    """A link that opens ``url`` in a new tab if it is an http(s) URL; anything else
    (``javascript:``, ``data:``...) is shown as plain text, never as a link."""
    if not url:
        return "—"
    if not isinstance(url, str) or not is_http_url(url):
        return str(url)  # escaped by the admin
    return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', url, text)
