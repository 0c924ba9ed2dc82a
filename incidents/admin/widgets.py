"""The severity mapping of an integration as a table (incoming label value -> incident
severity) instead of JSON. The field only turns the rows into the stored shape; the
model's validator still judges it, with the messages the API gives."""

from django import forms

from core.admin_widgets import TemplateWidget
from incidents.models.incidents import IncidentSeverity

DEFAULT_LABEL, DEFAULT_SEVERITY = "severity", "SEV3"  # what ingestion assumes when unset
BLANK_ROWS = 3
MAX_ROWS = 500


def _as_mapping(value) -> dict | None:
    """A stored mapping with its defaults spelled out; None when it is not an object."""
    if not isinstance(value, dict):
        return None
    return {
        "label": value.get("label", DEFAULT_LABEL),
        "values": value.get("values", {}),
        "default": value.get("default", DEFAULT_SEVERITY),
        **{key: item for key, item in value.items() if key not in ("label", "values", "default")},
    }


class SeverityMappingWidget(TemplateWidget):
    """Posted as ``<name>-label``, ``<name>-default`` and ``<name>-<row>-value`` /
    ``-severity`` pairs."""

    template_name = "admin/widgets/severity_mapping.html"

    def value_from_datadict(self, data, files, name):
        if f"{name}-label" not in data and f"{name}-default" not in data:
            return None
        rows = []
        for index in range(MAX_ROWS):
            value_key, severity_key = f"{name}-{index}-value", f"{name}-{index}-severity"
            if value_key not in data and severity_key not in data:
                break
            rows.append((data.get(value_key, ""), data.get(severity_key, "")))
        return {
            "label": data.get(f"{name}-label", ""),
            "rows": rows,
            "default": data.get(f"{name}-default", ""),
        }

    def value_omitted_from_data(self, data, files, name):
        return f"{name}-label" not in data and f"{name}-default" not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if isinstance(value, dict) and "rows" in value:  # as posted, shown back with its errors
            label, pairs, default = value["label"], value["rows"], value["default"]
        else:
            stored = _as_mapping(value) or _as_mapping({})
            values = stored["values"] if isinstance(stored["values"], dict) else {}
            # Most severe first, then by value: PostgreSQL's jsonb keeps no key order.
            pairs = sorted(values.items(), key=lambda pair: (str(pair[1]), str(pair[0])))
            label, default = stored["label"], stored["default"]
        pairs = [
            *[(str(k), str(v)) for k, v in pairs if str(k) or str(v)],
            *[("", "")] * BLANK_ROWS,
        ]
        known = set(IncidentSeverity.values)
        context["widget"].update(
            label=str(label),
            default=str(default),
            unknown_default=str(default) not in known,
            rows=[
                {"value": k, "severity": v, "unknown": bool(v) and v not in known} for k, v in pairs
            ],
            severities=IncidentSeverity.choices,
        )
        return context


class SeverityMappingField(forms.Field):
    widget = SeverityMappingWidget

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "Incoming alerts carry their severity in a label; map its values to incident "
            "severities. Clear a row to remove it; save to get more blank rows.",
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not (isinstance(value, dict) and "rows" in value):
            return value  # stored JSON, or typed by a client: the model's validator judges it
        errors, values = [], {}
        for number, (incoming, severity) in enumerate(value["rows"], start=1):
            incoming, severity = str(incoming).strip(), str(severity).strip()
            if not incoming and not severity:
                continue
            if not incoming:
                errors.append(f"Row {number}: type the incoming value that means {severity}.")
            elif not severity:
                errors.append(f"Row {number}: choose the incident severity for “{incoming}”.")
            elif incoming in values:
                errors.append(f"Row {number}: “{incoming}” is already mapped above.")
            else:
                values[incoming] = severity
        if errors:
            raise forms.ValidationError(errors)
        return {
            "label": str(value["label"]).strip(),
            "values": values,
            "default": str(value["default"]).strip(),
        }

    def has_changed(self, initial, data):
        try:
            return _as_mapping(self.to_python(data)) != _as_mapping(initial)
        except forms.ValidationError:
            return True
