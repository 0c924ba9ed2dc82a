"""The outbox: side effects that must happen after a business change commits (a page,
an outgoing webhook), and must happen even if the broker was down at that moment.

A service writes one row per side effect in the same transaction as the change, then
``outbox_enqueue`` sends the delivery task by name once that transaction commits. The
task claims the row with a lease (an atomic UPDATE), does the network I/O with no
transaction or row lock open, and records the outcome; a failure is retried with
backoff until ``max_attempts``, then the row is failed for good. A beat sweep re-enqueues
rows still pending after ``stale_after`` whose task was lost (a broker outage, a crash),
so a side effect is delayed, never lost. Delivery is at-least-once: a worker killed after
sending but before recording sends again, so each kind carries a stable idempotency key.

An app declares each of its outbox tables in ``<app>/outbox.py`` as ``OUTBOX_KINDS``.
"""

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from celery import current_app
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.discovery import project_app_modules
from core.models import DeliveryStatus, OutboxRow

logger = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """One attempt failed in a way worth retrying (server down, timeout, 5xx).
    ``fields`` are saved on the row with the failure (a response status, say)."""

    def __init__(self, message: str, *, fields: dict | None = None):
        super().__init__(message)
        self.fields = fields or {}


@dataclass(frozen=True)
class OutboxKind:
    model: type[OutboxRow]
    # The Celery task that delivers one row, given its id (routed by name).
    task: str
    # Does the I/O. Returns fields to save with success; raises on failure.
    deliver: Callable[[OutboxRow], dict | None]
    # Audit hooks, called inside the transaction that records an outcome.
    on_attempt: Callable[[OutboxRow, Exception | None], None] | None = None
    on_give_up: Callable[[OutboxRow], None] | None = None
    select_related: tuple[str, ...] = ()
    max_attempts: int = 7
    stale_after: timedelta = timedelta(minutes=2)
    # Longer than any one send may take (the task time limit), so a live send keeps it.
    lease: timedelta = timedelta(minutes=5)
    backoff: Callable[[int], timedelta] = field(
        default=lambda attempts: timedelta(seconds=min(10 * 2 ** (attempts - 1), 300))
    )

    @property
    def label(self) -> str:
        return self.model._meta.label


@dataclass(frozen=True)
class Outcome:
    result: str  # sent, failed (for good), retry, skipped
    retry_in: timedelta | None = None
    error: str = ""


@functools.cache
def outbox_kinds() -> dict[str, OutboxKind]:
    """Every app's outbox kinds, by model label."""
    return {
        kind.label: kind
        for module in project_app_modules("outbox")
        # core.outbox itself is found too, and declares none
        for kind in getattr(module, "OUTBOX_KINDS", ())
    }


def outbox_kind(model) -> OutboxKind:
    return outbox_kinds()[model._meta.label]


def outbox_enqueue(*, kind: OutboxKind, ids) -> None:
    """Send the delivery task for each row once the current transaction commits (at
    once outside one). A broker that is down loses nothing: the sweep finds the rows."""
    ids = list(ids)
    if ids:
        transaction.on_commit(lambda: _send_tasks(kind, ids))


def _send_tasks(kind: OutboxKind, ids) -> None:
    for row_id in ids:
        try:
            current_app.send_task(kind.task, args=[row_id])
        except Exception as exc:  # the broker is down: the sweep will pick the rows up
            logger.warning("outbox: could not enqueue %s %s: %s", kind.label, row_id, exc)
            return


def outbox_deliver(*, kind: OutboxKind, row_id: int) -> Outcome:
    """Deliver one row: claim it, send with no transaction open, record the outcome."""
    row = _claim(kind, row_id)
    if row is None:
        return Outcome("skipped")  # sent, failed for good, or another worker has it
    try:
        saved = kind.deliver(row) or {}
    except Exception as exc:  # every failure is recorded and retried
        return _failed(kind, row, exc)
    with transaction.atomic():
        _finish(
            kind,
            row,
            status=DeliveryStatus.SENT,
            sent_at=timezone.now(),
            last_error="",
            **saved,
        )
        if kind.on_attempt:
            kind.on_attempt(row, None)
    return Outcome("sent")


def _claim(kind: OutboxKind, row_id: int):
    now = timezone.now()
    claimed = kind.model.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=row_id,
        status=DeliveryStatus.PENDING,
    ).update(claimed_until=now + kind.lease, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return kind.model.objects.select_related(*kind.select_related).get(pk=row_id)


def _failed(kind: OutboxKind, row, exc: Exception) -> Outcome:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    fields = exc.fields if isinstance(exc, DeliveryFailed) else {}
    give_up = row.attempts >= kind.max_attempts
    retry_in = None if give_up else kind.backoff(row.attempts)
    with transaction.atomic():
        _finish(
            kind,
            row,
            last_error=error,
            retry_at=None if give_up else timezone.now() + retry_in,
            **fields,
        )
        if kind.on_attempt:
            kind.on_attempt(row, exc)
        if give_up:
            _give_up(kind, row)
    return Outcome("failed" if give_up else "retry", retry_in=retry_in, error=error)


def _finish(kind: OutboxKind, row, **fields) -> None:
    """Save ``fields`` and release the claim."""
    fields["claimed_until"] = None
    for name, value in fields.items():
        setattr(row, name, value)
    kind.model.objects.filter(pk=row.pk).update(**fields)


def _give_up(kind: OutboxKind, row) -> None:
    _finish(kind, row, status=DeliveryStatus.FAILED, retry_at=None)
    if kind.on_give_up:
        kind.on_give_up(row)


@transaction.atomic
def outbox_give_up(*, kind: OutboxKind, row_id: int) -> bool:
    """Fail a pending row for good (its task ran out of retries)."""
    row = (
        kind.model.objects.select_for_update()
        .select_related(*kind.select_related)
        .filter(pk=row_id, status=DeliveryStatus.PENDING)
        .first()
    )
    if row is None:
        return False
    _give_up(kind, row)
    return True


def outbox_stale(*, kind: OutboxKind, now=None, limit: int = 500) -> list[int]:
    """Rows still pending past ``stale_after``, not being sent and with no retry due
    later: their task was lost or never sent."""
    now = now or timezone.now()
    return list(
        kind.model.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            Q(retry_at__isnull=True) | Q(retry_at__lte=now - kind.stale_after),
            status=DeliveryStatus.PENDING,
            created_at__lte=now - kind.stale_after,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_sweep(*, now=None, limit: int = 500) -> dict[str, int]:
    """Re-enqueue every kind's stale rows; how many of each."""
    swept = {}
    for label, kind in outbox_kinds().items():
        ids = outbox_stale(kind=kind, now=now, limit=limit)
        _send_tasks(kind, ids)
        swept[label] = len(ids)
    return swept


def outbox_run_task(task, *, model, row_id: int) -> str:
    """The body of a thin delivery task (declared with ``max_retries=None``): deliver, and
    on a retryable failure ask Celery to run it again after the backoff. The row's
    attempts bound the retries, whoever runs them (retries, the sweep, a redelivery)."""
    outcome = outbox_deliver(kind=outbox_kind(model), row_id=row_id)
    if outcome.result == "retry":
        raise task.retry(countdown=outcome.retry_in.total_seconds())
    return outcome.result
