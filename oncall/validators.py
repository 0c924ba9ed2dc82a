"""Rules about the values of on-call configuration. They live on the models' fields, so
the API, the admin, commands and services refuse the same bad row."""

import re
import zoneinfo
from datetime import date, time, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

RESTRICTION_KEYS = {"days", "start", "end"}
MIN_ROTATION = timedelta(hours=1)
MAX_ROTATION = timedelta(days=366)
FIRST_HANDOFF_YEAR, LAST_HANDOFF_YEAR = 2000, 2100
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone (e.g. Europe/London).")


def validate_rotation_length(value):
    if not isinstance(value, timedelta) or not MIN_ROTATION <= value <= MAX_ROTATION:
        raise ValidationError("A rotation lasts from one hour to 366 days.")


def validate_handoff_date(value):
    """A first handoff from 2000 to 2100: later or earlier dates are typing mistakes, and
    near the ends of the calendar the rotation arithmetic runs out of dates."""
    if not isinstance(value, date) or not FIRST_HANDOFF_YEAR <= value.year <= LAST_HANDOFF_YEAR:
        raise ValidationError(
            f"The first handoff must be between {FIRST_HANDOFF_YEAR} and {LAST_HANDOFF_YEAR}."
        )


def validate_single_line(value):
    """No line breaks or other control characters: the value goes into HTTP headers
    (a calendar's file name) and one-line calendar and email fields."""
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise ValidationError("Line breaks, tabs and other control characters are not allowed.")


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
    """An email address for email, an http(s) URL for a webhook; a webhook's URL must
    also be one the workers may call (a public address unless OUTGOING_ALLOW_PRIVATE)."""
    from core.net import REFUSAL_HINT, outgoing_url_refusal

    validator = EmailValidator() if kind == "email" else URLValidator(schemes=["http", "https"])
    try:
        validator(address)
    except ValidationError as exc:
        what = "email address" if kind == "email" else "http(s) URL"
        raise ValidationError({"address": f"Not a valid {what}."}) from exc
    if kind != "email":
        reason = outgoing_url_refusal(address)
        if reason:
            raise ValidationError({"address": f"{reason}: {REFUSAL_HINT}."})
