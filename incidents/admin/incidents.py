from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.admin_writes import LatestRowsInline
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
from incidents.incident_console import (
    escalation_panel,
    incident_alerts,
    incident_for_page,
    incident_timeline_stream,
)
from incidents.lifecycle import allowed_actions
from incidents.models import Alert, Incident, IncidentStatus, PostIncidentReview
from incidents.models.incidents import OPEN_STATUSES
from incidents.services.incidents import INCIDENT_ACTIONS


class IncidentAlertInline(LatestRowsInline):
    """Alert rows under a parent (an integration's page uses it); the incident page
    shows its alerts grouped by fingerprint instead."""

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


# What the page says after each button.
DONE = {
    "acknowledge": "acknowledged; you are assigned",
    "mitigate": "mitigated",
    "resolve": "resolved",
    "close": "closed",
    "reopen": "reopened and escalating again",
    "note": "note added",
    "escalate": "escalated",
    "assign-me": "assigned to you",
    "command": "you are the commander",
}

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
        "people",
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
        # The page's header shows the number, status, service and team; these are what a
        # responder edits, then when each step happened.
        return [
            ("Details", {"fields": ("title", "summary", "severity")}),
            ("People", {"fields": ("commander", "assignees")}),
            ("Follow-up", {"fields": ("runbook_links", "review_link")}),
            (
                "Lifecycle times",
                {
                    "classes": ("collapse",),
                    "fields": (
                        ("triggered_at", "triggered_by"),
                        "source",
                        ("acknowledged_at", "acknowledged_by"),
                        ("mitigated_at", "mitigated_by"),
                        ("resolved_at", "resolved_by"),
                        "resolution_note",
                        ("closed_at", "closed_by"),
                    ),
                },
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        # The service and dedup key are chosen at creation; changing them would move an
        # incident out from under its grouping.
        return (*self.readonly_fields, "service", "dedup_key") if obj else ()

    class Media:
        css = {"all": ("incidents/incident_list.css", "incidents/incident_console.css")}

    def get_queryset(self, request):
        return selectors.incident_list()

    def get_object(self, request, object_id, from_field=None):
        # The page edits the summary, which the list's rows leave out.
        try:
            return incident_for_page().get(pk=object_id)
        except (Incident.DoesNotExist, ValueError, ValidationError):
            return None

    def changelist_view(self, request, extra_context=None):
        # The saved default: a bare URL lists the open incidents. Only a bare URL, so that
        # any choice made in the sidebar (including "All") is kept. A "select all"
        # action posted from the default view acts on what that view showed.
        bare = not request.META.get("QUERY_STRING")
        if bare and (request.method == "GET" or request.POST.get("select_across") == "1"):
            request.GET = QueryDict(f"{StatusFilter.parameter_name}={OPEN}")
        # The list is where responders work: it gets the width the app menu would take,
        # so every column shows on a laptop screen (the breadcrumbs still lead back).
        extra_context = {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_search_results(self, request, queryset, search_term):
        if not search_term:
            return queryset, False
        return selectors.incident_search(queryset, search_term), False

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
        """When, in the viewer's zone, and how long ago (open) or how long it lasted."""
        if incident.resolved_at:
            seconds = (incident.resolved_at - incident.triggered_at).total_seconds()
            age = f"lasted {duration_text(seconds)}"
        else:
            age = f"{duration_text((timezone.now() - incident.triggered_at).total_seconds())} ago"
        return format_html(
            '{}<br><span class="help incident-age">{}</span>',
            local_time(incident.triggered_at),
            age,
        )

    @admin.display(description="people")
    def people(self, incident):
        """The assignees, then the commander if one is named: one narrow column, so a
        laptop screen shows every column without scrolling sideways."""
        names = ", ".join(user.get_username() for user in incident.assignees.all()) or "—"
        if incident.commander_id is None:
            return names
        return format_html(
            '{}<br><span class="help">commander {}</span>',
            names,
            incident.commander.get_username(),
        )

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
            elif action == "escalate":
                services.incident_escalate(incident=incident, by=request.user, note=note)
            elif action == "assign-me":
                current = list(incident.assignees.all())
                services.incident_assign(
                    incident=incident, by=request.user, assignees=[*current, request.user]
                )
            elif action == "command":
                services.incident_assign(incident=incident, by=request.user, commander=request.user)
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
        messages.success(request, f"{incident.reference}: {DONE.get(action, action + ' done')}.")
        return back

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["lifecycle_actions"] = allowed_actions(obj.status) if obj else []
        if obj is not None:
            alerts, alert_total = incident_alerts(obj)
            timeline, timeline_total = incident_timeline_stream(obj)
            context.update(
                incident=obj,
                age=duration_text(
                    ((obj.resolved_at or timezone.now()) - obj.triggered_at).total_seconds()
                ),
                escalation=escalation_panel(obj),
                alerts=alerts,
                alert_total=alert_total,
                timeline=timeline,
                timeline_total=timeline_total,
                assigned_to_me=any(u.pk == request.user.pk for u in obj.assignees.all()),
            )
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
