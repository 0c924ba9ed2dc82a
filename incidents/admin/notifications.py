from django.contrib import admin

from core.admin_writes import ReadOnlyAdmin
from incidents.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "incident",
        "escalation_level",
        "user",
        "contact_method",
        "status",
        "attempts",
        "sent_at",
    )
    list_filter = ("status", "contact_method__kind")
    search_fields = ("incident__title", "user__username")
    list_select_related = ("incident", "user", "contact_method")
    # The stored level counts from 0; people see it as the timeline says it, from 1.
    fields = [
        "escalation_level" if f.name == "level" else f.name for f in Notification._meta.fields
    ]
    readonly_fields = fields

    @admin.display(description="level", ordering="level")
    def escalation_level(self, notification):
        return notification.level_label
