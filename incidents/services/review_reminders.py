"""The daily nudge: each person gets one email a day listing their overdue action items
and the reviews they facilitate that are past due.

The daily task writes one ``ReviewReminder`` row per person and day (a unique
constraint, so a second run, or a second worker running at the same time, writes none),
then the outbox sends it after commit, retried like a page; the row's id is the email's
Message-ID, so a repeat after a crash can be dropped by the mail system."""

import logging
from collections import defaultdict
from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.outbox import outbox_enqueue, outbox_kind
from incidents import selectors
from incidents.models import ReviewReminder
from incidents.services.notifications import mail_domain
from oncall.models import ContactKind, ContactMethod

logger = logging.getLogger(__name__)


def _addresses(user_ids) -> dict[int, str]:
    """Each person's address for mail: their account's email, else their first enabled
    email contact method."""
    from django.contrib.auth import get_user_model

    found = dict(
        get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True)
        .exclude(email="")
        .values_list("pk", "email")
    )
    methods = (
        ContactMethod.objects.filter(
            user_id__in=set(user_ids) - set(found), kind=ContactKind.EMAIL, enabled=True
        )
        .order_by("user_id", "id")
        .values_list("user_id", "address")
    )
    for user_id, address in methods:
        found.setdefault(user_id, address)
    return found


def _digest(user, items, reviews, today: date) -> tuple[str, str]:
    parts = []
    if items:
        parts.append(f"{len(items)} overdue action item{'s' if len(items) != 1 else ''}")
    if reviews:
        parts.append(f"{len(reviews)} review{'s' if len(reviews) != 1 else ''} past due")
    subject = f"[{settings.SITE_NAME}] " + " and ".join(parts)
    lines = [f"Hello {user.get_username()},", ""]
    admin = f"{settings.SITE_URL}/admin/incidents"
    if items:
        lines.append("Action items you own that are past their due date:")
        for item in items:
            days = (today - item.due_date).days
            lines.append(
                f"- [{item.priority}] {item.title} ({item.review.incident.reference}), "
                f"due {item.due_date:%Y-%m-%d}, {days} day{'s' if days != 1 else ''} late: "
                f"{admin}/actionitem/{item.pk}/change/"
            )
        lines.append("")
    if reviews:
        lines.append("Post-incident reviews you facilitate that are past their due date:")
        for review in reviews:
            lines.append(
                f"- {review.incident.reference} {review.incident.title} ({review.status}), "
                f"due {review.due_date:%Y-%m-%d}: "
                f"{admin}/postincidentreview/{review.pk}/change/"
            )
        lines.append("")
    lines.append("You get at most one of these a day. Mark items done or won't do to stop it.")
    return subject[:200], "\n".join(lines) + "\n"


def review_reminders_queue(*, today: date | None = None) -> list[int]:
    """Write today's digests (one per person who has something overdue and none yet
    today) and send them after commit; the ids written."""
    today = today or timezone.localdate()
    items = selectors.action_items_overdue(selectors.action_item_list(), today=today).filter(
        owner__isnull=False
    )
    reviews = selectors.reviews_overdue(
        selectors.review_list().select_related("incident"), today=today
    ).filter(facilitator__isnull=False)
    work: dict[int, tuple[list, list]] = defaultdict(lambda: ([], []))
    people = {}
    for item in items:
        work[item.owner_id][0].append(item)
        people[item.owner_id] = item.owner
    for review in reviews:
        work[review.facilitator_id][1].append(review)
        people[review.facilitator_id] = review.facilitator
    already = set(
        ReviewReminder.objects.filter(day=today, user_id__in=work).values_list("user_id", flat=True)
    )
    addresses = _addresses([pk for pk in work if pk not in already])
    written = []
    with transaction.atomic():
        for user_id, (user_items, user_reviews) in sorted(work.items()):
            if user_id in already:
                continue
            address = addresses.get(user_id)
            if address is None:
                logger.warning("review reminder: user %s has no email address", user_id)
                continue
            subject, body = _digest(people[user_id], user_items, user_reviews, today)
            try:
                with transaction.atomic():
                    row = ReviewReminder.objects.create(
                        user_id=user_id,
                        day=today,
                        address=address,
                        subject=subject,
                        body=body,
                        action_items=len(user_items),
                        reviews=len(user_reviews),
                    )
            except IntegrityError:
                continue  # another worker wrote this person's digest for today
            written.append(row.pk)
        outbox_enqueue(kind=outbox_kind(ReviewReminder), ids=written)
    return written


def review_reminder_deliver(reminder: ReviewReminder) -> None:
    """Send one digest (the outbox's ``deliver``); raises on failure."""
    EmailMultiAlternatives(
        subject=reminder.subject,
        body=reminder.body,
        to=[reminder.address],
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
        headers={"Message-ID": f"<reminder-{reminder.pk}@{mail_domain()}>"},
    ).send()
