"""The site's name for templates that get no context of ours (DRF's browsable API)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def site_name() -> str:
    return settings.SITE_NAME
