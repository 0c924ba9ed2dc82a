from django.contrib import admin

from core.admin_writes import ReadOnlyAdmin
from incidents.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "incident",
        "level",
        "user",
        "contact_method",
        "status",
        "attempts",
        "sent_at",
    )
    list_filter = ("status", "contact_method__kind")
    search_fields = ("incident__title", "user__username")
    list_select_related = ("incident", "user", "contact_method")
    readonly_fields = [f.name for f in Notification._meta.fields]
