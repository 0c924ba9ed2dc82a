"""Which status an incident may move to from which.

triggered -> acknowledged -> mitigated -> resolved -> closed
triggered | acknowledged | mitigated -> resolved
resolved -> triggered (reopen)
"""

from core.errors import Conflict
from incidents.models.incidents import IncidentStatus

TRANSITIONS: dict[str, tuple[str, ...]] = {
    IncidentStatus.TRIGGERED: (IncidentStatus.ACKNOWLEDGED, IncidentStatus.RESOLVED),
    IncidentStatus.ACKNOWLEDGED: (IncidentStatus.MITIGATED, IncidentStatus.RESOLVED),
    IncidentStatus.MITIGATED: (IncidentStatus.RESOLVED,),
    IncidentStatus.RESOLVED: (IncidentStatus.CLOSED, IncidentStatus.TRIGGERED),
    IncidentStatus.CLOSED: (),
}

# The verb of each move, as the API's actions name them.
ACTIONS = {
    IncidentStatus.ACKNOWLEDGED: "acknowledge",
    IncidentStatus.MITIGATED: "mitigate",
    IncidentStatus.RESOLVED: "resolve",
    IncidentStatus.CLOSED: "close",
    IncidentStatus.TRIGGERED: "reopen",
}


class InvalidTransition(Conflict):
    code = "invalid_transition"

    def __init__(self, current: str, target: str):
        allowed = allowed_actions(current)
        super().__init__(
            f"Cannot {ACTIONS[target]} an incident that is {current}; "
            + (f"allowed: {', '.join(allowed)}." if allowed else "it allows no further changes."),
            fields={"status": current, "allowed": allowed},
        )


def allowed_actions(current: str) -> list[str]:
    return [ACTIONS[target] for target in TRANSITIONS[current]]


def needs_transition(current: str, target: str) -> bool:
    """False when the incident is already there (a no-op); raises if the move is not allowed."""
    if current == target:
        return False
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(current, target)
    return True
