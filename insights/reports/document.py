"""What every report kind is built from and builds: its period and its content."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; shown in ``TIME_ZONE``."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def days(self) -> float:
        return self.length.total_seconds() / 86400

    def previous(self) -> "Period":
        """The period of the same length just before this one."""
        return Period(self.start - self.length, self.start)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(settings.TIME_ZONE)

    @property
    def label(self) -> str:
        """``16 Nov 2026 - 23 Nov 2026`` (an en dash): the last day shown is the one the period
        covers, so a week ending at Monday 00:00 reads as Monday to Sunday."""
        first = self.start.astimezone(self.zone)
        last = (self.end - timedelta(microseconds=1)).astimezone(self.zone)
        if first.date() == last.date():
            return first.strftime("%-d %b %Y")
        return f"{first:%-d %b %Y} \u2013 {last:%-d %b %Y}"


@dataclass
class ReportContent:
    """What a kind builds: a title, the key figures (JSON: the API answers them and the
    documents show them, so they agree) and whatever else its template draws."""

    title: str
    figures: dict
    context: dict = field(default_factory=dict)
