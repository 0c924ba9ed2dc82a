"""The arithmetic of SLOs, free of the database: windows, burn rates, budgets, states and
the multi-window, multi-burn-rate alert rows (``../shared/SLO.md``; Sloth's and Pyrra's).

Counts come in as ``{window key: (good, total)}``, where the keys are the burn-rate
windows below plus ``"slo"`` for the SLO's own window."""

import calendar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# Burn-rate windows, in minutes.
BURN_WINDOWS = {"5m": 5, "30m": 30, "1h": 60, "2h": 120, "6h": 360, "1d": 1440, "3d": 4320}


@dataclass(frozen=True)
class AlertRow:
    severity: str  # page or ticket
    long: str
    short: str
    budget_percent: float  # of the whole budget spent when it fires, over ``long``

    def threshold(self, period_minutes: int) -> float:
        """The burn rate both windows must exceed. For a 30-day SLO: 14.4, 6, 3, 1; other
        periods keep the windows and the budget share, as Sloth does for 28 days."""
        return self.budget_percent / 100 * period_minutes / BURN_WINDOWS[self.long]


ALERT_ROWS = (
    AlertRow("page", "1h", "5m", 2),
    AlertRow("page", "6h", "30m", 5),
    AlertRow("ticket", "1d", "2h", 10),
    AlertRow("ticket", "3d", "6h", 10),
)

# Budget remaining under this share makes an SLO "at risk".
AT_RISK_BUDGET = 0.25

DAY = 1440
FIXED_PERIODS = {"7d": 7 * DAY, "28d": 28 * DAY, "30d": 30 * DAY}


def unix_minute(at: datetime) -> int:
    """The last whole minute at or before ``at``: a window ending at ``at`` covers the
    buckets stamped in (end - w, end]."""
    return int(at.timestamp() // 60)


def bucket_minute(at: datetime) -> int:
    """The bucket an event at ``at`` counts in: its minute, rounded up to the end."""
    seconds = at.timestamp()
    whole = int(seconds // 60)
    return whole if seconds == whole * 60 else whole + 1


def period_minutes(window: str, at: datetime) -> int:
    """The SLO's budget period: its rolling window, or the whole calendar month of ``at``."""
    if window in FIXED_PERIODS:
        return FIXED_PERIODS[window]
    at = at.astimezone(UTC)
    return calendar.monthrange(at.year, at.month)[1] * DAY


def window_minutes(window: str, at: datetime) -> int:
    """How far back the SLO's window reaches from ``at``: the rolling length, or (calendar
    month) from the start of ``at``'s month."""
    if window in FIXED_PERIODS:
        return FIXED_PERIODS[window]
    at = at.astimezone(UTC)
    start = datetime(at.year, at.month, 1, tzinfo=UTC)
    return max(unix_minute(at) - unix_minute(start), 1)


def error_ratio(good: float, total: float) -> float | None:
    return None if total <= 0 else 1 - good / total


def burn_rate(good: float, total: float, objective: float) -> float:
    ratio = error_ratio(good, total)
    return 0.0 if ratio is None else ratio / (1 - objective)


@dataclass
class Status:
    at: datetime
    state: str
    reason: str | None
    sli: float | None
    good: float
    total: float
    remaining_ratio: float | None
    remaining_events: float | None
    exhausted_at: datetime | None
    burn_rates: dict = field(default_factory=dict)
    page: bool = False
    ticket: bool = False
    firing_rows: list = field(default_factory=list)

    def as_dict(self, slo_id: int) -> dict:
        return {
            "slo": slo_id,
            "at": self.at,
            "state": self.state,
            "reason": self.reason,
            "sli": self.sli,
            "good": self.good,
            "total": self.total,
            "error_budget": {
                "remaining_ratio": self.remaining_ratio,
                "remaining_events": self.remaining_events,
                "exhausted_at": self.exhausted_at,
            },
            "burn_rates": self.burn_rates,
            "alerts": {"page": self.page, "ticket": self.ticket},
        }


def unknown(at: datetime, reason: str) -> Status:
    return Status(
        at=at,
        state="unknown",
        reason=reason,
        sli=None,
        good=0,
        total=0,
        remaining_ratio=None,
        remaining_events=None,
        exhausted_at=None,
        burn_rates=dict.fromkeys(BURN_WINDOWS),
    )


def evaluate(
    *,
    counts: dict[str, tuple[float, float]],
    objective: float,
    window: str,
    at: datetime,
    min_events_per_hour: float = 0,
) -> Status:
    """Everything about one SLO at ``at`` from its counts."""
    good, total = counts["slo"]
    if total <= 0:
        return unknown(at, "No events in the SLO's window.")
    budget = 1 - objective
    sli = good / total
    bad = total - good
    allowed = budget * total
    remaining_events = allowed - bad
    remaining_ratio = 1 - bad / allowed
    rates = {key: burn_rate(*counts[key], objective) for key in BURN_WINDOWS}

    period = period_minutes(window, at)
    firing = []
    for row in ALERT_ROWS:
        threshold = row.threshold(period)
        long_total = counts[row.long][1]
        busy = long_total / (BURN_WINDOWS[row.long] / 60) > min_events_per_hour
        if busy and rates[row.long] > threshold and rates[row.short] > threshold:
            firing.append(row)
    page = any(row.severity == "page" for row in firing)
    # A firing page silences the ticket of the same SLO.
    ticket = not page and any(row.severity == "ticket" for row in firing)

    bad_per_minute = (counts["1h"][1] - counts["1h"][0]) / 60
    exhausted_at = (
        at + timedelta(minutes=remaining_events / bad_per_minute)
        if bad_per_minute > 0 and remaining_events > 0
        else None
    )

    if sli < objective:
        state = "breached"
    elif remaining_ratio < AT_RISK_BUDGET or firing:
        state = "at_risk"
    else:
        state = "met"
    return Status(
        at=at,
        state=state,
        reason=None,
        sli=sli,
        good=good,
        total=total,
        remaining_ratio=remaining_ratio,
        remaining_events=remaining_events,
        exhausted_at=exhausted_at,
        burn_rates=rates,
        page=page,
        ticket=ticket,
        firing_rows=firing,
    )
