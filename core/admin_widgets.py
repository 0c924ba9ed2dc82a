"""What the admin's friendlier form widgets share."""

from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe


class TemplateWidget(forms.Widget):
    """A widget rendered with the project's template engine, so its template can live in
    ``templates/admin/widgets/`` (the default form renderer only looks in apps)."""

    def _render(self, template_name, context, renderer=None):
        return mark_safe(render_to_string(template_name, context))
