"""Schedule arithmetic: examples across daylight-saving changes, and properties that
must hold for any schedule (hypothesis)."""

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from oncall.rotation import (
    Layer,
    Override,
    Restriction,
    ScheduleSpec,
    final_shifts,
    gaps,
    layer_shifts,
    oncall_at,
)

DAY = timedelta(days=1)


def daily(zone, members=(1, 2, 3), handoff=datetime(2026, 3, 1, 9, 0), **extra):
    return ScheduleSpec(zone, layers=(Layer(1, 1, members, DAY, handoff, **extra),))


def handoffs(spec, start, end):
    return [shift.start for shift in final_shifts(spec, start, end)][1:]


# --- daylight saving -----------------------------------------------------------


def test_a_london_0900_handoff_stays_at_0900_when_the_clocks_go_forward():
    spec = daily("Europe/London")
    london = ZoneInfo("Europe/London")

    times = handoffs(
        spec, datetime(2026, 3, 27, 12, tzinfo=UTC), datetime(2026, 3, 31, 12, tzinfo=UTC)
    )

    assert [t.astimezone(london).strftime("%d %H:%M %Z") for t in times] == [
        "28 09:00 GMT",
        "29 09:00 BST",
        "30 09:00 BST",
        "31 09:00 BST",
    ]
    assert [t.hour for t in times] == [9, 8, 8, 8]  # UTC


def test_a_london_0900_handoff_stays_at_0900_when_the_clocks_go_back():
    spec = daily("Europe/London")

    times = handoffs(
        spec, datetime(2026, 10, 23, 12, tzinfo=UTC), datetime(2026, 10, 27, 12, tzinfo=UTC)
    )

    assert [(t.day, t.hour) for t in times] == [(24, 8), (25, 9), (26, 9), (27, 9)]


def test_new_york_weekly_handoff_keeps_monday_0900_across_both_changes():
    spec = ScheduleSpec(
        "America/New_York",
        layers=(Layer(1, 1, (1, 2), 7 * DAY, datetime(2026, 1, 5, 9, 0)),),
    )
    new_york = ZoneInfo("America/New_York")

    times = handoffs(spec, datetime(2026, 2, 25, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))

    local = [t.astimezone(new_york) for t in times]
    assert {(t.weekday(), t.hour, t.minute) for t in local} == {(0, 9, 0)}
    assert {t.hour for t in times} == {14, 13}  # EST then EDT then EST, in UTC
    march_9 = next(t for t in times if t.month == 3 and t.day == 9)
    assert march_9.hour == 13  # 09:00 EDT, the first Monday after 8 March


def test_the_shift_across_the_spring_change_is_an_hour_shorter():
    spec = daily("Europe/London")

    shifts = final_shifts(
        spec, datetime(2026, 3, 28, 9, tzinfo=UTC), datetime(2026, 3, 30, 8, tzinfo=UTC)
    )

    assert shifts[0].end - shifts[0].start == timedelta(hours=23)


# --- layers, restrictions, overrides --------------------------------------------


def test_members_take_turns():
    spec = daily("UTC", handoff=datetime(2026, 1, 1, 9))

    assert [oncall_at(spec, datetime(2026, 1, d, 12, tzinfo=UTC)) for d in range(1, 8)] == [
        1,
        2,
        3,
        1,
        2,
        3,
        1,
    ]
    assert oncall_at(spec, datetime(2025, 12, 31, 12, tzinfo=UTC)) is None  # before it starts


def test_business_hours_restriction_and_a_higher_layer_covering_it():
    weekdays = (Restriction(days=(0, 1, 2, 3, 4), start=time(9), end=time(17)),)
    spec = ScheduleSpec(
        "Europe/London",
        layers=(
            Layer(1, 1, (10,), 7 * DAY, datetime(2026, 6, 1, 0, 0)),  # always, lower
            Layer(2, 2, (20,), 7 * DAY, datetime(2026, 6, 1, 0, 0), weekdays),  # office hours
        ),
    )

    monday_noon = datetime(2026, 6, 1, 11, tzinfo=UTC)  # 12:00 BST
    monday_night = datetime(2026, 6, 1, 22, tzinfo=UTC)
    saturday_noon = datetime(2026, 6, 6, 11, tzinfo=UTC)
    assert oncall_at(spec, monday_noon) == 20
    assert oncall_at(spec, monday_night) == 10
    assert oncall_at(spec, saturday_noon) == 10


def test_an_overnight_restriction_runs_past_midnight():
    nights = (Restriction(days=tuple(range(7)), start=time(22), end=time(6)),)
    spec = ScheduleSpec("UTC", layers=(Layer(1, 1, (5,), DAY, datetime(2026, 1, 1), nights),))

    assert oncall_at(spec, datetime(2026, 1, 2, 23, tzinfo=UTC)) == 5
    assert oncall_at(spec, datetime(2026, 1, 3, 5, 59, tzinfo=UTC)) == 5
    assert oncall_at(spec, datetime(2026, 1, 3, 12, tzinfo=UTC)) is None


def test_follow_the_sun_hands_over_between_time_zones_of_the_day():
    # Two 12-hour layers in one UTC schedule: Sydney's day and London's day.
    spec = ScheduleSpec(
        "UTC",
        layers=(
            Layer(
                1,
                1,
                (1, 2),
                7 * DAY,
                datetime(2026, 1, 5),
                (Restriction(tuple(range(7)), time(21), time(9)),),
            ),
            Layer(
                2,
                1,
                (3, 4),
                7 * DAY,
                datetime(2026, 1, 5),
                (Restriction(tuple(range(7)), time(9), time(21)),),
            ),
        ),
    )
    start, end = datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 19, tzinfo=UTC)

    assert gaps(spec, start, end) == []
    assert oncall_at(spec, datetime(2026, 1, 6, 3, tzinfo=UTC)) == 1
    assert oncall_at(spec, datetime(2026, 1, 6, 15, tzinfo=UTC)) == 3
    assert oncall_at(spec, datetime(2026, 1, 13, 15, tzinfo=UTC)) == 4


def test_overrides_beat_every_layer_and_the_latest_override_wins():
    spec = daily("UTC", handoff=datetime(2026, 1, 1))
    spec = ScheduleSpec(
        "UTC",
        layers=spec.layers,
        overrides=(
            Override(
                1, 7, datetime(2026, 1, 2, 10, tzinfo=UTC), datetime(2026, 1, 2, 14, tzinfo=UTC)
            ),
            Override(
                2, 8, datetime(2026, 1, 2, 12, tzinfo=UTC), datetime(2026, 1, 2, 13, tzinfo=UTC)
            ),
        ),
    )

    shifts = final_shifts(spec, datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC))

    assert [(s.user, s.start.hour, s.end.hour or 24, s.source) for s in shifts] == [
        (2, 0, 10, "layer:1"),
        (7, 10, 12, "override:1"),
        (8, 12, 13, "override:2"),
        (7, 13, 14, "override:1"),
        (2, 14, 24, "layer:1"),
    ]


def test_gaps_are_reported():
    weekdays = (Restriction(days=(0, 1, 2, 3, 4), start=time(9), end=time(17)),)
    spec = ScheduleSpec("UTC", layers=(Layer(1, 1, (1,), DAY, datetime(2026, 6, 1), weekdays),))

    found = gaps(spec, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC))

    assert [(g.start.hour, g.end.hour) for g in found] == [(0, 9), (17, 0)]
    assert all(g.user is None and g.source == "gap" for g in found)


# --- properties -------------------------------------------------------------------

ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
BASE = datetime(2026, 1, 1)


@st.composite
def restrictions(draw):
    if not draw(st.booleans()):
        return ()
    return tuple(
        Restriction(
            days=tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1)))),
            start=time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30]))),
            end=time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30]))),
        )
        for _ in range(draw(st.integers(1, 2)))
    )


@st.composite
def schedules(draw):
    layers = tuple(
        Layer(
            id=i,
            priority=draw(st.integers(1, 3)),
            members=tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=4))),
            rotation=timedelta(hours=draw(st.sampled_from([6, 8, 12, 24, 48, 168]))),
            first_handoff=BASE + timedelta(hours=draw(st.integers(0, 24 * 60))),
            restrictions=draw(restrictions()),
        )
        for i in range(1, draw(st.integers(1, 3)) + 1)
    )
    overrides = []
    for i in range(draw(st.integers(0, 3))):
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=draw(st.integers(0, 24 * 120)))
        overrides.append(
            Override(
                i + 1,
                draw(st.integers(7, 9)),
                start,
                start + timedelta(hours=draw(st.integers(1, 72))),
            )
        )
    return ScheduleSpec(draw(st.sampled_from(ZONES)), layers, tuple(overrides))


windows = st.tuples(st.integers(0, 24 * 150), st.integers(1, 24 * 21)).map(
    lambda w: (
        datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=w[0]),
        datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=w[0] + w[1]),
    )
)


def covered(spec, when) -> bool:
    """Somebody is on call at ``when`` by the raw layers and overrides alone."""
    if any(o.start <= when < o.end for o in spec.overrides):
        return True
    tick = when + timedelta(microseconds=1)
    return any(layer_shifts(layer, spec.zone, when, tick) for layer in spec.layers)


@settings(max_examples=150, deadline=None)
@given(schedules(), windows)
def test_final_shifts_are_sorted_disjoint_and_inside_the_window(spec, window):
    start, end = window
    shifts = final_shifts(spec, start, end, gaps=True)

    assert shifts[0].start == start
    assert shifts[-1].end == end
    for before, after in itertools.pairwise(shifts):
        assert before.end == after.start
        assert before.start < before.end
        assert (before.user, before.source) != (after.user, after.source)  # merged


@settings(max_examples=150, deadline=None)
@given(schedules(), windows, st.lists(st.floats(0, 1), min_size=5, max_size=5))
def test_shifts_cover_exactly_the_covered_time_and_agree_with_oncall_at(spec, window, samples):
    start, end = window
    shifts = final_shifts(spec, start, end, gaps=True)

    for fraction in samples:
        when = start + (end - start) * fraction
        if when >= end:
            continue
        shift = next(s for s in shifts if s.start <= when < s.end)
        assert oncall_at(spec, when) == shift.user
        assert (shift.user is not None) == covered(spec, when)
    for shift in shifts:
        assert oncall_at(spec, shift.start) == shift.user


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 50), min_size=1, max_size=5, unique=True),
    st.sampled_from([6, 12, 24, 168]),
    st.integers(1, 4),
    st.sampled_from(ZONES),
)
def test_rotations_are_fair_over_whole_cycles(members, hours, cycles, zone):
    rotation = timedelta(hours=hours)
    layer = Layer(1, 1, tuple(members), rotation, datetime(2026, 2, 2, 9))
    spec = ScheduleSpec(zone, layers=(layer,))
    first = layer.first_handoff.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    last = (layer.first_handoff + rotation * len(members) * cycles).replace(tzinfo=ZoneInfo(zone))

    shifts = final_shifts(spec, first, last.astimezone(UTC))

    turns = dict.fromkeys(members, 0)
    for shift in shifts:
        turns[shift.user] += 1
    # Every member the same number of turns (a member's consecutive turns merge only
    # when they are the only member).
    expected = cycles if len(members) > 1 else 1
    assert set(turns.values()) == {expected}
    if zone == "UTC":
        durations = {m: timedelta() for m in members}
        for shift in shifts:
            durations[shift.user] += shift.end - shift.start
        assert len(set(durations.values())) == 1
