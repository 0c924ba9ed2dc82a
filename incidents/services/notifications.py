"""Sending the pages that escalation wrote: email and signed webhooks, through the
outbox (``core.outbox``): a worker claims a page before sending it, so two workers (or a
retry racing the sweeper) never deliver it twice, and no transaction is open while it
talks to the mail server or the webhook. Every attempt, failed or not, is recorded on
the incident's timeline.
"""

import json
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection

from core.outbox import DeliveryFailed, outbox_deliver, outbox_give_up, outbox_kind, outbox_stale
from incidents.models import Notification, TimelineKind
from incidents.services.timeline import timeline_record
from oncall.models import ContactKind
from webhooks.signing import PostFailed, signed_post

RESPOND_SALT = "vigil.respond"
RESPOND_MAX_AGE = timedelta(hours=24)


class SendFailed(DeliveryFailed):
    """A delivery failed in a way worth retrying (server down, timeout, 5xx)."""


def respond_token(*, incident_id: int, action: str, user_id: int) -> str:
    return signing.dumps({"i": incident_id, "a": action, "u": user_id}, salt=RESPOND_SALT)


def respond_url(*, incident_id: int, action: str, user_id: int) -> str:
    token = respond_token(incident_id=incident_id, action=action, user_id=user_id)
    return f"{settings.SITE_URL}/respond/{token}"


def respond_token_read(token: str) -> dict:
    """The signed action; raises signing.BadSignature (or SignatureExpired) otherwise."""
    return signing.loads(token, salt=RESPOND_SALT, max_age=RESPOND_MAX_AGE)


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
        f"Acknowledge: {links['acknowledge']}\nResolve: {links['resolve']}\n"
        f"Open the incident: {links['incident']}\n\n"
        f"The links work for 24 hours and act as {notification.user.get_username()}.\n"
    )
    message = EmailMultiAlternatives(
        subject=_subject(incident),
        body=text,
        to=[notification.contact_method.address],
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
        # The same on every attempt, so a mail system can drop a repeat after a crash.
        headers={"Message-ID": f"<page-{notification.pk}@{_mail_domain()}>"},
    )
    message.send()


def _send_webhook(notification):
    incident, links = notification.incident, _links(notification)
    body = json.dumps(
        {
            # Slack-compatible: an incoming webhook shows "text".
            "text": f"{_subject(incident)}\n<{links['acknowledge']}|Acknowledge> · "
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
            "notification": {"id": notification.pk, "level": notification.level},
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


def _mail_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"
