"""Post-incident reviews and their action items: how an incident's loop closes.

A review's narrative (the text sections) is written while it is a draft or in review and
frozen once published; its action items stay editable, since follow-up work goes on.
The detection and response figures are never stored: they are computed from the
incident and its timeline (``incidents.selectors.review_figures``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.models import OutboxRow, TimeStampedModel
from core.net import is_http_url
from incidents.models.incidents import Incident


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


# The sections a team writes, in the order a review reads.
NARRATIVE_FIELDS = (
    "summary",
    "customer_impact",
    "root_cause",
    "contributing_factors",
    "what_went_well",
    "what_went_poorly",
    "lessons_learned",
)


class PostIncidentReview(TimeStampedModel):
    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="review")
    status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="facilitated_reviews",
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="reviews_taken_part"
    )
    due_date = models.DateField(null=True, blank=True)
    summary = models.TextField(blank=True, help_text="What happened, in a few sentences.")
    customer_impact = models.TextField(blank=True, help_text="Who was affected, how, how long.")
    root_cause = models.TextField(blank=True)
    contributing_factors = models.TextField(blank=True)
    what_went_well = models.TextField(blank=True)
    what_went_poorly = models.TextField(blank=True)
    lessons_learned = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "post-incident review"
        indexes = [models.Index(fields=["status", "due_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReviewStatus.values), name="review_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(status=ReviewStatus.PUBLISHED) & Q(published_at__isnull=False))
                | (~Q(status=ReviewStatus.PUBLISHED) & Q(published_at__isnull=True)),
                name="review_published_at_matches_status",
            ),
        ]

    def __str__(self):
        return f"Review of {self.incident.reference}"

    @property
    def is_published(self) -> bool:
        return self.status == ReviewStatus.PUBLISHED

    @property
    def is_overdue(self) -> bool:
        return (
            not self.is_published
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )


class ActionItemPriority(models.TextChoices):
    P1 = "P1", "P1 (urgent)"
    P2 = "P2", "P2"
    P3 = "P3", "P3"


class ActionItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


FINISHED_ACTION_STATUSES = (ActionItemStatus.DONE, ActionItemStatus.WONT_DO)


def validate_ticket_url(value):
    from django.core.exceptions import ValidationError

    if value and not is_http_url(value):
        raise ValidationError("Enter an http:// or https:// URL.", code="invalid")


class ActionItem(TimeStampedModel):
    review = models.ForeignKey(
        PostIncidentReview, on_delete=models.CASCADE, related_name="action_items"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_items",
    )
    priority = models.CharField(
        max_length=2, choices=ActionItemPriority.choices, default=ActionItemPriority.P2
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN
    )
    # Set by the services when the item is done or won't be done, cleared if reopened.
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    ticket_url = models.URLField(
        max_length=500,
        blank=True,
        validators=[validate_ticket_url],
        help_text="The issue tracker's ticket for this work, if any.",
    )

    class Meta:
        ordering = ["due_date", "priority", "id"]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["owner", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ActionItemStatus.values), name="action_item_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=ActionItemPriority.values),
                name="action_item_priority_valid",
            ),
            models.CheckConstraint(
                condition=(Q(status__in=FINISHED_ACTION_STATUSES) & Q(completed_at__isnull=False))
                | (~Q(status__in=FINISHED_ACTION_STATUSES) & Q(completed_at__isnull=True)),
                name="action_item_completed_at_matches_status",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_overdue(self) -> bool:
        return (
            self.status not in FINISHED_ACTION_STATUSES
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )


class ReviewReminder(OutboxRow):
    """One person's digest for one day (their overdue action items, the reviews they
    facilitate that are past due): the outbox row. The unique constraint is what makes
    it one email per person per day, however many items and however many workers run
    the daily task; its id is the email's idempotency key (Message-ID)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    address = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    action_items = models.PositiveIntegerField(default=0)
    reviews = models.PositiveIntegerField(default=0)

    class Meta(OutboxRow.Meta):
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="one_review_reminder_per_day")
        ]

    def __str__(self):
        return f"Reminder to {self.user} for {self.day} ({self.status})"
