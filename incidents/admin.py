from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince

from core.errors import DomainError
from incidents import oncall, selectors, services
from incidents.integration_config import integration_endpoint_url, integration_example_config
from incidents.lifecycle import allowed_actions
from incidents.models import (
    Alert,
    ChangeEvent,
    ContactMethod,
    EscalationPolicy,
    EscalationStep,
    Incident,
    Integration,
    LayerMember,
    Notification,
    OutgoingWebhook,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    Service,
    ServiceEscalationRule,
    Severity,
    Status,
    Team,
    TimelineEntry,
    WebhookDelivery,
)
from incidents.models.incidents import OPEN_STATUSES

SEVERITY_COLOURS = {
    Severity.SEV1: "#b91c1c",
    Severity.SEV2: "#c2410c",
    Severity.SEV3: "#a16207",
    Severity.SEV4: "#4b5563",
}
STATUS_COLOURS = {
    Status.TRIGGERED: "#b91c1c",
    Status.ACKNOWLEDGED: "#c2410c",
    Status.MITIGATED: "#1d4ed8",
    Status.RESOLVED: "#15803d",
    Status.CLOSED: "#4b5563",
}
LIFECYCLE = {
    "acknowledge": services.incident_acknowledge,
    "mitigate": services.incident_mitigate,
    "resolve": services.incident_resolve,
    "close": services.incident_close,
    "reopen": services.incident_reopen,
}


def badge(text, colour):
    return format_html(
        '<span style="background:{};color:#fff;padding:2px 8px;border-radius:10px;'
        'font-weight:600;white-space:nowrap">{}</span>',
        colour,
        text,
    )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "member_count", "service_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _members=Count("members", distinct=True), _services=Count("services", distinct=True)
            )
        )

    @admin.display(description="members", ordering="_members")
    def member_count(self, team):
        return team._members

    @admin.display(description="services", ordering="_services")
    def service_count(self, team):
        return team._services


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "team", "tier", "open_incident_count")
    list_filter = ("team", "tier")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    list_select_related = ("team",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_open=Count("incidents", filter=Q(incidents__status__in=OPEN_STATUSES)))
        )

    @admin.display(description="open incidents", ordering="_open")
    def open_incident_count(self, service):
        return service._open


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TimelineInline(_ReadOnlyInline):
    """The audit log, read-only: entries are written by the services, never by hand."""

    model = TimelineEntry
    fields = ("created_at", "kind", "actor_name", "message")
    readonly_fields = fields
    ordering = ("created_at", "id")
    show_change_link = False


class IncidentAlertInline(_ReadOnlyInline):
    model = Alert
    verbose_name_plural = "alerts (latest first)"
    fields = ("received_at", "status", "severity", "summary", "fingerprint", "runbook", "source")
    readonly_fields = fields
    ordering = ("-received_at", "-id")
    max_num = 0
    LATEST = 25

    def get_queryset(self, request):
        # The latest few only: a noisy group may have delivered thousands.
        parent = request.resolver_match.kwargs.get("object_id")
        ids = list(
            self.model.objects.filter(**{self.fk_name_for_latest: parent})
            .order_by("-received_at", "-id")
            .values_list("id", flat=True)[: self.LATEST]
        )
        return super().get_queryset(request).filter(id__in=ids).select_related("incident")

    fk_name_for_latest = "incident"

    @admin.display(description="runbook")
    def runbook(self, alert):
        url = alert.annotations.get("runbook_url")
        return format_html('<a href="{}">runbook</a>', url) if url else "—"

    @admin.display(description="source")
    def source(self, alert):
        return format_html('<a href="{}">link</a>', alert.source_url) if alert.source_url else "—"


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "title",
        "service",
        "severity_badge",
        "status_badge",
        "age",
        "assignee_names",
        "commander",
    )
    list_display_links = ("reference", "title")
    list_filter = ("status", "severity", "service__team", "service", "source", "triggered_at")
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

    def get_queryset(self, request):
        return selectors.incident_list()

    def get_search_results(self, request, queryset, search_term):
        if not search_term:
            return queryset, False
        return selectors.incident_search(queryset, search_term), False

    @admin.display(description="incident", ordering="number")
    def reference(self, incident):
        return incident.reference

    @admin.display(description="severity", ordering="severity")
    def severity_badge(self, incident):
        return badge(incident.severity, SEVERITY_COLOURS[incident.severity])

    @admin.display(description="status", ordering="status")
    def status_badge(self, incident):
        return badge(incident.get_status_display(), STATUS_COLOURS[incident.status])

    @admin.display(description="age", ordering="triggered_at")
    def age(self, incident):
        return timesince(incident.triggered_at, timezone.now(), depth=2)

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
        # Incidents are history: they are closed, not deleted (superusers excepted).
        return request.user.is_superuser

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
            elif action in LIFECYCLE:
                extra = {"note": note} if action == "resolve" else {}
                extra = {"reason": note} if action == "reopen" else extra
                LIFECYCLE[action](incident=incident, by=request.user, **extra)
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


class IntegrationAlertInline(IncidentAlertInline):
    verbose_name_plural = "recent alerts"
    fields = ("received_at", "status", "severity", "summary", "incident")
    readonly_fields = fields
    fk_name_for_latest = "integration"


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "service",
        "enabled",
        "auto_resolve",
        "last_received_at",
        "endpoint",
    )
    list_filter = ("kind", "enabled", "service")
    search_fields = ("name", "service__name")
    list_select_related = ("service",)
    actions = ("rotate_secrets",)
    inlines = (IntegrationAlertInline,)
    readonly_fields = (
        "secret_prefix",
        "last_received_at",
        "created_at",
        "endpoint",
        "example_configuration",
    )
    fields = (
        "service",
        "kind",
        "name",
        "enabled",
        "auto_resolve",
        "severity_mapping",
        "hmac_secret",
        "hmac_timestamp_header",
        *readonly_fields,
    )

    @admin.display(description="endpoint URL")
    def endpoint(self, integration):
        return integration_endpoint_url(integration) if integration.pk else "—"

    @admin.display(description="configuration to copy")
    def example_configuration(self, integration):
        if not integration.pk:
            return "Shown once the integration is saved."
        return format_html("<pre>{}</pre>", integration_example_config(integration))

    def get_readonly_fields(self, request, obj=None):
        # The kind decides the endpoint and format; make a new integration to change it.
        return (*self.readonly_fields, "kind", "service") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            services.integration_update(
                integration=obj, **{name: form.cleaned_data[name] for name in form.changed_data}
            )
            return
        fields = {name: form.cleaned_data[name] for name in form.cleaned_data}
        issued = services.integration_create(**fields)
        obj.pk = issued.integration.pk
        obj.secret_prefix = issued.integration.secret_prefix
        obj._state.adding = False
        self._show_secret(request, issued)

    def _show_secret(self, request, issued):
        messages.warning(
            request,
            format_html(
                "Secret for {}: <code>{}</code> — copy it now, it will not be shown again."
                "<pre>{}</pre>",
                issued.integration.name,
                issued.secret,
                integration_example_config(issued.integration, issued.secret),
            ),
        )

    @admin.action(description="Rotate the secret of selected integrations", permissions=["change"])
    def rotate_secrets(self, request, queryset):
        for integration in queryset:
            self._show_secret(request, services.integration_rotate_secret(integration=integration))


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("received_at", "status", "severity", "summary", "integration", "incident")
    list_filter = ("status", "severity", "integration__kind", "integration")
    search_fields = ("summary", "fingerprint", "group_key")
    list_select_related = ("integration", "incident")
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in Alert._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ChangeEvent)
class ChangeEventAdmin(admin.ModelAdmin):
    list_display = ("happened_at", "service", "summary", "source", "integration")
    list_filter = ("service",)
    search_fields = ("summary", "source")
    list_select_related = ("service", "integration")
    date_hierarchy = "happened_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LayerInline(admin.StackedInline):
    model = ScheduleLayer
    extra = 0
    fields = (
        ("name", "priority"),
        ("rotation_length", "handoff_date", "handoff_time"),
        "restrictions",
        "member_list",
    )
    readonly_fields = ("member_list",)
    show_change_link = True

    @admin.display(description="members (in order; edit on the layer's page)")
    def member_list(self, layer):
        members = sorted(layer.members.all(), key=lambda m: m.position)
        return ", ".join(m.user.get_username() for m in members) or "—"


class OverrideInline(admin.TabularInline):
    model = ScheduleOverride
    extra = 0
    fields = ("user", "start", "end", "reason")
    autocomplete_fields = ("user",)


class MemberInline(admin.TabularInline):
    model = LayerMember
    extra = 1
    fields = ("position", "user")
    autocomplete_fields = ("user",)
    ordering = ("position",)


@admin.register(ScheduleLayer)
class ScheduleLayerAdmin(admin.ModelAdmin):
    list_display = ("name", "schedule", "priority", "rotation_length")
    inlines = (MemberInline,)
    list_select_related = ("schedule",)


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "time_zone", "on_call_now")
    list_select_related = ("team",)
    list_filter = ("team", "time_zone")
    search_fields = ("name", "team__name")
    inlines = (LayerInline, OverrideInline)
    readonly_fields = ("next_14_days",)
    fields = ("name", "team", "time_zone", "description", "next_14_days")

    def get_queryset(self, request):
        return selectors.schedule_list()

    @admin.display(description="on call now")
    def on_call_now(self, schedule):
        user_id = oncall.oncall_at(selectors.schedule_spec(schedule), timezone.now())
        if user_id is None:
            return "nobody"
        return next(
            (
                m.user.get_username()
                for layer in schedule.layers.all()
                for m in layer.members.all()
                if m.user_id == user_id
            ),
            next(
                (o.user.get_username() for o in schedule.overrides.all() if o.user_id == user_id),
                str(user_id),
            ),
        )

    @admin.display(description="the next 14 days")
    def next_14_days(self, schedule):
        if not schedule.pk:
            return "Shown once the schedule is saved."
        from incidents.api.schedules import shift_rows

        zone = ZoneInfo(schedule.time_zone)
        start = timezone.now()
        shifts = oncall.final_shifts(
            selectors.schedule_spec(schedule), start, start + timedelta(days=14), gaps=True
        )
        rows = format_html_join(
            "",
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    format_html(' style="background:#fee2e2"') if row["user"] is None else "",
                    row["start"].astimezone(zone).strftime("%a %d %b %H:%M"),
                    row["end"].astimezone(zone).strftime("%a %d %b %H:%M"),
                    row["username"] or "nobody (gap)",
                    row["source"],
                )
                for row in shift_rows(shifts)
            ),
        )
        return format_html(
            "<table><thead><tr><th>from ({})</th><th>to</th><th>on call</th><th>source</th>"
            "</tr></thead><tbody>{}</tbody></table>",
            schedule.time_zone,
            rows,
        )


class EscalationStepInline(admin.StackedInline):
    model = EscalationStep
    extra = 0
    fields = ("position", "delay", "users", "schedules")
    autocomplete_fields = ("users",)
    filter_horizontal = ("schedules",)
    ordering = ("position",)


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "repeat", "step_count")
    list_select_related = ("team",)
    list_filter = ("team",)
    search_fields = ("name",)
    inlines = (EscalationStepInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_steps=Count("steps"))

    @admin.display(description="steps", ordering="_steps")
    def step_count(self, policy):
        return policy._steps


class ServiceEscalationRuleInline(admin.TabularInline):
    model = ServiceEscalationRule
    extra = 0
    verbose_name_plural = "escalation policy by severity (instead of the default)"


ServiceAdmin.inlines = (ServiceEscalationRuleInline,)
ServiceAdmin.autocomplete_fields = ("escalation_policy",)


@admin.register(ContactMethod)
class ContactMethodAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "address", "enabled")
    list_select_related = ("user",)
    list_filter = ("kind", "enabled")
    search_fields = ("user__username", "address")
    autocomplete_fields = ("user",)
    readonly_fields = ("secret",)


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


class DeliveryInline(IncidentAlertInline):
    model = WebhookDelivery
    verbose_name_plural = "deliveries (latest first)"
    fields = (
        "created_at",
        "event",
        "incident",
        "status",
        "attempts",
        "response_status",
        "last_error",
    )
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    fk_name_for_latest = "webhook"

    def get_queryset(self, request):
        parent = request.resolver_match.kwargs.get("object_id")
        ids = list(
            WebhookDelivery.objects.filter(webhook=parent)
            .order_by("-created_at", "-id")
            .values_list("id", flat=True)[: self.LATEST]
        )
        return WebhookDelivery.objects.filter(id__in=ids).select_related("incident")


@admin.register(OutgoingWebhook)
class OutgoingWebhookAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "service", "enabled")
    list_select_related = ("service",)
    list_filter = ("enabled",)
    readonly_fields = ("secret",)
    inlines = (DeliveryInline,)
