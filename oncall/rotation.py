"""Who is on call: the schedule arithmetic, on plain values so it can be tested and
property-checked without a database.

Layers rotate in the schedule's own time zone: handoff k is at first handoff
+ k x rotation length in *wall time*, so a 09:00 handoff stays at 09:00 local when the
clocks change (a day-long shift on the night they spring forward lasts 23 hours).
Restrictions cut a layer down to local weekday/time windows. The final schedule takes,
at each moment, the latest-created override covering it, else the highest-priority layer
that has someone on call, else nobody (a gap).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

OVERRIDE = "override"
ONE_DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Restriction:
    days: tuple[int, ...]  # Monday = 0
    start: time
    end: time  # at or before start: runs past midnight


@dataclass(frozen=True)
class Layer:
    id: int
    priority: int
    members: tuple[int, ...]  # user ids in rotation order
    rotation: timedelta
    first_handoff: datetime  # naive: wall time in the schedule's zone
    restrictions: tuple[Restriction, ...] = ()


@dataclass(frozen=True)
class Override:
    id: int
    user: int
    start: datetime  # aware
    end: datetime


@dataclass(frozen=True)
class ScheduleSpec:
    time_zone: str
    layers: tuple[Layer, ...] = ()
    overrides: tuple[Override, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class Shift:
    user: int | None  # None: a gap, nobody on call
    start: datetime
    end: datetime
    source: str  # "layer:<id>", "override:<id>" or "gap"


@dataclass(order=True)
class _Piece:
    start: datetime
    end: datetime
    user: int = field(compare=False)
    source: str = field(compare=False)


# The representable range. Wall times and instants near either end (a handoff stored as
# 9999-12-31 23:00 in New York is 10000-01-01 in UTC) are clipped to it instead of
# raising OverflowError: a turn that would start after the end of time never starts, and
# one that would end after it runs to the end.
MIN_INSTANT = datetime.min.replace(tzinfo=UTC)
MAX_INSTANT = datetime.max.replace(tzinfo=UTC)
# At most this many turns of one layer in one window: a rotation stored around the
# model's validation (one second, say) is refused instead of looping for hours.
MAX_TURNS = 100_000
_LATE = 5000  # a year past this overflowed upwards, before it downwards


def _utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant of a wall time in ``zone``, clipped to the representable range."""
    try:
        return wall.replace(tzinfo=zone).astimezone(UTC)
    except OverflowError:
        return MAX_INSTANT if wall.year > _LATE else MIN_INSTANT


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive wall time of an instant in ``zone``, clipped to the representable range."""
    try:
        return instant.astimezone(zone).replace(tzinfo=None)
    except OverflowError:
        return datetime.max if instant.year > _LATE else datetime.min


def _later(moment, delta: timedelta):
    """``moment + delta`` (a datetime or a date), or None past the end of the calendar."""
    try:
        return moment + delta
    except OverflowError:
        return None


def _handoff(layer: Layer, k: int) -> datetime | None:
    """Handoff ``k`` as wall time, or None when it falls after the end of the calendar."""
    try:
        return layer.first_handoff + k * layer.rotation
    except OverflowError:
        return None


def layer_shifts(layer: Layer, zone: ZoneInfo, start: datetime, end: datetime) -> list[_Piece]:
    """The layer's turns that overlap [start, end), restricted, clipped, in UTC."""
    if not layer.members or start >= end:
        return []
    if layer.rotation <= timedelta(0):
        raise ValueError(f"layer {layer.id}: a rotation must be positive")
    if (end - start) // layer.rotation > MAX_TURNS:
        raise ValueError(f"layer {layer.id}: more than {MAX_TURNS} turns in the window")
    wall_start = _wall(start, zone)
    # One turn early: wall time and instants disagree by up to a DST offset.
    k = max(0, (wall_start - layer.first_handoff) // layer.rotation - 1)
    pieces = []
    handoff = _handoff(layer, k)
    while handoff is not None:
        turn_start = _utc(handoff, zone)
        if turn_start >= end:
            break
        following = _handoff(layer, k + 1)
        turn_end = MAX_INSTANT if following is None else _utc(following, zone)
        if turn_end > start:
            user = layer.members[k % len(layer.members)]
            # Only the part inside the window is restricted: a turn may last 366 days.
            lo, hi = max(turn_start, start), min(turn_end, end)
            if lo < hi:
                for piece_start, piece_end in _restricted(layer, zone, lo, hi):
                    pieces.append(_Piece(piece_start, piece_end, user, f"layer:{layer.id}"))
        k, handoff = k + 1, following
    return pieces


def _restricted(layer: Layer, zone: ZoneInfo, start: datetime, end: datetime):
    """[start, end) cut to the layer's restriction windows (all of it when none)."""
    if not layer.restrictions:
        yield start, end
        return
    windows = []
    # From the day before (a window opened then may run past midnight) to the last day.
    day: date | None = _wall(start, zone).date()
    day = _later(day, -ONE_DAY) or day
    last = _wall(end, zone).date()
    while day is not None and day <= last:
        for restriction in layer.restrictions:
            if day.weekday() not in restriction.days:
                continue
            opens = datetime.combine(day, restriction.start)
            closes = datetime.combine(day, restriction.end)
            if closes <= opens:
                closes = _later(closes, ONE_DAY) or datetime.max
            windows.append((_utc(opens, zone), _utc(closes, zone)))
        day = _later(day, ONE_DAY)
    for lo, hi in _union(windows):
        lo, hi = max(lo, start), min(hi, end)
        if lo < hi:
            yield lo, hi


def _union(intervals):
    merged = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def final_shifts(spec: ScheduleSpec, start: datetime, end: datetime, *, gaps=False) -> list[Shift]:
    """The resolved timeline over [start, end): who is on call, from when to when, and
    which layer or override put them there; with ``gaps``, the uncovered stretches too."""
    zone = spec.zone
    layers = sorted(spec.layers, key=lambda layer: (-layer.priority, layer.id))
    by_layer = [layer_shifts(layer, zone, start, end) for layer in layers]
    overrides = [
        _Piece(max(o.start, start), min(o.end, end), o.user, f"{OVERRIDE}:{o.id}")
        for o in sorted(spec.overrides, key=lambda o: o.id)
        if o.start < end and o.end > start
    ]
    cuts = sorted(
        {start, end}
        | {t for p in overrides for t in (p.start, p.end)}
        | {t for pieces in by_layer for p in pieces for t in (p.start, p.end)}
    )
    shifts: list[Shift] = []
    # Each layer's pieces are sorted and disjoint: one cursor per layer walks them once.
    cursors = [0] * len(by_layer)
    for lo, hi in itertools.pairwise(cuts):
        # The latest override wins, then the highest layer.
        chosen = next((p for p in reversed(overrides) if p.start <= lo and p.end >= hi), None)
        for index, pieces in enumerate(by_layer):
            while cursors[index] < len(pieces) and pieces[cursors[index]].end <= lo:
                cursors[index] += 1
            if chosen is None and cursors[index] < len(pieces):
                piece = pieces[cursors[index]]
                if piece.start <= lo:
                    chosen = piece
        user, source = (chosen.user, chosen.source) if chosen else (None, "gap")
        last = shifts[-1] if shifts else None
        if last and last.end == lo and (last.user, last.source) == (user, source):
            shifts[-1] = Shift(user, last.start, hi, source)
        else:
            shifts.append(Shift(user, lo, hi, source))
    return [s for s in shifts if gaps or s.user is not None]


def gaps(spec: ScheduleSpec, start: datetime, end: datetime) -> list[Shift]:
    return [s for s in final_shifts(spec, start, end, gaps=True) if s.user is None]


def oncall_at(spec: ScheduleSpec, when: datetime) -> int | None:
    """The user on call at ``when``, or None."""
    if when >= MAX_INSTANT:
        # The last instant has no next one: whoever holds the tick that ends there.
        shifts = final_shifts(spec, MAX_INSTANT - TICK, MAX_INSTANT)
        return shifts[-1].user if shifts else None
    shifts = final_shifts(spec, when, when + TICK)
    return shifts[0].user if shifts else None
