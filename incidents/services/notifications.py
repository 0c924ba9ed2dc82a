"""Sending the pages that escalation wrote: email and signed webhooks.

A send runs holding the notification's row lock and checks its status first, so two
workers (or a retry racing the sweeper) never deliver the same page twice. Every attempt,
failed or not, is recorded on the incident's timeline.
"""

import json
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from incidents.models import ContactKind, Notification, NotificationStatus, TimelineKind
from incidents.services.timeline import timeline_record
from incidents.signed_post import PostFailed, signed_post

RESPOND_SALT = "vigil.respond"
RESPOND_MAX_AGE = timedelta(hours=24)


class SendFailed(Exception):
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
    """Deliver one pending page; ``sent``, or ``skipped`` when there is nothing to do.
    Raises SendFailed after recording a failed attempt, so the caller can retry."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("incident__service", "contact_method", "user")
            .filter(pk=notification_id, status=NotificationStatus.PENDING)
            .first()
        )
        if notification is None:
            return "skipped"  # sent already, failed for good, or another worker has it
        method = notification.contact_method
        notification.attempts += 1
        try:
            _deliver(notification)
        except Exception as exc:  # any failure is recorded; the caller decides on retrying
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            notification.save(update_fields=["attempts", "last_error"])
            _record(
                notification,
                f"Attempt {notification.attempts} to page "
                f"{notification.user.get_username()} by {method.kind} failed: {exc}",
                ok=False,
            )
            failure = exc
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = timezone.now()
            notification.save(update_fields=["attempts", "status", "sent_at"])
            _record(
                notification,
                f"Paged {notification.user.get_username()} by {method.kind} ({method.address})",
                ok=True,
            )
            return "sent"
    raise SendFailed(str(failure)) from failure


@transaction.atomic
def notification_give_up(*, notification_id: int) -> None:
    """After the last retry: failed for good, and said so on the timeline."""
    notification = (
        Notification.objects.select_for_update()
        .select_related("incident", "user", "contact_method")
        .filter(pk=notification_id, status=NotificationStatus.PENDING)
        .first()
    )
    if notification is None:
        return
    notification.status = NotificationStatus.FAILED
    notification.save(update_fields=["status"])
    _record(
        notification,
        f"Gave up paging {notification.user.get_username()} by "
        f"{notification.contact_method.kind} after {notification.attempts} attempts",
        ok=False,
    )


def notifications_pending_since(*, older_than: timedelta, limit: int = 500) -> list[int]:
    """Pages still pending after ``older_than``: their send task was lost or is stuck."""
    cutoff = timezone.now() - older_than
    return list(
        Notification.objects.filter(status=NotificationStatus.PENDING, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
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


def _deliver(notification):
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
        signed_post(notification.contact_method.address, body, notification.contact_method.secret)
    except PostFailed as error:
        raise SendFailed(str(error)) from error
