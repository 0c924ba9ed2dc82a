from dataclasses import dataclass, field
from datetime import UTC, datetime

FIRING = "firing"
RESOLVED = "resolved"
# Alertmanager's "no end yet".
_ZERO_TIME_YEAR = 1


class PayloadError(Exception):
    """The payload can never be accepted; every problem found is listed."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class IncomingAlert:
    fingerprint: str
    status: str
    summary: str
    severity_value: str  # as the sender said it; mapped to SEV1..SEV4 by the integration
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    source_url: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AlertGroup:
    """Alerts that belong to one incident: the sender's group (Alertmanager's and
    Grafana's ``groupKey``, PagerDuty's and the webhook format's dedup key)."""

    key: str
    title: str
    alerts: list[IncomingAlert]
    description: str = ""
    # True when the sender says every alert of the group is resolved.
    resolved: bool = False
    # PagerDuty only: an acknowledge event.
    acknowledge: bool = False

    @property
    def firing(self) -> bool:
        return not self.resolved and not self.acknowledge


# The times a sender may give: an alert before the Unix epoch or past 2200 is a broken
# clock or a made-up value, and a year-9999 time with a negative offset cannot even be
# converted to UTC (OverflowError).
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(2200, 1, 1, tzinfo=UTC)


def parse_time(value, errors: list[str], where: str) -> datetime | None:
    """An RFC 3339 time (nanoseconds allowed) in UTC; None for an empty or zero time
    (Go's zero time, ``0001-01-01T00:00:00Z``, is Alertmanager's "no end yet")."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        errors.append(f"{where}: expected an RFC 3339 time string")
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        errors.append(f"{where}: {value[:64]!r} is not an RFC 3339 time")
        return None
    if parsed.year == _ZERO_TIME_YEAR:
        return None
    try:
        parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        parsed = None
    if parsed is None or not EARLIEST_TIME <= parsed < LATEST_TIME:
        errors.append(
            f"{where}: {value[:64]!r} is out of range "
            f"({EARLIEST_TIME:%Y-%m-%d} to {LATEST_TIME:%Y-%m-%d})"
        )
        return None
    return parsed


def optional_string(value, errors: list[str], where: str) -> str:
    """A string field that may be absent or null ("" then)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.append(f"{where}: expected a string")
        return ""
    return value


def require_mapping(value, errors, where) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(f"{where}: expected an object")
        return {}
    return value


def string_map(value, errors, where) -> dict:
    """Labels and annotations: string to string (other scalars are turned into strings)."""
    mapping = require_mapping(value, errors, where)
    result = {}
    for key, item in mapping.items():
        if isinstance(item, (dict, list)):
            errors.append(f"{where}.{key}: expected a string")
        else:
            result[str(key)] = "" if item is None else str(item)
    return result
