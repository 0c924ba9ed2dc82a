"""The incidents app's admin, one module per concept."""

from incidents.admin import escalation, incidents, integrations, notifications, reviews

__all__ = ["escalation", "incidents", "integrations", "notifications", "reviews"]
