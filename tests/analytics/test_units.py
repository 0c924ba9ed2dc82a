"""How the admin writes benchmark figures."""

import pytest

from analytics.units import humanize


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (None, "seconds", "-"),
        (13927.4, "seconds", "3 h 52 min"),
        (3600, "seconds", "1 h"),
        (740.7, "seconds", "12 min 21 s"),
        (300, "seconds", "5 min"),
        (42.4, "seconds", "42 s"),
        (536870912.0, "bytes", "512 MiB"),
        (0.999, "ratio", "99.9%"),
        (4.875, "queries", "4.875 queries"),
        (80.0, "ms", "80 ms"),
        (3.0, "", "3"),
    ],
)
def test_figures_read_as_people_say_them(value, unit, shown):
    assert humanize(value, unit) == shown
