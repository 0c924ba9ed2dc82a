"""Post-incident reviews and action items: every write, each with its timeline entry.

A review is opened automatically when an incident of a reviewed severity resolves
(``REVIEW_SEVERITIES``), or by hand for any incident; one per incident (a database
constraint), so resolving again keeps the one there is. Publishing freezes the
narrative; action items stay editable after it."""

from datetime import date, datetime, timedelta

from dateutil.rrule import DAILY, FR, MO, TH, TU, WE, rrule
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import Conflict
from core.services import model_create, model_delete, model_update
from incidents.actors import Actor
from incidents.models import (
    ActionItem,
    ActionItemStatus,
    Incident,
    PostIncidentReview,
    ReviewStatus,
    TimelineKind,
)
from incidents.models.reviews import FINISHED_ACTION_STATUSES
from incidents.services.timeline import timeline_record

# The order a review moves in; publishing is the last step and is not undone.
_REVIEW_MOVES = {
    ReviewStatus.DRAFT: {ReviewStatus.IN_REVIEW, ReviewStatus.PUBLISHED},
    ReviewStatus.IN_REVIEW: {ReviewStatus.DRAFT, ReviewStatus.PUBLISHED},
    ReviewStatus.PUBLISHED: set(),
}


class ReviewPublished(Conflict):
    code = "review_published"


class ReviewExists(Conflict):
    code = "review_exists"


def business_days_after(start: date, days: int) -> date:
    """The date ``days`` working days (Monday to Friday) after ``start``."""
    if days <= 0:
        return start
    return rrule(
        DAILY, byweekday=(MO, TU, WE, TH, FR), dtstart=start + timedelta(days=1), count=days
    )[-1].date()


def _review_due(at: datetime) -> date:
    return business_days_after(timezone.localdate(at), settings.REVIEW_DUE_BUSINESS_DAYS)


@transaction.atomic
def review_open(
    *,
    incident: Incident,
    by,
    facilitator=None,
    due_date: date | None = None,
    at: datetime | None = None,
    **fields,
) -> PostIncidentReview:
    """Open the incident's review, facilitated by ``facilitator``, else the incident's
    commander, else whoever opens it. An incident has one review: a second is a 409."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    existing = PostIncidentReview.objects.filter(incident=incident).first()
    if existing is not None:
        raise ReviewExists(
            f"{incident.reference} already has a review (id {existing.pk}): edit that one.",
            fields={"incident": [f"{incident.reference} already has a review."]},
        )
    actor = Actor.of(by)
    participants = fields.pop("participants", None)
    review = model_create(
        PostIncidentReview,
        incident=incident,
        facilitator=facilitator or incident.commander or actor.user,
        due_date=due_date or _review_due(timezone.now()),
        **fields,
    )
    if participants:
        review.participants.set(participants)
    timeline_record(
        incident=incident,
        kind=TimelineKind.REVIEW,
        message=f"Post-incident review opened by {actor.name}, due {review.due_date:%Y-%m-%d}",
        by=actor,
        data={"review": review.pk, "due_date": review.due_date.isoformat()},
        at=at,
    )
    return review


def review_open_on_resolve(*, incident: Incident, by) -> PostIncidentReview | None:
    """Called in the transaction that resolves ``incident``: a draft review for a
    reviewed severity, facilitated by its commander or else the resolver."""
    if incident.severity not in settings.REVIEW_SEVERITIES:
        return None
    if PostIncidentReview.objects.filter(incident=incident).exists():
        return None  # reopened and resolved again: the review it has stays
    actor = Actor.of(by)
    return review_open(
        incident=incident,
        by=actor,
        facilitator=incident.commander or actor.user,
        due_date=_review_due(incident.resolved_at or timezone.now()),
        at=incident.resolved_at,
    )


@transaction.atomic
def review_update(*, review: PostIncidentReview, by, **fields) -> PostIncidentReview:
    """Change a review's fields; a published review's narrative, facilitator and
    participants are frozen (409 ``review_published``)."""
    review = PostIncidentReview.objects.select_for_update().get(pk=review.pk)
    participants = fields.pop("participants", None)
    status = fields.pop("status", None)
    if review.is_published:
        changing = [name for name, value in fields.items() if getattr(review, name) != value] + (
            ["participants"] if participants is not None else []
        )
        if changing or (status is not None and status != review.status):
            raise ReviewPublished(
                "This review is published: its text is final. Add action items instead.",
                fields={name: ["Published reviews cannot be edited."] for name in changing},
            )
        return review
    changed = model_update(instance=review, fields=fields)
    if participants is not None and set(participants) != set(review.participants.all()):
        review.participants.set(participants)
        changed.append("participants")
    if status is not None and status != review.status:
        if status == ReviewStatus.PUBLISHED:
            return review_publish(review=review, by=by)
        _check_move(review, status)
        model_update(instance=review, fields={"status": status})
        changed.append("status")
    if changed:
        actor = Actor.of(by)
        timeline_record(
            incident=review.incident,
            kind=TimelineKind.REVIEW,
            message=f"Post-incident review edited by {actor.name}: {', '.join(changed)}",
            by=actor,
            data={"review": review.pk, "changed": changed, "status": review.status},
        )
    return review


def _check_move(review, status):
    if status not in _REVIEW_MOVES[review.status]:
        raise Conflict(f"A review cannot move from {review.status} to {status}.")


@transaction.atomic
def review_publish(*, review: PostIncidentReview, by) -> PostIncidentReview:
    """Publish: the narrative is final from now on. Publishing again changes nothing."""
    review = PostIncidentReview.objects.select_for_update().get(pk=review.pk)
    if review.is_published:
        return review
    actor = Actor.of(by)
    model_update(
        instance=review,
        fields={
            "status": ReviewStatus.PUBLISHED,
            "published_at": timezone.now(),
            "published_by": actor.user,
        },
    )
    timeline_record(
        incident=review.incident,
        kind=TimelineKind.REVIEW,
        message=f"Post-incident review published by {actor.name}",
        by=actor,
        data={"review": review.pk, "status": review.status},
    )
    return review


@transaction.atomic
def review_delete(*, review: PostIncidentReview, by) -> None:
    incident, actor = review.incident, Actor.of(by)
    model_delete(instance=review, refusal="This review cannot be deleted.")
    timeline_record(
        incident=incident,
        kind=TimelineKind.REVIEW,
        message=f"Post-incident review deleted by {actor.name}",
        by=actor,
    )


def _completion(status, previous_status=None, previous_completed_at=None):
    """``completed_at`` for an item moving to ``status``: set once finished, kept while
    it stays finished, cleared when reopened."""
    if status in FINISHED_ACTION_STATUSES:
        if previous_status in FINISHED_ACTION_STATUSES and previous_completed_at:
            return previous_completed_at
        return timezone.now()
    return None


@transaction.atomic
def action_item_create(*, review: PostIncidentReview, by, **fields) -> ActionItem:
    status = fields.get("status", ActionItemStatus.OPEN)
    item = model_create(ActionItem, review=review, completed_at=_completion(status), **fields)
    actor = Actor.of(by)
    owner = f", owner {item.owner.get_username()}" if item.owner else ""
    timeline_record(
        incident=review.incident,
        kind=TimelineKind.ACTION_ITEM,
        message=f"Action item added by {actor.name}: {item.title} ({item.priority}{owner})",
        by=actor,
        data={"action_item": item.pk, "status": item.status},
    )
    return item


@transaction.atomic
def action_item_update(*, item: ActionItem, by, **fields) -> ActionItem:
    item = ActionItem.objects.select_related("review__incident").select_for_update().get(pk=item.pk)
    if "status" in fields:
        fields["completed_at"] = _completion(fields["status"], item.status, item.completed_at)
    previous_status = item.status
    changed = model_update(instance=item, fields=fields)
    changed = [name for name in changed if name != "completed_at"]
    if changed:
        actor = Actor.of(by)
        what = f"{previous_status} → {item.status}" if "status" in changed else ", ".join(changed)
        timeline_record(
            incident=item.review.incident,
            kind=TimelineKind.ACTION_ITEM,
            message=f"Action item “{item.title}” changed by {actor.name}: {what}",
            by=actor,
            data={"action_item": item.pk, "changed": changed, "status": item.status},
        )
    return item


@transaction.atomic
def action_item_delete(*, item: ActionItem, by) -> None:
    incident, title, actor = item.review.incident, item.title, Actor.of(by)
    model_delete(instance=item, refusal="This action item cannot be deleted.")
    timeline_record(
        incident=incident,
        kind=TimelineKind.ACTION_ITEM,
        message=f"Action item “{title}” deleted by {actor.name}",
        by=actor,
    )
