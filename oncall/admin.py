from datetime import timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.admin_widgets import LoadedAutocompleteSelect, show_loaded
from core.admin_writes import ServiceWritesAdmin, ServiceWritesInline
from core.errors import DomainError
from core.secrets import secret_generate
from oncall import selectors, services
from oncall.admin_widgets import DurationField, RestrictionsField, duration_text, restrictions_text
from oncall.models import ContactMethod, LayerMember, Schedule, ScheduleLayer, ScheduleOverride


class LayerForm(forms.ModelForm):
    rotation_length = DurationField(
        help_text="How long each turn lasts, from one hour to 366 days: e.g. 1 week, 12 hours."
    )
    restrictions = RestrictionsField()

    class Meta:
        model = ScheduleLayer
        fields = (
            "schedule",
            "name",
            "priority",
            "rotation_length",
            "handoff_date",
            "handoff_time",
            "restrictions",
        )


class LayerDisplay:
    """A layer's rotation and restrictions as people read them, and, on a page the user
    may only view, in place of the raw values."""

    readable = {"rotation_length": "rotation", "restrictions": "restricted_to"}

    @admin.display(description="rotation", ordering="rotation_length")
    def rotation(self, layer):
        return duration_text(layer.rotation_length)

    @admin.display(description="restricted to")
    def restricted_to(self, layer):
        return restrictions_text(layer.restrictions)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self.has_change_permission(request, obj):
            return fields
        return [
            tuple(self.readable.get(n, n) for n in f)
            if isinstance(f, list | tuple)
            else self.readable.get(f, f)
            for f in fields
        ]

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *self.readable.values())


class LayerInline(LayerDisplay, ServiceWritesInline, admin.StackedInline):
    model = ScheduleLayer
    form = LayerForm
    extra = 0
    fields = (
        ("name", "priority"),
        ("rotation_length", "handoff_date", "handoff_time"),
        "restrictions",
        "member_list",
    )
    readonly_fields = ("member_list",)
    show_change_link = True

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("schedule")
            .prefetch_related("members__user")
        )

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


class OverrideForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "user" in self.fields:
            # Joined by the inline's queryset: no query per override.
            show_loaded(self.fields["user"], [self.instance.user])


class OverrideInline(ServiceWritesInline, admin.TabularInline):
    model = ScheduleOverride
    form = OverrideForm
    extra = 0
    fields = ("user", "start", "end", "reason")
    autocomplete_fields = ("user",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("schedule", "user")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["widget"] = LoadedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
class ScheduleLayerAdmin(LayerDisplay, ServiceWritesAdmin):
    form = LayerForm
    list_display = ("name", "schedule", "priority", "rotation", "restricted_to")
    fields = (
        "schedule",
        ("name", "priority"),
        ("rotation_length", "handoff_date", "handoff_time"),
        "restrictions",
    )
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
        return selectors.schedule_current_list(timezone.now())

    def get_changelist_instance(self, request):
        # Who is on call, for the whole page at once: names in one query, not per row.
        changelist = super().get_changelist_instance(request)
        names = selectors.oncall_usernames(changelist.result_list, timezone.now())
        for schedule in changelist.result_list:
            schedule.oncall_username = names[schedule.pk]
        return changelist

    def create(self, request, data, parent=None):
        data.pop("next_14_days", None)
        return services.schedule_create(**data)

    def update(self, request, instance, data):
        return services.schedule_update(schedule=instance, **data)

    def delete(self, request, instance):
        services.schedule_delete(schedule=instance)

    @admin.display(description="on call now")
    def on_call_now(self, schedule):
        return schedule.oncall_username or "nobody"

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
    """Pages, and their one-click acknowledge/resolve links acting as the recipient, go
    to a method's address: only its owner (or a superuser) sets the kind and address, and
    a staff user adds methods for themselves only. Others with the permission may view
    and disable a method, nothing more. The signing secret is shown once, to the owner
    (when they add the method or rotate its secret); the pages show its first
    characters only."""

    list_display = ("user", "kind", "address", "enabled")
    outgoing_url_fields = ("address",)
    list_select_related = ("user",)
    list_filter = ("kind", "enabled")
    search_fields = ("user__username", "address")
    autocomplete_fields = ("user",)
    actions = ("rotate_secrets",)

    @staticmethod
    def _owns(request, method) -> bool:
        return method is not None and method.user_id == request.user.pk

    def get_fields(self, request, obj=None):
        if obj is None:
            # A superuser may add a method for anyone; everyone else for themselves.
            user = ("user",) if request.user.is_superuser else ()
            return (*user, "kind", "address", "enabled")
        return ("user", "kind", "address", "enabled", "signing_secret")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if request.user.is_superuser:
            return ("signing_secret",)
        if self._owns(request, obj):
            return ("user", "signing_secret")
        return ("user", "kind", "address", "signing_secret")

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if obj is None or request.user.is_superuser:
            return allowed
        return allowed and self._owns(request, obj)

    @admin.display(description="secret")
    def signing_secret(self, method):
        hint = f"{method.secret[:4]}…" if method.secret else "—"
        return f"{hint} (shown to its owner only, when added or rotated)"

    def _refuse_unless_owner(self, request, instance, what):
        if not (request.user.is_superuser or self._owns(request, instance)):
            raise DomainError(f"Only the owner of a contact method or a superuser may {what}.")

    def create(self, request, data, parent=None):
        if not request.user.is_superuser or "user" not in data:
            data["user"] = request.user
        method = services.contact_method_create(**data)
        if method.kind == "webhook" and self._owns(request, method):
            self._show_secret(request, method)
        elif method.kind == "webhook":
            messages.info(
                request,
                f"Its signing secret is shown to {method.user} only: they see it when they "
                "add a webhook method themselves (API or admin) or rotate its secret.",
            )
        return method

    def update(self, request, instance, data):
        if set(data) - {"enabled"}:
            self._refuse_unless_owner(request, instance, "change its kind or address")
        return services.contact_method_update(method=instance, **data)

    def delete(self, request, instance):
        self._refuse_unless_owner(request, instance, "delete it")
        services.contact_method_delete(method=instance)

    def _show_secret(self, request, method):
        messages.warning(
            request,
            format_html(
                "Signing secret for your {} contact method: <code>{}</code> — copy it now, "
                "it will not be shown again.",
                method.kind,
                method.secret,
            ),
        )

    @admin.action(
        description="Rotate the signing secret of selected contact methods (your own)",
        permissions=["change"],
    )
    def rotate_secrets(self, request, queryset):
        for method in queryset:
            if not self._owns(request, method):
                messages.error(request, f"Not rotated: {method} is not yours.")
                continue
            try:
                services.contact_method_update(method=method, secret=secret_generate())
            except ValidationError as error:
                messages.error(request, f"Not rotated: {method}: {' '.join(error.messages)}")
                continue
            self._show_secret(request, method)
