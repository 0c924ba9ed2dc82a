"""On-call shifts as iCalendar (RFC 5545) feeds that calendar apps subscribe to."""

import hashlib
import re
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vText

# What a feed shows: the recent past and the coming two months.
PAST = timedelta(days=7)
FUTURE = timedelta(days=60)


def feed_window(now=None):
    now = now or timezone.now()
    return now - PAST, now + FUTURE


# Control characters (line breaks included) are not allowed in iCalendar text (RFC 5545
# 3.3.11): a name stored around the model's validation shows them as one space.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def ical_text(value: str) -> vText:
    """``value`` as an iCalendar TEXT value on one line (commas, semicolons and
    backslashes are escaped by icalendar)."""
    return vText(_CONTROL.sub(" ", str(value)))


def shifts_calendar(title: str, rows) -> bytes:
    """``rows``: (schedule, shift, username) for every shift to show."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.SITE_NAME}//on-call//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", ical_text(title))
    stamp = timezone.now()
    for schedule, shift, username in rows:
        event = Event()
        uid_source = f"{schedule.pk}:{shift.source}:{shift.user}:{shift.start.isoformat()}"
        event.add("uid", hashlib.sha256(uid_source.encode()).hexdigest()[:32] + "@vigil")
        event.add("dtstamp", stamp)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("summary", ical_text(f"On call: {username} ({schedule.name})"))
        event.add("description", ical_text(f"{schedule.name}, {shift.source.replace(':', ' ')}"))
        event.add("url", f"{settings.SITE_URL}/admin/oncall/schedule/{schedule.pk}/change/")
        calendar.add_component(event)
    return calendar.to_ical()
