from django.contrib import admin

from core.admin_writes import ReadOnlyAdmin
from incidents import selectors
from incidents.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "incident",
        "escalation_level",
        "user",
        "contact",
        "status",
        "attempts",
        "sent_at",
    )
    list_filter = ("status", "contact_method__kind")
    search_fields = ("incident__title", "user__username")
    # Every page ever sent stays here: counting the whole table again beside the
    # filtered count would cost a scan of it on each view of a filtered list.
    show_full_result_count = False
    # The stored level counts from 0; people see it as the timeline says it, from 1.
    fields = [
        "escalation_level" if f.name == "level" else f.name for f in Notification._meta.fields
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return selectors.notification_list()

    @admin.display(description="level", ordering="level")
    def escalation_level(self, notification):
        return notification.level_label

    @admin.display(description="contact method", ordering="contact_method__kind")
    def contact(self, notification):
        # The method's own name repeats its owner, who has a column of their own (and
        # would cost a query per row).
        method = notification.contact_method
        return f"{method.kind}: {method.address}"
