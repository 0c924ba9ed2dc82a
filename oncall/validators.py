"""Rules about the values of on-call configuration. They live on the models' fields, so
the API, the admin, commands and services refuse the same bad row."""

import zoneinfo
from datetime import time, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

RESTRICTION_KEYS = {"days", "start", "end"}
MIN_ROTATION = timedelta(hours=1)
MAX_ROTATION = timedelta(days=366)


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone (e.g. Europe/London).")


def validate_rotation_length(value):
    if not isinstance(value, timedelta) or not MIN_ROTATION <= value <= MAX_ROTATION:
        raise ValidationError("A rotation lasts from one hour to 366 days.")


def parse_clock(value) -> time:
    """``"HH:MM"`` (or ``"HH:MM:SS"``) as a time; ValueError otherwise."""
    if not isinstance(value, str) or len(value) not in (5, 8):
        raise ValueError(value)
    return time.fromisoformat(value)


def validate_restrictions(value):
    """``[{"days": [0..6], "start": "HH:MM", "end": "HH:MM"}, ...]``, Monday = 0."""
    if not isinstance(value, list):
        raise ValidationError('A list of {"days": [0-6], "start": "HH:MM", "end": "HH:MM"}.')
    errors = []
    for number, item in enumerate(value, start=1):
        where = f"restriction {number}"
        if not isinstance(item, dict):
            errors.append(f"{where}: an object with days, start and end.")
            continue
        unknown = set(item) - RESTRICTION_KEYS
        if unknown:
            names = ", ".join(sorted(map(str, unknown)))
            errors.append(f"{where}: unknown key(s) {names}.")
        days = item.get("days")
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days)
        ):
            errors.append(f"{where}: days must be a non-empty list of 0 (Monday) to 6 (Sunday).")
        for key in ("start", "end"):
            try:
                parse_clock(item.get(key))
            except (TypeError, ValueError):
                errors.append(f"{where}: {key} must be a time of day as HH:MM, e.g. 09:00.")
    if errors:
        raise ValidationError(errors)


def validate_contact_address(kind: str, address: str) -> None:
    """An email address for email, an http(s) URL for a webhook."""
    validator = EmailValidator() if kind == "email" else URLValidator(schemes=["http", "https"])
    try:
        validator(address)
    except ValidationError as exc:
        what = "email address" if kind == "email" else "http(s) URL"
        raise ValidationError({"address": f"Not a valid {what}."}) from exc
