"""Sending the pages that escalation wrote: email and signed webhooks, through the
outbox (``core.outbox``): a worker claims a page before sending it, so two workers (or a
retry racing the sweeper) never deliver it twice, and no transaction is open while it
talks to the mail server or the webhook. Every attempt, failed or not, is recorded on
the incident's timeline.
"""

import hashlib
import json
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import DomainError
from core.outbox import DeliveryFailed, outbox_deliver, outbox_give_up, outbox_kind, outbox_stale
from incidents.models import Incident, Notification, RespondLinkUse, TimelineKind
from incidents.services.incidents import INCIDENT_ACTIONS
from incidents.services.timeline import timeline_record
from oncall.models import ContactKind
from webhooks.signing import PostFailed, signed_post

RESPOND_SALT = "vigil.respond"
RESPOND_MAX_AGE = timedelta(hours=24)
# What a page's links may do, and the permission the recipient must still hold.
RESPOND_ACTIONS = ("acknowledge", "resolve")
RESPOND_PERMISSION = "incidents.change_incident"


class SendFailed(DeliveryFailed):
    """A delivery failed in a way worth retrying (server down, timeout, 5xx)."""


# --- one-click links ---------------------------------------------------------------
#
# A page's email carries a signed link per action. Opening it (GET or HEAD, as mail
# scanners and link previews do) only shows what it would do; the confirmation page's
# form POSTs back to the same address, and that acts, once, as the recipient, if they
# are still active and may still change incidents.


class RespondLinkError(DomainError):
    """Why a one-click link does nothing (the page shows the message)."""

    code = "respond_link"


class RespondLinkInvalid(RespondLinkError):
    http_status = 404


class RespondLinkGone(RespondLinkError):
    """Expired, or used already."""

    http_status = 410


class RespondLinkRefused(RespondLinkError):
    """The recipient may no longer act (disabled, or without the permission)."""

    http_status = 403


@dataclass(frozen=True)
class RespondLink:
    """A valid, unused link: what it does, to which incident, as whom."""

    digest: str  # SHA-256 of the token: the key of its RespondLinkUse once it acts
    action: str
    incident: Incident
    user: object


def respond_token(*, incident_id: int, action: str, user_id: int) -> str:
    """A signed link token; the nonce makes every link distinct (each works once)."""
    claim = {"i": incident_id, "a": action, "u": user_id, "n": secrets.token_urlsafe(12)}
    return signing.dumps(claim, salt=RESPOND_SALT)


def respond_url(*, incident_id: int, action: str, user_id: int) -> str:
    token = respond_token(incident_id=incident_id, action=action, user_id=user_id)
    return f"{settings.SITE_URL}/respond/{token}"


def respond_token_read(token: str) -> dict:
    """The signed action; raises signing.BadSignature (or SignatureExpired) otherwise."""
    return signing.loads(token, salt=RESPOND_SALT, max_age=RESPOND_MAX_AGE)


def respond_link_check(*, token: str) -> RespondLink:
    """What ``token``'s link would do, changing nothing; raises RespondLinkError (404
    forged or unknown, 410 expired or used, 403 the recipient may no longer act)."""
    try:
        claim = respond_token_read(token)
    except signing.SignatureExpired as error:
        raise RespondLinkGone(
            "This link has expired: links work for 24 hours. Open the incident instead."
        ) from error
    except signing.BadSignature as error:
        raise RespondLinkInvalid("This link is not valid.") from error
    if not (
        isinstance(claim, dict)
        and claim.get("a") in RESPOND_ACTIONS
        and all(type(claim.get(key)) is int for key in ("i", "u"))
    ):
        raise RespondLinkInvalid("This link is not valid.")
    user = get_user_model().objects.filter(pk=claim["u"]).first()
    incident = Incident.objects.select_related("service").filter(pk=claim["i"]).first()
    if user is None or incident is None:
        raise RespondLinkInvalid("This link is not valid.")
    digest = hashlib.sha256(token.encode()).hexdigest()
    used = RespondLinkUse.objects.filter(digest=digest).first()
    if used is not None:
        raise RespondLinkGone(
            f"This link was already used, at {used.used_at:%Y-%m-%d %H:%M} UTC: each link "
            "works once. Open the incident to see where it is now."
        )
    name = user.get_username()
    if not user.is_active:
        raise RespondLinkRefused(f"This link acts as {name}, whose account is disabled.")
    if not user.has_perm(RESPOND_PERMISSION):
        raise RespondLinkRefused(
            f"This link acts as {name}, who may not change incidents (that needs the "
            "Responder or Manager role), so it does nothing."
        )
    return RespondLink(digest=digest, action=claim["a"], incident=incident, user=user)


@transaction.atomic
def respond_link_use(*, token: str) -> Incident:
    """Carry out ``token``'s link as its recipient, once: its use is recorded in the same
    transaction as the action (a unique row per link, so two requests racing with the
    same link act once; the other gets RespondLinkGone). An action the incident's state
    refuses (a Conflict) records nothing: the link still works later, within its day."""
    link = respond_link_check(token=token)
    try:
        with transaction.atomic():
            RespondLinkUse.objects.create(
                digest=link.digest, incident=link.incident, user=link.user, action=link.action
            )
    except IntegrityError as error:
        raise RespondLinkGone(
            "This link was already used: each link works once. Open the incident to see "
            "where it is now."
        ) from error
    return INCIDENT_ACTIONS[link.action](incident=link.incident, by=link.user)


def respond_link_uses_prune(*, now=None, batch: int = 1000) -> int:
    """Forget used links older than any link can live: a link that old is refused as
    expired by its signature, so its use row no longer guards anything. Deletes in
    bounded batches (short transactions); returns how many rows went."""
    cutoff = (now or timezone.now()) - RESPOND_MAX_AGE - timedelta(hours=1)
    deleted = 0
    while True:
        ids = list(
            RespondLinkUse.objects.filter(used_at__lt=cutoff).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return deleted
        deleted += RespondLinkUse.objects.filter(pk__in=ids).delete()[0]


def notification_send(*, notification_id: int) -> str:
    """Deliver one pending page now: ``sent``, or ``skipped`` when there is nothing to do
    (sent already, failed for good, or another worker is sending it). Raises SendFailed
    after recording a failed attempt."""
    outcome = outbox_deliver(kind=outbox_kind(Notification), row_id=notification_id)
    if outcome.result in ("retry", "failed"):
        raise SendFailed(outcome.error)
    return outcome.result


def notification_give_up(*, notification_id: int) -> None:
    """Failed for good, and said so on the timeline."""
    outbox_give_up(kind=outbox_kind(Notification), row_id=notification_id)


def notifications_pending_since(*, older_than: timedelta, limit: int = 500) -> list[int]:
    """Pages still pending after ``older_than`` whose send task was lost or is stuck."""
    kind = replace(outbox_kind(Notification), stale_after=older_than)
    return outbox_stale(kind=kind, limit=limit)


def notification_attempted(notification, error: Exception | None) -> None:
    """Every attempt, failed or not, on the incident's timeline (the outbox's hook)."""
    method = notification.contact_method
    username = notification.user.get_username()
    if error is None:
        message = f"Paged {username} by {method.kind} ({method.address})"
    else:
        message = (
            f"Attempt {notification.attempts} to page {username} by {method.kind} failed: {error}"
        )
    _record(notification, message, ok=error is None)


def notification_gave_up(notification) -> None:
    _record(
        notification,
        f"Gave up paging {notification.user.get_username()} by "
        f"{notification.contact_method.kind} after {notification.attempts} attempts",
        ok=False,
    )


def _record(notification, message, *, ok):
    timeline_record(
        incident=notification.incident,
        kind=TimelineKind.NOTIFICATION,
        message=message,
        data={
            "notification": notification.pk,
            "attempt": notification.attempts,
            "ok": ok,
            "method": notification.contact_method.kind,
        },
    )


def notification_deliver(notification) -> None:
    """Send one page by its contact method (the outbox's ``deliver``); raises on failure."""
    if notification.contact_method.kind == ContactKind.EMAIL:
        _send_email(notification)
    else:
        _send_webhook(notification)


def _links(notification) -> dict:
    incident, user = notification.incident, notification.user
    return {
        "incident": f"{settings.SITE_URL}/admin/incidents/incident/{incident.pk}/change/",
        "acknowledge": respond_url(incident_id=incident.pk, action="acknowledge", user_id=user.pk),
        "resolve": respond_url(incident_id=incident.pk, action="resolve", user_id=user.pk),
    }


def _subject(incident) -> str:
    return f"[{incident.severity}] {incident.reference}: {incident.title} ({incident.service.name})"


def _send_email(notification):
    incident, links = notification.incident, _links(notification)
    text = (
        f"{incident.reference} is {incident.status} on {incident.service.name} "
        f"({incident.severity}, {incident.severity_name}).\n\n{incident.title}\n\n"
        f"You are paged at escalation {notification.level_label}.\n\n"
        f"Acknowledge: {links['acknowledge']}\nResolve: {links['resolve']}\n"
        f"Open the incident: {links['incident']}\n\n"
        f"Each link opens a page that asks you to confirm; it works once, for 24 hours, "
        f"acting as {notification.user.get_username()}.\n"
    )
    message = EmailMultiAlternatives(
        subject=_subject(incident),
        body=text,
        to=[notification.contact_method.address],
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
        # The same on every attempt, so a mail system can drop a repeat after a crash.
        headers={"Message-ID": f"<page-{notification.pk}@{mail_domain()}>"},
    )
    message.send()


def _send_webhook(notification):
    incident, links = notification.incident, _links(notification)
    body = json.dumps(
        {
            # Slack-compatible: an incoming webhook shows "text".
            "text": f"{_subject(incident)}\nEscalation {notification.level_label}: "
            f"<{links['acknowledge']}|Acknowledge> · "
            f"<{links['resolve']}|Resolve> · <{links['incident']}|Open>",
            "incident": {
                "id": incident.pk,
                "reference": incident.reference,
                "title": incident.title,
                "status": incident.status,
                "severity": incident.severity,
                "service": incident.service.slug,
                "links": links,
            },
            # Levels count from 1 here, as on the timeline and in /api/incidents/oncall.
            "notification": {
                "id": notification.pk,
                "level": notification.level + 1,
                "repeat": notification.repeat,
            },
        }
    ).encode()
    try:
        signed_post(
            notification.contact_method.address,
            body,
            notification.contact_method.secret,
            headers={"X-Vigil-Delivery": f"page-{notification.pk}"},
        )
    except PostFailed as error:
        raise SendFailed(str(error)) from error


def mail_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"
