"""schedule_gaps: schedules with nobody on call at times in the next 14 days, from the
oncall app's own final shifts."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from insights.rules import schedule_gaps
from oncall import services
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # a Monday


def schedule(name, users, **layer):
    return services.schedule_create(
        name=name,
        team=TeamFactory(),
        time_zone="UTC",
        layers=[
            {
                "name": "primary",
                "rotation_length": timedelta(days=7),
                "handoff_date": date(2026, 5, 4),
                "handoff_time": time(9),
                "members": users,
                **layer,
            }
        ],
    )


def test_a_business_hours_only_schedule_has_gaps():
    office = schedule(
        "office",
        [UserFactory(), UserFactory()],
        restrictions=[{"days": list(range(7)), "start": "09:00", "end": "17:00"}],
    )

    [finding] = schedule_gaps.find(NOW)

    assert finding.subject == f"schedule:{office.pk}"
    assert finding.severity == "critical"
    assert finding.figures == {
        "first_gap_start": NOW.isoformat(),
        "first_gap_end": (NOW + timedelta(hours=9)).isoformat(),
        "gap_hours": 14 * 16.0,  # 16 uncovered hours a day
        "gaps": 15,  # the nights join up: 00-09, then 17-09 thirteen times, then 17-24
    }
    assert ("Schedule", f"/admin/oncall/schedule/{office.pk}/change/") in finding.evidence


def test_a_round_the_clock_schedule_has_none():
    schedule("24x7", [UserFactory(), UserFactory()])
    assert schedule_gaps.find(NOW) == []


def test_an_override_fills_a_gap():
    user = UserFactory()
    weekdays = schedule(
        "weekdays",
        [user],
        restrictions=[{"days": [0, 1, 2, 3, 4], "start": "00:00", "end": "00:00"}],
    )
    # Weekends are uncovered: an override covers the first one only.
    services.override_create(
        schedule=weekdays,
        user=user,
        start=datetime(2026, 6, 6, tzinfo=UTC),
        end=datetime(2026, 6, 8, tzinfo=UTC),
    )

    [finding] = schedule_gaps.find(NOW)

    assert finding.figures == {
        "first_gap_start": datetime(2026, 6, 13, tzinfo=UTC).isoformat(),
        "first_gap_end": datetime(2026, 6, 15, tzinfo=UTC).isoformat(),
        "gap_hours": 48.0,
        "gaps": 1,
    }
