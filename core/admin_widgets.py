"""What the admin's friendlier form widgets share."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe


class TemplateWidget(forms.Widget):
    """A widget rendered with the project's template engine, so its template can live in
    ``templates/admin/widgets/`` (the default form renderer only looks in apps)."""

    def _render(self, template_name, context, renderer=None):
        return mark_safe(render_to_string(template_name, context))


class _LoadedChoices:
    """An autocomplete whose chosen rows are shown from ``loaded``, rows the page has
    already read (prefetched or joined), rather than read again by each inline form. A
    choice not among them (a form sent back with other choices) is read as usual."""

    loaded = ()

    def optgroups(self, name, value, attr=None):
        by_key = {str(row.pk): row for row in self.loaded}
        chosen = [str(v) for v in value if str(v) not in self.choices.field.empty_values]
        if any(key not in by_key for key in chosen):
            return super().optgroups(name, value, attr)
        label = self.choices.field.label_from_instance
        options = [
            self.create_option(name, key, label(by_key[key]), True, index)
            for index, key in enumerate(chosen)
        ]
        if not self.is_required and not self.allow_multiple_selected:
            options.insert(0, self.create_option(name, "", "", False, 0))
        return [(None, options, 0)]


class LoadedAutocompleteSelect(_LoadedChoices, AutocompleteSelect):
    pass


class LoadedAutocompleteSelectMultiple(_LoadedChoices, AutocompleteSelectMultiple):
    pass


def show_loaded(field, rows) -> None:
    """Let ``field``'s autocomplete (inside the admin's related-widget wrapper) show
    ``rows`` without a query."""
    widget = getattr(field.widget, "widget", field.widget)
    if isinstance(widget, _LoadedChoices):
        widget.loaded = rows
