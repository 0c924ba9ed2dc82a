"""``{% executive_dashboard %}``: the dashboard at the top of the admin's index page."""

from django import template
from django.conf import settings
from django.urls import reverse

from insights.dashboard import dashboard_for

register = template.Library()


@register.inclusion_tag("admin/dashboard/dashboard.html", takes_context=True)
def executive_dashboard(context):
    return {
        "dashboard": dashboard_for(context["request"].user),
        "status_url": reverse("admin-status"),
        "refresh_seconds": settings.DASHBOARD_REFRESH_SECONDS,
    }
