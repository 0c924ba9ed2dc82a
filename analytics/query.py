"""Query parameters the analytics endpoints share: times, durations and labels, each
refused with a clear message (a 400) rather than guessed."""

import re
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from analytics.models import validate_labels
from core.errors import InvalidInput

DURATION = re.compile(r"^(\d{1,7})(s|m|h|d|w)$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
MAX_OFFSET = timedelta(hours=14)


def duration(name: str, text: str | None, *, default: str, least: int, most: int) -> int:
    """``15m``, ``1h``, ``7d``, ``2w`` as seconds, between ``least`` and ``most``."""
    text = default if text in (None, "") else text
    match = DURATION.match(text)
    if not match:
        raise InvalidInput(
            f"{name}: a duration such as 15m, 1h, 1d or 1w.",
            fields={name: ["A number and one of s, m, h, d, w."]},
        )
    seconds = int(match[1]) * UNIT_SECONDS[match[2]]
    if not least <= seconds <= most:
        raise InvalidInput(
            f"{name}: between {least} and {most} seconds.",
            fields={name: [f"Between {least} and {most} seconds."]},
        )
    return seconds


def moment(name: str, text: str | None, default: datetime | None = None) -> datetime | None:
    """An ISO-8601 time (with its offset; a bare date is midnight UTC)."""
    if text in (None, ""):
        return default
    try:
        at = parse_datetime(text)
        if at is None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            at = parse_datetime(f"{text}T00:00:00Z")
    except ValueError:  # well formed but impossible: 2026-02-30
        at = None
    if at is None:
        raise InvalidInput(
            f"{name}: an ISO-8601 time such as 2026-11-01T00:00:00Z.",
            fields={name: ["Not an ISO-8601 time."]},
        )
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    if abs(at.utcoffset()) > MAX_OFFSET:
        raise InvalidInput(
            f"{name}: a UTC offset of at most 14 hours.", fields={name: ["Offset out of range."]}
        )
    if not EARLIEST <= at < LATEST:
        raise InvalidInput(f"{name}: between 1970 and 2199.", fields={name: ["Out of range."]})
    # In UTC: PostgreSQL refuses some offsets Python accepts (+20:38).
    return at.astimezone(UTC)


def window(
    params, *, start: str = "start", end: str = "end", default: timedelta, longest: timedelta
) -> tuple[datetime, datetime]:
    """``start`` and ``end`` from the query (end defaults to now, start to ``default``
    before end); start before end, at most ``longest`` apart."""
    until = moment(end, params.get(end), timezone.now())
    since = moment(start, params.get(start), until - default)
    if since >= until:
        raise InvalidInput(
            f"{start} must be before {end}.", fields={start: [f"Must be before {end}."]}
        )
    if until - since > longest:
        raise InvalidInput(
            f"At most {longest.days} days from {start} to {end}.",
            fields={start: [f"At most {longest.days} days before {end}."]},
        )
    return since, until


def labels(text: str | None) -> dict:
    """``region=eu,tier=gold`` (the series' labels as listed) as a dict."""
    if text in (None, ""):
        return {}
    result = {}
    for part in text.split(","):
        name, equals, value = part.partition("=")
        if not equals or not name.strip():
            raise InvalidInput(
                "labels: name=value pairs separated by commas, e.g. region=eu,tier=gold.",
                fields={"labels": ["name=value pairs separated by commas."]},
            )
        result[name.strip()] = value.strip()
    try:
        validate_labels(result)
    except ValidationError as error:
        raise InvalidInput(
            f"labels: {error.messages[0]}", fields={"labels": error.messages}
        ) from None
    return result
