from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.admin_writes import LatestRowsInline, ReadOnlyInline
from core.errors import DomainError
from incidents import selectors, services
from incidents.admin.common import (
    SEVERITY_COLOURS,
    STATUS_COLOURS,
    badge,
    duration_text,
    external_link,
    local_time,
)
from incidents.lifecycle import allowed_actions
from incidents.models import (
    Alert,
    Incident,
    IncidentStatus,
    PostIncidentReview,
    TimelineEntry,
)
from incidents.models.incidents import OPEN_STATUSES
from incidents.services.incidents import INCIDENT_ACTIONS


class TimelineInline(ReadOnlyInline):
    """The audit log, read-only: entries are written by the services, never by hand."""

    model = TimelineEntry
    fields = ("created_at", "kind", "actor_name", "message")
    readonly_fields = fields
    ordering = ("created_at", "id")


class IncidentAlertInline(LatestRowsInline):
    model = Alert
    verbose_name_plural = "alerts (latest first)"
    fields = ("received_at", "status", "severity", "summary", "fingerprint", "runbook", "source")
    readonly_fields = fields
    ordering = ("-received_at", "-id")
    parent_field = "incident"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("incident")

    @admin.display(description="runbook")
    def runbook(self, alert):
        annotations = alert.annotations if isinstance(alert.annotations, dict) else {}
        return external_link(annotations.get("runbook_url"), "runbook")

    @admin.display(description="source")
    def source(self, alert):
        return external_link(alert.source_url, "link")


OPEN = ",".join(status.value for status in OPEN_STATUSES)
ALL = "all"


class StatusFilter(admin.SimpleListFilter):
    """Open (the list's default), one status, or all. The parameter is ``status__in`` so
    the dashboard's links (``?status__in=triggered,acknowledged,mitigated``) select the
    "Open" choice; "All" is an explicit value because an empty query string means the
    default, open incidents."""

    title = "status"
    parameter_name = "status__in"

    def lookups(self, request, model_admin):
        return [(OPEN, "Open"), *IncidentStatus.choices, (ALL, "All")]

    def choices(self, changelist):
        value = self.value()
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup or (lookup == ALL and value is None),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value in (None, ALL):
            return queryset
        statuses = value.split(",")
        if not set(statuses) <= set(IncidentStatus.values):
            raise IncorrectLookupParameters(f"Unknown status in {value!r}")
        return queryset.filter(status__in=statuses)


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "title",
        "service",
        "severity_badge",
        "status_badge",
        "triggered",
        "age",
        "updated",
        "assignee_names",
        "commander",
    )
    list_display_links = ("reference", "title")
    list_filter = (StatusFilter, "severity", "service__team", "service", "source", "triggered_at")
    # Open incidents first, the most severe first among them (SEV1 sorts before SEV2),
    # then the newest.
    ordering = (
        Case(
            When(status__in=OPEN_STATUSES, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ).asc(),
        "severity",
        "-triggered_at",
        "-id",
    )
    search_fields = ("title", "summary", "service__name")
    date_hierarchy = "triggered_at"
    list_per_page = 50
    actions = ("acknowledge_selected", "resolve_selected")
    inlines = (TimelineInline, IncidentAlertInline)
    autocomplete_fields = ("commander", "assignees")
    change_form_template = "admin/incidents/incident/change_form.html"
    readonly_fields = (
        "reference",
        "status_badge",
        "source",
        "triggered_at",
        "triggered_by",
        "acknowledged_at",
        "acknowledged_by",
        "mitigated_at",
        "mitigated_by",
        "resolved_at",
        "resolved_by",
        "resolution_note",
        "closed_at",
        "closed_by",
        "service_link",
        "review_link",
        "runbook_links",
    )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (
                    None,
                    {
                        "fields": (
                            "service",
                            "title",
                            "summary",
                            "severity",
                            "dedup_key",
                            "commander",
                            "assignees",
                        )
                    },
                )
            ]
        return [
            (None, {"fields": ("reference", "status_badge", "title", "summary", "severity")}),
            ("Service and follow-up", {"fields": ("service_link", "runbook_links", "review_link")}),
            ("People", {"fields": ("commander", "assignees")}),
            (
                "Lifecycle",
                {
                    "fields": (
                        ("triggered_at", "triggered_by"),
                        "source",
                        ("acknowledged_at", "acknowledged_by"),
                        ("mitigated_at", "mitigated_by"),
                        ("resolved_at", "resolved_by"),
                        "resolution_note",
                        ("closed_at", "closed_by"),
                    )
                },
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        # The service and dedup key are chosen at creation; changing them would move an
        # incident out from under its grouping.
        return (*self.readonly_fields, "service", "dedup_key") if obj else ()

    class Media:
        css = {"all": ("incidents/incident_list.css",)}

    def get_queryset(self, request):
        return selectors.incident_list()

    def changelist_view(self, request, extra_context=None):
        # The saved default: a bare URL lists the open incidents. Only a bare URL, so that
        # any choice made in the sidebar (including "All") is kept. A "select all"
        # action posted from the default view acts on what that view showed.
        bare = not request.META.get("QUERY_STRING")
        if bare and (request.method == "GET" or request.POST.get("select_across") == "1"):
            request.GET = QueryDict(f"{StatusFilter.parameter_name}={OPEN}")
        return super().changelist_view(request, extra_context)

    def get_search_results(self, request, queryset, search_term):
        if not search_term:
            return queryset, False
        return selectors.incident_search(queryset, search_term), False

    @admin.display(description="service")
    def service_link(self, incident):
        url = reverse("admin:catalog_service_change", args=[incident.service_id])
        team = incident.service.team
        return format_html(
            '<a href="{}">{}</a>{}',
            url,
            incident.service.name,
            format_html(" (team {})", team.name) if team else "",
        )

    @admin.display(description="runbooks")
    def runbook_links(self, incident):
        urls = selectors.incident_runbook_urls(incident)
        if not urls:
            return "—"
        return format_html_join(
            format_html("<br>"), "{}", ((external_link(url, url),) for url in urls)
        )

    @admin.display(description="post-incident review")
    def review_link(self, incident):
        review = PostIncidentReview.objects.filter(incident=incident).first()
        if review is not None:
            url = reverse("admin:incidents_postincidentreview_change", args=[review.pk])
            return format_html(
                '<a href="{}">Review ({})</a>{}',
                url,
                review.get_status_display(),
                " — overdue" if review.is_overdue else "",
            )
        url = reverse("admin:incidents_postincidentreview_add")
        return format_html(
            '<a class="button" href="{}?incident={}">Open a review</a>', url, incident.pk
        )

    @admin.display(description="incident", ordering="number")
    def reference(self, incident):
        return incident.reference

    @admin.display(description="severity", ordering="severity")
    def severity_badge(self, incident):
        return badge(incident.severity, SEVERITY_COLOURS[incident.severity])

    @admin.display(description="status", ordering="status")
    def status_badge(self, incident):
        return badge(incident.get_status_display(), STATUS_COLOURS[incident.status])

    @admin.display(description="triggered", ordering="triggered_at")
    def triggered(self, incident):
        return local_time(incident.triggered_at)

    @admin.display(description="age", ordering="-triggered_at")
    def age(self, incident):
        return duration_text((timezone.now() - incident.triggered_at).total_seconds())

    @admin.display(description="updated", ordering="updated_at")
    def updated(self, incident):
        return local_time(incident.updated_at)

    @admin.display(description="assignees")
    def assignee_names(self, incident):
        return ", ".join(user.get_username() for user in incident.assignees.all()) or "—"

    # --- writes go through the services ------------------------------------

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.incident_create(
                service=data["service"],
                title=data["title"],
                summary=data["summary"],
                severity=data["severity"],
                dedup_key=data["dedup_key"],
                commander=data["commander"],
                assignees=data["assignees"],
                by=request.user,
            )
            obj.pk, obj.number = created.pk, created.number
            return
        incident = services.incident_update(
            incident=obj, by=request.user, title=data["title"], summary=data["summary"]
        )
        incident = services.incident_change_severity(
            incident=incident, severity=data["severity"], by=request.user
        )
        services.incident_assign(
            incident=incident,
            by=request.user,
            assignees=data["assignees"],
            commander=data["commander"],
        )

    def save_related(self, request, form, formsets, change):
        # Not form.save_m2m(): the services above set the assignees and wrote the
        # timeline. The read-only timeline formset saves nothing but must be "saved"
        # for the admin's change message.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request, obj=None):
        # Incidents are history: they are closed, never deleted.
        return False

    def get_urls(self):
        return [
            path(
                "<path:object_id>/lifecycle/<str:action>/",
                self.admin_site.admin_view(self.lifecycle_view),
                name="incidents_incident_lifecycle",
            ),
            *super().get_urls(),
        ]

    def lifecycle_view(self, request, object_id, action):
        incident = get_object_or_404(Incident, pk=object_id)
        back = HttpResponseRedirect(reverse("admin:incidents_incident_change", args=[incident.pk]))
        if request.method != "POST" or not self.has_change_permission(request, incident):
            messages.error(request, "You may not change this incident.")
            return back
        note = request.POST.get("lifecycle_note", "").strip()
        try:
            if action == "note":
                services.incident_add_note(incident=incident, by=request.user, text=note)
            elif action in INCIDENT_ACTIONS:
                # The note box goes with every button: the resolution when resolving,
                # the reason when reopening, on the action's timeline entry otherwise.
                extra = {"reason" if action == "reopen" else "note": note}
                INCIDENT_ACTIONS[action](incident=incident, by=request.user, **extra)
            else:
                messages.error(request, f"Unknown action {action!r}.")
                return back
        except DomainError as error:
            messages.error(request, error.message)
            return back
        messages.success(request, f"{incident.reference}: {action} done.")
        return back

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["lifecycle_actions"] = allowed_actions(obj.status) if obj else []
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- bulk actions --------------------------------------------------------

    def _bulk(self, request, queryset, service, verb):
        done, refused = 0, []
        for incident in queryset:
            try:
                service(incident=incident, by=request.user)
                done += 1
            except DomainError:
                refused.append(incident.reference)
        self.message_user(request, f"{verb.capitalize()}d {done} incident(s).")
        if refused:
            self.message_user(
                request,
                f"Not {verb}d (not allowed from their status): {', '.join(refused)}",
                level=messages.WARNING,
            )

    @admin.action(description="Acknowledge selected incidents", permissions=["change"])
    def acknowledge_selected(self, request, queryset):
        self._bulk(request, queryset, services.incident_acknowledge, "acknowledge")

    @admin.action(description="Resolve selected incidents", permissions=["change"])
    def resolve_selected(self, request, queryset):
        self._bulk(request, queryset, services.incident_resolve, "resolve")
