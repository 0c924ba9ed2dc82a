from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from core.admin_writes import ReadOnlyAdmin
from insights import selectors, services
from insights.models import Insight


@admin.register(Insight)
class InsightAdmin(ReadOnlyAdmin):
    """What the rules found; generated hourly, dismissed here."""

    list_display = ("title", "severity", "rule", "service", "status", "first_seen", "last_seen")
    list_filter = ("status", "severity", "rule", "service")
    search_fields = ("title", "recommendation")
    actions = ("dismiss_selected",)
    fields = (
        "title",
        "severity",
        "status",
        "rule",
        "service",
        "recommendation",
        "evidence_links",
        "figures",
        "first_seen",
        "last_seen",
        "resolved_at",
        "dismissed_at",
        "dismissed_by",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return selectors.insight_list()

    @admin.display(description="evidence")
    def evidence_links(self, insight):
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a>',
            ((row["url"], row["label"]) for row in insight.evidence if row["url"].startswith("/")),
        )

    def has_dismiss_permission(self, request):
        return request.user.has_perm("insights.change_insight")

    @admin.action(description="Dismiss selected insights", permissions=["dismiss"])
    def dismiss_selected(self, request, queryset):
        for insight in queryset:
            services.insight_dismiss(insight=insight, by=request.user)
        self.message_user(request, f"{len(queryset)} dismissed.", messages.SUCCESS)


# Reports, subscriptions and their emails have their own module.
from insights import admin_reports  # noqa: E402, F401
