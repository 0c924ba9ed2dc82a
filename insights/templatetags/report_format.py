"""Figures as the reports print them (the admin and the dashboard use the same)."""

import functools
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import template
from django.conf import settings

from analytics.units import humanize

register = template.Library()


def numeric(function):
    """Filters of numbers read anything else as a missing figure: a template that looks up
    a figure a row does not have gets Django's empty string, and prints ``-`` for it."""

    @functools.wraps(function)
    def wrapper(value, *args):
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            value = None
        return function(value, *args)

    return wrapper


@register.filter
@numeric
def human(value, unit: str = ""):
    """``{{ 4380|human:"seconds" }}`` -> ``1 h 13 min``; None -> ``-``."""
    return humanize(value, unit)


@register.filter
@numeric
def percent(ratio, digits: int = 1):
    """``0.99953|percent:2`` -> ``99.95%``; None -> ``-``."""
    if ratio is None:
        return "-"
    return f"{ratio * 100:.{int(digits)}f}%"


@register.filter
@numeric
def change(ratio):
    """A relative change: ``0.12`` -> ``+12%``, ``-0.5`` -> ``-50%`` (with a minus sign);
    None -> ``-``."""
    if ratio is None:
        return "-"
    sign = "+" if ratio > 0 else "\u2212" if ratio < 0 else "±"
    return f"{sign}{abs(ratio) * 100:.0f}%"


@register.filter
@numeric
def count(value):
    """Whole numbers with thin thousands separators: ``12345`` -> ``12 345``."""
    if value is None:
        return "-"
    return f"{round(value):,}".replace(",", "\u2009")


@register.filter
def get(mapping, key):
    """``{{ row|get:"p95" }}``: a dict's value by a key that is not an identifier."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
@numeric
def bar(ratio):
    """A ratio as a bar's width in percent, clamped to 0-100."""
    if ratio is None:
        return 0
    return round(min(max(ratio, 0.0), 1.0) * 100, 1)


@register.filter
def when(value):
    """An ISO timestamp (as the figures keep them) in ``TIME_ZONE``: ``2026-11-20 14:05``."""
    if not value:
        return "-"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y-%m-%d %H:%M")


@register.filter
def words(value):
    """``at_risk`` -> ``at risk``."""
    return str(value).replace("_", " ")


@register.filter
@numeric
def signed(value, unit: str = ""):
    """A change with its sign, in the unit's words: ``-90|signed:"seconds"`` ->
    ``-1 min 30 s`` (with a minus sign); ``2.5|signed:"orders"`` -> ``+2.5 orders``;
    None -> ``-``."""
    if value is None:
        return "-"
    sign = "+" if value > 0 else "\u2212" if value < 0 else "±"
    return f"{sign}{humanize(abs(value), unit)}"


@register.filter
@numeric
def pvalue(p):
    """A p-value as papers print it: ``0.0312`` -> ``0.031``, ``2e-9`` -> ``< 0.001``."""
    if p is None:
        return "-"
    if p < 0.001:
        return "< 0.001"
    return f"{p:.3f}"


@register.filter
def benchmark_word(status):
    """A benchmark's status as the report words it."""
    return {
        "exceeds": "target met",
        "meets": "baseline met",
        "below": "below baseline",
    }.get(status, "no data")


# --- incidents and SLO reports ----------------------------------------------------------


@register.filter
def tally(rows, condition: str):
    """How many rows have a key equal to a value: ``{{ slos|tally:"state=met" }}``."""
    key, _, wanted = condition.partition("=")
    return sum(1 for row in rows or () if str(row.get(key)) == wanted)


TIMES = "\u00d7"


@register.filter
@numeric
def burn(rate):
    """A burn rate, a multiple of the sustainable pace: ``0.4213`` -> ``0.42`` and the
    times sign, ``14.4`` -> ``14.4`` and the sign; None -> ``-``."""
    if rate is None:
        return "-"
    digits = 2 if rate < 10 else 1 if rate < 100 else 0
    return f"{rate:.{digits}f}{TIMES}"


@register.filter
@numeric
def amount(value, unit: str = ""):
    """As ``human``, and right below zero too (a forecast's interval can reach there):
    ``-5400|amount:"seconds"`` -> ``-1 h 30 min`` with a minus sign; None -> ``-``."""
    if value is not None and value < 0:
        return f"\u2212{humanize(-value, unit)}"
    return humanize(value, unit)


@register.filter
def day(value):
    """An ISO timestamp (or a datetime) as its date in ``TIME_ZONE``: ``2026-11-20``."""
    if not value:
        return "-"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y-%m-%d")
