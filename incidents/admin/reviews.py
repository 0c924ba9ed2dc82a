from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.admin_writes import ReadOnlyAdmin, ServiceWritesAdmin, ServiceWritesInline
from core.errors import DomainError
from incidents import selectors
from incidents.admin.common import badge
from incidents.models import ActionItem, PostIncidentReview, ReviewReminder, ReviewStatus
from incidents.models.reviews import FINISHED_ACTION_STATUSES, NARRATIVE_FIELDS
from incidents.reviews_export import figure_rows
from incidents.services import reviews as services


def _overdue_mark(overdue: bool):
    # Only the late ones are marked: a column of "no" icons would hide them.
    return badge("overdue", "#b91c1c") if overdue else ""


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", "Overdue"), ("no", "Not overdue"))

    def queryset(self, request, queryset):
        overdue = (
            selectors.action_items_overdue(queryset)
            if queryset.model is ActionItem
            else selectors.reviews_overdue(queryset)
        )
        if self.value() == "yes":
            return overdue
        if self.value() == "no":
            return queryset.exclude(pk__in=overdue.values("pk"))
        return queryset


class ActionItemInline(ServiceWritesInline, admin.TabularInline):
    model = ActionItem
    extra = 1
    fields = ("title", "owner", "priority", "due_date", "status", "ticket_url")
    autocomplete_fields = ("owner",)
    formfield_overrides = {
        models.CharField: {"widget": forms.TextInput(attrs={"size": 22})},
        models.URLField: {"widget": forms.URLInput(attrs={"size": 14})},
    }

    class Media:
        # Six columns beside the app menu: narrow enough for a 1366 px screen.
        css = {"all": ("incidents/action_items.css",)}

    def create(self, request, data, parent=None):
        return services.action_item_create(review=parent, by=request.user, **data)

    def update(self, request, instance, data):
        return services.action_item_update(item=instance, by=request.user, **data)

    def delete(self, request, instance):
        services.action_item_delete(item=instance, by=request.user)


@admin.register(PostIncidentReview)
class PostIncidentReviewAdmin(ServiceWritesAdmin):
    """A review: its narrative (frozen once published), the figures and timeline the
    incident gives it, and its action items (editable whatever the review's status)."""

    list_display = (
        "incident_link",
        "incident_title",
        "status",
        "facilitator",
        "due_date",
        "overdue",
        "open_items",
    )
    list_select_related = ("incident", "facilitator")
    list_filter = ("status", OverdueFilter, "incident__severity", "incident__service__team")
    search_fields = ("incident__title", "summary", "facilitator__username")
    autocomplete_fields = ("incident", "facilitator", "participants")
    inlines = (ActionItemInline,)
    change_form_template = "admin/incidents/postincidentreview/change_form.html"
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 4})}}

    def get_fieldsets(self, request, obj=None):
        people = ("facilitator", "participants", "due_date")
        if obj is None:
            return [(None, {"fields": ("incident", *people)})]
        return [
            (None, {"fields": ("incident_link", "status", "published_at", "exports")}),
            ("People and date", {"fields": people}),
            ("Detection and response", {"fields": ("figures",)}),
            ("Review", {"fields": NARRATIVE_FIELDS}),
            ("Timeline", {"fields": ("timeline",), "classes": ("collapse",)}),
        ]

    def get_readonly_fields(self, request, obj=None):
        computed = ("incident_link", "status", "published_at", "exports", "figures", "timeline")
        if obj is not None and obj.is_published:
            # Published: the text is final; action items stay editable below.
            return (*computed, "facilitator", "participants", "due_date", *NARRATIVE_FIELDS)
        return computed if obj else ()

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("incident__service", "facilitator")
            .annotate(
                open_item_count=Count(
                    "action_items", filter=~Q(action_items__status__in=FINISHED_ACTION_STATUSES)
                )
            )
        )

    @admin.display(description="incident", ordering="incident__number")
    def incident_link(self, review):
        url = reverse("admin:incidents_incident_change", args=[review.incident_id])
        return format_html('<a href="{}">{}</a>', url, review.incident.reference)

    @admin.display(description="title", ordering="incident__title")
    def incident_title(self, review):
        return review.incident.title

    @admin.display(description="overdue")
    def overdue(self, review):
        return _overdue_mark(review.is_overdue)

    @admin.display(description="open action items", ordering="open_item_count")
    def open_items(self, review):
        return review.open_item_count

    @admin.display(description="export")
    def exports(self, review):
        base = reverse("review-export", args=[review.pk])
        return format_html(
            '<a href="{}?format=md">Markdown</a> · <a href="{}?format=pdf">PDF</a>', base, base
        )

    @admin.display(description="figures (from the incident)")
    def figures(self, review):
        rows = figure_rows(selectors.review_figures(review.incident))
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )

    @admin.display(description="incident timeline (UTC)")
    def timeline(self, review):
        entries = selectors.review_timeline(review)
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                "<tr><td style='white-space:nowrap'>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                        entry.message,
                        entry.actor_name,
                    )
                    for entry in entries
                ),
            ),
        )

    # --- writes, through the services -------------------------------------------------

    def create(self, request, data, parent=None):
        return services.review_open(by=request.user, **data)

    def update(self, request, instance, data):
        return services.review_update(review=instance, by=request.user, **data)

    def delete(self, request, instance):
        services.review_delete(review=instance, by=request.user)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="incidents_postincidentreview_publish",
            ),
            path(
                "<path:object_id>/move/<str:status>/",
                self.admin_site.admin_view(self.move_view),
                name="incidents_postincidentreview_move",
            ),
            *super().get_urls(),
        ]

    def move_view(self, request, object_id, status):
        """Send a draft for review, or back to draft."""
        review = get_object_or_404(PostIncidentReview, pk=object_id)
        back = HttpResponseRedirect(
            reverse("admin:incidents_postincidentreview_change", args=[review.pk])
        )
        if request.method != "POST" or not self.has_change_permission(request, review):
            messages.error(request, "You may not change this review.")
            return back
        if status not in (ReviewStatus.DRAFT, ReviewStatus.IN_REVIEW):
            messages.error(request, f"Unknown status {status!r}.")
            return back
        try:
            services.review_update(review=review, by=request.user, status=status)
        except DomainError as error:
            messages.error(request, error.message)
            return back
        messages.success(request, f"The review of {review.incident.reference} is {status}.")
        return back

    def publish_view(self, request, object_id):
        review = get_object_or_404(PostIncidentReview, pk=object_id)
        back = HttpResponseRedirect(
            reverse("admin:incidents_postincidentreview_change", args=[review.pk])
        )
        if request.method != "POST" or not self.has_change_permission(request, review):
            messages.error(request, "You may not publish this review.")
            return back
        try:
            services.review_publish(review=review, by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return back
        messages.success(request, f"The review of {review.incident.reference} is published.")
        return back


@admin.register(ActionItem)
class ActionItemAdmin(ServiceWritesAdmin):
    list_display = (
        "title",
        "incident_link",
        "owner",
        "priority",
        "status",
        "due_date",
        "overdue",
    )
    list_select_related = ("owner", "review__incident")
    list_filter = (OverdueFilter, "status", "priority", "owner", "review__incident__service")
    search_fields = ("title", "description", "owner__username")
    autocomplete_fields = ("review", "owner")
    fields = (
        "review",
        "title",
        "description",
        "owner",
        "priority",
        "due_date",
        "status",
        "completed_at",
        "ticket_url",
    )
    readonly_fields = ("completed_at",)

    def get_readonly_fields(self, request, obj=None):
        return ("review", "completed_at") if obj else ("completed_at",)

    @admin.display(description="incident", ordering="review__incident__number")
    def incident_link(self, item):
        url = reverse("admin:incidents_postincidentreview_change", args=[item.review_id])
        return format_html('<a href="{}">{}</a>', url, item.review.incident.reference)

    @admin.display(description="overdue")
    def overdue(self, item):
        return _overdue_mark(item.is_overdue)

    def create(self, request, data, parent=None):
        return services.action_item_create(by=request.user, **data)

    def update(self, request, instance, data):
        return services.action_item_update(item=instance, by=request.user, **data)

    def delete(self, request, instance):
        services.action_item_delete(item=instance, by=request.user)


@admin.register(ReviewReminder)
class ReviewReminderAdmin(ReadOnlyAdmin):
    list_display = ("day", "user", "address", "action_items", "reviews", "status", "sent_at")
    list_filter = ("status", "day")
    list_select_related = ("user",)
