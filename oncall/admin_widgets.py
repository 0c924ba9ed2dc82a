"""Admin form fields for a layer's rotation length and restrictions, as people write
them: "1 week", "12 hours"; rows of weekdays and a local time window. They only turn
what was typed into the model's values; the model's validators still judge them, so the
admin refuses what the API refuses, with the same messages."""

import re
from datetime import datetime, timedelta

from django import forms

from core.admin_widgets import TemplateWidget

DASH = "\u2013"  # an en dash, as in "Mon-Fri"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # Monday = 0, as stored
# Largest first: a value is shown in the largest unit that measures it exactly.
UNITS = {
    "weeks": timedelta(weeks=1),
    "days": timedelta(days=1),
    "hours": timedelta(hours=1),
    "minutes": timedelta(minutes=1),
    "seconds": timedelta(seconds=1),
}
# Offered on the page; a stored value (written through the API) that needs minutes or
# seconds gets that unit too, so that saving the page never rounds it.
OFFERED_UNITS = ("hours", "days", "weeks")
SHORT_UNITS = {"hours": "h", "minutes": "min", "seconds": "s"}
# Six digits of weeks stay far inside timedelta's range.
AMOUNT = re.compile(r"-?\d{1,6}")
BLANK_RESTRICTION_ROWS = 2
MAX_ROWS = 100


def split_duration(value: timedelta) -> tuple[int, str]:
    """``(amount, unit)`` in the largest unit that measures ``value`` exactly."""
    for unit, size in UNITS.items():
        if value % size == timedelta(0):
            return value // size, unit
    # Below a second (never valid): in seconds, rounded down, and the model refuses it.
    return int(value.total_seconds()), "seconds"


def duration_text(value) -> str:
    """ "1 week", "3 days", "12 h", "90 min"; "—" for nothing."""
    if not isinstance(value, timedelta):
        return "—"
    amount, unit = split_duration(value)
    if unit in SHORT_UNITS:
        return f"{amount} {SHORT_UNITS[unit]}"
    return f"{amount} {unit if amount != 1 else unit[:-1]}"


class DurationWidget(forms.MultiWidget):
    def __init__(self, attrs=None):
        widgets = {
            "amount": forms.NumberInput(attrs={"min": 1, "step": 1, "style": "width: 6em"}),
            "unit": forms.Select(choices=[(unit, unit) for unit in OFFERED_UNITS]),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, timedelta):
            return list(split_duration(value))
        return [None, "days"]

    def get_context(self, name, value, attrs):
        shown = value if isinstance(value, list | tuple) else self.decompress(value)
        unit = shown[1] if len(shown) > 1 else None
        if unit in UNITS and unit not in OFFERED_UNITS:
            self.widgets[1].choices = [*self.widgets[1].choices, (unit, unit)]
        return super().get_context(name, value, attrs)


class DurationField(forms.Field):
    """A number and a unit, as a timedelta; the range is the model's to check."""

    widget = DurationWidget
    default_error_messages = {
        "invalid": "Enter a whole number of hours, days or weeks, e.g. 12 hours or 1 week.",
    }

    def to_python(self, value):
        if isinstance(value, timedelta):
            return value
        if not isinstance(value, list | tuple) or len(value) != 2:
            if value in self.empty_values:
                return None
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        amount, unit = (str(part or "").strip() for part in value)
        if not amount:
            return None
        if unit not in UNITS or not AMOUNT.fullmatch(amount):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(amount) * UNITS[unit]


def _clock(value) -> str:
    """A typed time as the model stores it ("9:00" -> "09:00"); anything unreadable as
    typed, for the model's validator to name."""
    text = str(value or "").strip()
    for pattern in ("%H:%M", "%H:%M:%S"):
        try:
            parsed = datetime.strptime(text, pattern).time()
        except ValueError:
            continue
        return parsed.strftime("%H:%M" if parsed.second == 0 else "%H:%M:%S")
    return text


def _day(value):
    text = str(value).strip()
    return int(text) if text.isdigit() else text


def _day_order(day):
    return (1, 0, day) if isinstance(day, str) else (0, day, "")


def restrictions_rows(value) -> list[dict]:
    """Restrictions, stored or as posted, as ``{"days", "start", "end"}`` rows: blank
    rows dropped, days as numbers and times as HH:MM where they read as such."""
    if not isinstance(value, list):
        return value
    rows = []
    for item in value:
        if not isinstance(item, dict):
            rows.append(item)
            continue
        days = item.get("days")
        if isinstance(days, list):
            days = sorted(set(map(_day, days)), key=_day_order)
        row = {
            **item,
            "days": days,
            "start": _clock(item.get("start")),
            "end": _clock(item.get("end")),
        }
        if (
            not row["days"]
            and not row["start"]
            and not row["end"]
            and set(item) <= {"days", "start", "end"}
        ):
            continue
        rows.append(row)
    return rows


def restrictions_text(value) -> str:
    """ "always", or "Mon-Fri 09:00-17:00; Sat, Sun 10:00-14:00" (with en dashes)."""
    if value in (None, []):
        return "always"
    try:
        return "; ".join(
            f"{_days_text(item['days'])} {_short(item['start'])}{DASH}{_short(item['end'])}"
            + (" (overnight)" if item["end"] <= item["start"] else "")
            for item in value
        )
    except (TypeError, KeyError, AttributeError, ValueError, IndexError):
        return f"unreadable: {value!r}"


def _short(clock: str) -> str:
    return clock[:5] if clock.endswith(":00") and len(clock) == 8 else clock


def _days_text(days) -> str:
    days = sorted(set(days))
    if days == list(range(7)):
        return "every day"
    runs, run = [], [days[0]]
    for day in days[1:]:
        if day == run[-1] + 1:
            run.append(day)
        else:
            runs.append(run)
            run = [day]
    runs.append(run)
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{WEEKDAYS[run[0]]}{DASH}{WEEKDAYS[run[-1]]}")
        else:
            parts.extend(WEEKDAYS[day] for day in run)
    return ", ".join(parts)


class RestrictionsWidget(TemplateWidget):
    """A table: one row per window (a checkbox per weekday, from, to), the stored rows
    and a few blank ones. Posted as ``<name>-<row>-days`` (repeated), ``-start``, ``-end``."""

    template_name = "admin/widgets/restrictions.html"

    def _row_keys(self, name, data):
        pattern = re.compile(rf"{re.escape(name)}-(\d{{1,3}})-(?:days|start|end)")
        return sorted(
            {int(m.group(1)) for key in data if (m := pattern.fullmatch(key))}
            & set(range(MAX_ROWS))
        )

    def value_from_datadict(self, data, files, name):
        indices = self._row_keys(name, data)
        if not indices:
            return None
        days = data.getlist if hasattr(data, "getlist") else (lambda key: data.get(key) or [])
        return [
            {
                "days": list(days(f"{name}-{i}-days")),
                "start": data.get(f"{name}-{i}-start", ""),
                "end": data.get(f"{name}-{i}-end", ""),
            }
            for i in indices
        ]

    def value_omitted_from_data(self, data, files, name):
        return not self._row_keys(name, data)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        stored = (
            [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
        )
        rows = []
        for index, item in enumerate([*stored, *([{}] * BLANK_RESTRICTION_ROWS)]):
            days = item.get("days") if isinstance(item.get("days"), list) else []
            chosen = {str(day) for day in days}
            rows.append(
                {
                    "prefix": f"{name}-{index}",
                    "days": [
                        {"value": number, "name": day, "checked": str(number) in chosen}
                        for number, day in enumerate(WEEKDAYS)
                    ],
                    "start": str(item.get("start") or ""),
                    "end": str(item.get("end") or ""),
                }
            )
        context["widget"].update(rows=rows, weekdays=WEEKDAYS)
        return context


class RestrictionsField(forms.Field):
    """Rows of weekdays and a local time window, as the list the model stores; rows
    left blank are dropped. Whether the rows are right is the model's validator's call."""

    widget = RestrictionsWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            "Local weekday/time windows the layer covers; leave every row blank for always. "
            "A window that ends at or before its start runs past midnight. "
            "Clear a row to remove it; save to get more blank rows.",
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return []
        return restrictions_rows(value)

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != self.to_python(initial)
        except forms.ValidationError:
            return True
