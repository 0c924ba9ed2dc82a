"""Which status an incident may move to from which.

triggered -> acknowledged -> mitigated -> resolved -> closed
triggered | acknowledged | mitigated -> resolved
resolved -> triggered (reopen)
"""

from core.errors import Conflict
from incidents.models.incidents import Status

TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.TRIGGERED: (Status.ACKNOWLEDGED, Status.RESOLVED),
    Status.ACKNOWLEDGED: (Status.MITIGATED, Status.RESOLVED),
    Status.MITIGATED: (Status.RESOLVED,),
    Status.RESOLVED: (Status.CLOSED, Status.TRIGGERED),
    Status.CLOSED: (),
}

# The verb of each move, as the API's actions name them.
ACTIONS = {
    Status.ACKNOWLEDGED: "acknowledge",
    Status.MITIGATED: "mitigate",
    Status.RESOLVED: "resolve",
    Status.CLOSED: "close",
    Status.TRIGGERED: "reopen",
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
