from django import forms
from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from catalog.admin import ServiceAdmin as CatalogServiceAdmin
from catalog.models import Service
from core.admin_widgets import LoadedAutocompleteSelectMultiple, show_loaded
from core.admin_writes import ServiceWritesAdmin, ServiceWritesInline
from incidents import selectors, services
from incidents.admin import oncall_now
from incidents.models import EscalationPolicy, EscalationStep, ServiceEscalationRule
from incidents.models.escalation import validate_step_targets
from incidents.models.incidents import OPEN_STATUSES
from incidents.services import escalation
from oncall.models import Schedule


class EscalationStepForm(forms.ModelForm):
    # Not the model's ``schedules``: that relation has its own table (a schedule in use
    # cannot be deleted), which the admin does not edit directly. Searched as people are:
    # a list of every schedule in every step's form grows with the organisation.
    paged_schedules = forms.ModelMultipleChoiceField(
        queryset=Schedule.objects.all(),
        required=False,
        label="Schedules",
        help_text="Whoever is on call in these when the step runs.",
        widget=LoadedAutocompleteSelectMultiple(
            EscalationStep._meta.get_field("schedules"), admin.site
        ),
    )

    class Meta:
        model = EscalationStep
        fields = ("position", "delay", "users")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Prefetched by the inline's queryset: no query per step.
            schedules = list(self.instance.schedules.all())
            self.fields["paged_schedules"].initial = schedules
            show_loaded(self.fields["paged_schedules"], schedules)
            if "users" in self.fields:
                show_loaded(self.fields["users"], list(self.instance.users.all()))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("DELETE"):
            validate_step_targets(cleaned.get("users"), cleaned.get("paged_schedules"))
        return cleaned


def _step_data(data: dict) -> dict:
    data = dict(data)
    if "paged_schedules" in data:
        data["schedules"] = data.pop("paged_schedules")
    return data


class EscalationStepInline(ServiceWritesInline, admin.StackedInline):
    model = EscalationStep
    form = EscalationStepForm
    extra = 0
    fields = ("position", "delay", "users", "paged_schedules")
    autocomplete_fields = ("users",)
    ordering = ("position",)

    def get_queryset(self, request):
        return selectors.escalation_step_list(super().get_queryset(request))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "users":
            kwargs["widget"] = LoadedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def create(self, request, data, parent=None):
        return escalation.step_create(policy=parent, **_step_data(data))

    def update(self, request, instance, data):
        return escalation.step_update(step=instance, **_step_data(data))

    def delete(self, request, instance):
        escalation.step_delete(step=instance)


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(ServiceWritesAdmin):
    list_display = ("name", "team", "repeat", "step_count", "service_count")
    list_select_related = ("team",)
    list_filter = ("team",)
    search_fields = ("name",)
    readonly_fields = ("used_by",)
    inlines = (EscalationStepInline,)
    change_list_template = oncall_now.CHANGE_LIST_TEMPLATE

    def get_urls(self):
        # Before the default URLs: "<path:object_id>/" would otherwise take this one.
        return [
            path(
                "oncall-now/", oncall_now.oncall_now_view(self.admin_site), name=oncall_now.URL_NAME
            ),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        services_using = (
            selectors.escalation_rule_list()
            .filter(policy=OuterRef("pk"))
            .order_by()
            .values("policy")
            .annotate(n=Count("service", distinct=True))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                _steps=Count("steps"),
                _services=Coalesce(Subquery(services_using, output_field=IntegerField()), Value(0)),
            )
        )

    @admin.display(description="steps", ordering="_steps")
    def step_count(self, policy):
        return policy._steps

    @admin.display(description="used by", ordering="_services")
    def service_count(self, policy):
        return f"{policy._services} service{'' if policy._services == 1 else 's'}"

    @admin.display(description="used by services")
    def used_by(self, policy):
        """The services whose escalation rules page this policy, each with the severities
        it pages for ("default": the service's rule for any severity)."""
        if not policy.pk:
            return "—"
        severities = {}
        for rule in (
            selectors.escalation_rule_list()
            .filter(policy=policy)
            .order_by("service__name", "severity")
        ):
            severities.setdefault(rule.service, []).append(rule.severity or "default")
        if not severities:
            return "No service uses this policy."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> ({})</li>',
                (
                    (
                        reverse("admin:catalog_service_change", args=[service.pk]),
                        service.name,
                        ", ".join(levels),
                    )
                    for service, levels in severities.items()
                ),
            ),
        )

    def create(self, request, data, parent=None):
        return services.policy_save(**data)

    def update(self, request, instance, data):
        return services.policy_save(policy=instance, **data)

    def delete(self, request, instance):
        services.policy_delete(policy=instance)


class ServiceEscalationRuleInline(ServiceWritesInline, admin.TabularInline):
    model = ServiceEscalationRule
    extra = 0
    verbose_name_plural = "escalation policies (the default, and any per severity)"
    autocomplete_fields = ("policy",)

    def create(self, request, data, parent=None):
        return services.escalation_rule_set(service=parent, **data)

    def update(self, request, instance, data):
        return escalation.escalation_rule_update(rule=instance, **data)

    def delete(self, request, instance):
        services.escalation_rule_delete(rule=instance)


admin.site.unregister(Service)


@admin.register(Service)
class ServiceAdmin(CatalogServiceAdmin):
    """The catalogue's service page, with the policies that page for it and its open
    incidents."""

    list_display = (*CatalogServiceAdmin.list_display, "open_incident_count")
    inlines = (ServiceEscalationRuleInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_open=Count("incidents", filter=Q(incidents__status__in=OPEN_STATUSES)))
        )

    @admin.display(description="open incidents", ordering="_open")
    def open_incident_count(self, service):
        return service._open
