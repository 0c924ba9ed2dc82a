"""The admin writes through services, like the API and commands do.

``ServiceWritesAdmin`` and ``ServiceWritesInline`` replace the admin's own saves and
deletes with three hooks that call a service: ``create(request, data, parent)``,
``update(request, instance, data)`` and ``delete(request, instance)``. The form has
already checked the row against the model's rules (a ModelForm runs ``full_clean``);
the service checks them again, writes the audit trail and refuses what would break
something (a 409 becomes an error message, and nothing is written).
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse

from core.errors import DomainError
from core.net import outgoing_url_check_ahead


def _changed(form) -> dict:
    return {
        name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data
    }


def _fresh(instance):
    """The row as stored: a validated form has already copied its values onto
    ``instance``, and a service compares against what is stored to see what changed."""
    return type(instance)._default_manager.get(pk=instance.pk)


class _Hooks:
    def create(self, request, data: dict, parent=None):
        raise NotImplementedError(f"{type(self).__name__} must create through a service")

    def update(self, request, instance, data: dict):
        raise NotImplementedError(f"{type(self).__name__} must update through a service")

    def delete(self, request, instance):
        raise NotImplementedError(f"{type(self).__name__} must delete through a service")


class ServiceWritesInline(_Hooks):
    """Mixin for an inline of a ``ServiceWritesAdmin``."""


class ServiceWritesAdmin(_Hooks, admin.ModelAdmin):
    # Form fields holding a URL the workers will call: resolved before the admin opens
    # its transaction, so that the model's save-time check does no DNS inside it.
    outgoing_url_fields: tuple[str, ...] = ()

    def save_model(self, request, obj, form, change):
        if change:
            saved = self.update(request, _fresh(obj), _changed(form))
        else:
            saved = self.create(request, dict(form.cleaned_data), None)
        if saved is not None:
            # The admin goes on with ``obj`` (redirect, log entry): make it the saved row.
            obj.pk = saved.pk
            for field in saved._meta.concrete_fields:
                setattr(obj, field.attname, getattr(saved, field.attname))
            obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # Not form.save_m2m(): the services set many-to-many fields themselves.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        inline = next(
            (
                i
                for i in self.get_inline_instances(request, form.instance)
                if i.model is formset.model and isinstance(i, ServiceWritesInline)
            ),
            None,
        )
        if inline is None:  # a read-only inline: nothing to write
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            instance = inline_form.instance
            if formset.can_delete and formset._should_delete_form(inline_form):
                if instance.pk:
                    inline.delete(request, _fresh(instance))
                    formset.deleted_objects.append(instance)
            elif instance.pk is None:
                if inline_form.has_changed():
                    data = dict(inline_form.cleaned_data)
                    data.pop("DELETE", None)
                    data.pop("id", None)
                    data.pop(formset.fk.name, None)
                    formset.new_objects.append(inline.create(request, data, form.instance))
            elif inline_form.has_changed():
                inline.update(request, _fresh(instance), _changed(inline_form))
                formset.changed_objects.append((instance, inline_form.changed_data))

    def delete_model(self, request, obj):
        self.delete(request, obj)

    def delete_queryset(self, request, queryset):
        refused = []
        for obj in queryset:
            try:
                with transaction.atomic():
                    self.delete(request, obj)
            except DomainError as error:
                refused.append(f"{obj}: {error.message}")
        for message in refused:
            self.message_user(request, message, level=messages.ERROR)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and self.outgoing_url_fields:
            outgoing_url_check_ahead(*(request.POST.get(name) for name in self.outgoing_url_fields))
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (DomainError, ValidationError) as error:
            self.message_user(request, _message(error), level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            )


def _message(error) -> str:
    if isinstance(error, DomainError):
        return error.message
    return " ".join(error.messages)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record of what happened (alerts, pages, deliveries): shown, never written here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LatestRowsInline(ReadOnlyInline):
    """The parent's latest ``latest`` rows, read-only: a busy parent may have thousands."""

    latest = 25
    parent_field = ""  # the foreign key to the parent, e.g. "incident"

    def get_queryset(self, request):
        parent = request.resolver_match.kwargs.get("object_id")
        ids = list(
            self.model._default_manager.filter(**{self.parent_field: parent})
            .order_by(*self.ordering)
            .values_list("id", flat=True)[: self.latest]
        )
        return super().get_queryset(request).filter(id__in=ids)
