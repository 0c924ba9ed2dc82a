"""The incidents app's admin, one module per concept."""

from django.contrib import admin

from incidents.admin import (
    escalation,
    incidents,
    integrations,
    notifications,
    oncall_now,
    reviews,
)

__all__ = ["escalation", "incidents", "integrations", "notifications", "oncall_now", "reviews"]

oncall_now.link_from_schedule_list(admin.site)
