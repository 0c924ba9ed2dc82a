"""DRF's representation of values, for answers built directly from database rows.

Read paths that shape a page from ``values()`` rows rather than through a serializer's
fields use these, so a time, a date or a person reads exactly as the declared
serializers write it (in the viewer's time zone where one is active)."""

from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

_DATETIME = serializers.DateTimeField()
_DATE = serializers.DateField()


def datetime_repr(value) -> str | None:
    """``serializers.DateTimeField``'s output: ISO 8601 in the active time zone, UTC
    written as ``Z``."""
    return None if value is None else _DATETIME.to_representation(value)


def datetime_writer():
    """``datetime_repr`` for a page of rows: the active time zone is looked up once
    rather than for every value (DRF's field asks for it each time). Naive times and a
    DATETIME_FORMAT other than ISO 8601 go through DRF's field itself."""
    output_format = api_settings.DATETIME_FORMAT
    if output_format is None or output_format.lower() != ISO_8601:
        return datetime_repr
    zone = _DATETIME.default_timezone()
    if zone is None:
        return datetime_repr

    def write(value):
        if value is None:
            return None
        if timezone.is_naive(value):
            return _DATETIME.to_representation(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return _DATETIME.to_representation(value)  # DRF's own error
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return write


def date_repr(value) -> str | None:
    """``serializers.DateField``'s output: ISO 8601."""
    return None if value is None else _DATE.to_representation(value)


def person_ref(user_id, username, first_name, last_name) -> dict:
    """``UserRefSerializer``'s output from a user's columns (``name`` is Django's
    ``get_full_name()``)."""
    return {"id": user_id, "username": username, "name": f"{first_name} {last_name}".strip()}
