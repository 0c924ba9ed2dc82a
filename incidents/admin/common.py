from django.utils import timezone
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


def local_time(value, *, now=None):
    """An aware datetime in the viewer's time zone, with the zone's abbreviation:
    "27 Nov 14:05 GMT". The active zone: the viewer's browser zone where it told us
    (``core.viewer_time_zone``), else ``settings.TIME_ZONE``. The year is shown only
    when it is not the current one."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    current_year = timezone.localtime(now or timezone.now()).year
    pattern = "%b %H:%M %Z" if local.year == current_year else "%b %Y %H:%M %Z"
    return f"{local.day} {local.strftime(pattern)}"


_DURATION_UNITS = (("d", 86400), ("h", 3600), ("min", 60))


def duration_text(seconds):
    """A duration as a person reads it: its two largest units, "2 h 14 min", "3 d 4 h"."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "< 1 min"
    parts = []
    for unit, size in _DURATION_UNITS:
        amount, seconds = divmod(seconds, size)
        if amount or parts:
            parts.append((amount, unit))
    parts = parts[:2]
    if len(parts) == 2 and parts[1][0] == 0:
        parts = parts[:1]
    return " ".join(f"{amount} {unit}" for amount, unit in parts)
