from django.contrib import admin

from incidents.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # A record of what happened: kept, like the timeline.
        return False
