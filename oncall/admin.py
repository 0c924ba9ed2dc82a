from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.admin_writes import ServiceWritesAdmin, ServiceWritesInline
from oncall import selectors, services
from oncall.models import ContactMethod, LayerMember, Schedule, ScheduleLayer, ScheduleOverride


class LayerInline(ServiceWritesInline, admin.StackedInline):
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

    def create(self, request, data, parent=None):
        return services.layer_create(schedule=parent, **data)

    def update(self, request, instance, data):
        return services.layer_update(layer=instance, **data)

    def delete(self, request, instance):
        services.layer_delete(layer=instance)


class OverrideInline(ServiceWritesInline, admin.TabularInline):
    model = ScheduleOverride
    extra = 0
    fields = ("user", "start", "end", "reason")
    autocomplete_fields = ("user",)

    def create(self, request, data, parent=None):
        return services.override_create(schedule=parent, **data)

    def update(self, request, instance, data):
        return services.override_update(override=instance, **data)

    def delete(self, request, instance):
        services.override_delete(override=instance)


class MemberInline(admin.TabularInline):
    """The rotation, in order. Saved as a whole by the layer's page (``layer_members_set``)."""

    model = LayerMember
    extra = 1
    fields = ("position", "user")
    autocomplete_fields = ("user",)
    ordering = ("position",)


@admin.register(ScheduleLayer)
class ScheduleLayerAdmin(ServiceWritesAdmin):
    list_display = ("name", "schedule", "priority", "rotation_length")
    inlines = (MemberInline,)
    list_select_related = ("schedule",)

    def create(self, request, data, parent=None):
        return services.layer_create(**data)

    def update(self, request, instance, data):
        return services.layer_update(layer=instance, **data)

    def delete(self, request, instance):
        services.layer_delete(layer=instance)

    def save_formset(self, request, form, formset, change):
        # The members formset as one ordered list: positions are the rotation's order.
        rows = [
            f.cleaned_data
            for f in formset.forms
            if f.cleaned_data
            and f.cleaned_data.get("user")
            and not (formset.can_delete and formset._should_delete_form(f))
        ]
        users = [row["user"] for row in sorted(rows, key=lambda row: row["position"])]
        services.layer_members_set(layer=form.instance, users=users)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(Schedule)
class ScheduleAdmin(ServiceWritesAdmin):
    list_display = ("name", "team", "time_zone", "on_call_now")
    list_select_related = ("team",)
    list_filter = ("team", "time_zone")
    search_fields = ("name", "team__name")
    inlines = (LayerInline, OverrideInline)
    readonly_fields = ("next_14_days",)
    fields = ("name", "team", "time_zone", "description", "next_14_days")

    def get_queryset(self, request):
        return selectors.schedule_list()

    def create(self, request, data, parent=None):
        data.pop("next_14_days", None)
        return services.schedule_create(**data)

    def update(self, request, instance, data):
        return services.schedule_update(schedule=instance, **data)

    def delete(self, request, instance):
        services.schedule_delete(schedule=instance)

    @admin.display(description="on call now")
    def on_call_now(self, schedule):
        user_id = selectors.oncall_user_id(schedule, timezone.now())
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
        start = timezone.now()
        try:
            # Inside the try: a stored time zone that is not one is a broken schedule too.
            zone = ZoneInfo(schedule.time_zone)
            rows = selectors.schedule_shifts(schedule, start, start + timedelta(days=14), gaps=True)
        except selectors.BROKEN_SCHEDULE_ERRORS as exc:
            return f"This schedule cannot be evaluated: {exc!r}. Fix its layers."
        body = format_html_join(
            "",
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    mark_safe(' style="background:#fee2e2"') if row["user"] is None else "",
                    row["start"].astimezone(zone).strftime("%a %d %b %H:%M"),
                    row["end"].astimezone(zone).strftime("%a %d %b %H:%M"),
                    row["username"] or "nobody (gap)",
                    row["source"],
                )
                for row in rows
            ),
        )
        return format_html(
            "<table><thead><tr><th>from ({})</th><th>to</th><th>on call</th><th>source</th>"
            "</tr></thead><tbody>{}</tbody></table>",
            schedule.time_zone,
            body,
        )


@admin.register(ContactMethod)
class ContactMethodAdmin(ServiceWritesAdmin):
    list_display = ("user", "kind", "address", "enabled")
    list_select_related = ("user",)
    list_filter = ("kind", "enabled")
    search_fields = ("user__username", "address")
    autocomplete_fields = ("user",)
    readonly_fields = ("secret",)

    def create(self, request, data, parent=None):
        return services.contact_method_create(**data)

    def update(self, request, instance, data):
        return services.contact_method_update(method=instance, **data)

    def delete(self, request, instance):
        services.contact_method_delete(method=instance)
