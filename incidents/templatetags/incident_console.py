"""The incident page's small formatting tags, shared with the admin's list columns."""

from django import template
from django.utils import timezone

from core.models import DeliveryStatus
from incidents.admin.common import (
    SEVERITY_COLOURS,
    STATUS_COLOURS,
    badge,
    duration_text,
)
from incidents.admin.common import (
    external_link as _external_link,
)
from incidents.admin.common import (
    local_time as _local_time,
)

register = template.Library()

DELIVERY_COLOURS = {
    DeliveryStatus.PENDING: "#a16207",
    DeliveryStatus.SENT: "#15803d",
    DeliveryStatus.FAILED: "#b91c1c",
}


@register.simple_tag
def severity_badge(incident):
    return badge(incident.severity, SEVERITY_COLOURS.get(incident.severity, "#4b5563"))


@register.simple_tag
def status_badge(incident):
    return badge(incident.get_status_display(), STATUS_COLOURS.get(incident.status, "#4b5563"))


@register.simple_tag
def delivery_badge(status):
    return badge(status, DELIVERY_COLOURS.get(status, "#4b5563"))


@register.simple_tag
def local_time(value):
    return _local_time(value)


@register.simple_tag
def until(value):
    """ "in 4 min" or "2 min overdue" (the beat task fires within its tick)."""
    seconds = (value - timezone.now()).total_seconds()
    if seconds >= 0:
        return f"in {duration_text(seconds)}"
    return f"{duration_text(-seconds)} overdue"


@register.simple_tag
def duration(value):
    return duration_text(value.total_seconds())


@register.simple_tag
def external_link(url, text):
    return _external_link(url, text)
