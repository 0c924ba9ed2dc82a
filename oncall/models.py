"""Who is on call when: schedules of layered rotations with overrides, and the ways each
person can be reached. The arithmetic is in ``oncall.rotation``, on plain values."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from catalog.models import Team
from core.models import TimeStampedModel
from core.secrets import secret_generate
from oncall.validators import (
    validate_contact_address,
    validate_handoff_date,
    validate_restrictions,
    validate_rotation_length,
    validate_single_line,
    validate_time_zone,
)


class Schedule(TimeStampedModel):
    """Who is on call when, in one time zone: layers of rotations, and overrides on top."""

    # One line: it names the schedule's calendar feed and its events.
    name = models.CharField(max_length=100, validators=[validate_single_line])
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="schedules")
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="IANA name, e.g. Europe/London. Handoffs keep their local time across DST.",
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="schedule_name_per_team")
        ]

    def __str__(self):
        return self.name


class ScheduleLayer(models.Model):
    """One rotation: members take turns of ``rotation_length`` from the first handoff, in
    the schedule's time zone. Optional restrictions limit it to local weekday/time
    windows (business hours, follow-the-sun). Higher ``priority`` covers lower layers
    wherever it has someone on call."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    name = models.CharField(max_length=100)
    priority = models.PositiveSmallIntegerField(default=1)
    rotation_length = models.DurationField(
        validators=[validate_rotation_length],
        help_text="From one hour to 366 days, e.g. 1 day, 7 days, 12 hours.",
    )
    # The first handoff, as wall time in the schedule's time zone (not an instant: a
    # 09:00 handoff stays at 09:00 local time when the clocks change).
    handoff_date = models.DateField(
        validators=[validate_handoff_date], help_text="From 2000 to 2100."
    )
    handoff_time = models.TimeField()
    # [{"days": [0..6, Monday=0], "start": "09:00", "end": "17:00"}] in local time; an end
    # at or before the start runs past midnight. Empty: no restriction.
    restrictions = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_restrictions],
        help_text='Local windows, e.g. [{"days": [0, 1, 2, 3, 4], "start": "09:00", '
        '"end": "17:00"}] (Monday = 0). Empty: always.',
    )

    class Meta:
        ordering = ["schedule", "-priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rotation_length__gt=timezone.timedelta(0)),
                name="layer_rotation_positive",
            )
        ]

    def __str__(self):
        return f"{self.schedule}: {self.name}"


class LayerMember(models.Model):
    layer = models.ForeignKey(ScheduleLayer, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["layer", "position"]
        constraints = [
            models.UniqueConstraint(fields=["layer", "position"], name="layer_member_position")
        ]

    def __str__(self):
        return f"{self.layer}: #{self.position} user {self.user_id}"


class ScheduleOverride(models.Model):
    """Someone covers the schedule from ``start`` to ``end``, whatever the layers say."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="override_end_after_start"
            )
        ]
        indexes = [models.Index(fields=["schedule", "end"])]

    def __str__(self):
        return f"{self.user} {self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "An override must end after it starts."})


class CalendarFeed(models.Model):
    """A user's secret calendar address: whoever has the URL can read the user's on-call
    shifts, so calendar apps can subscribe without signing in. Rotating it revokes the
    old address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=secret_generate)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"calendar of {self.user}"


class ContactKind(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook (Slack-compatible JSON, HMAC-signed)"


class ContactMethod(models.Model):
    """One way to reach a person when they are paged."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods"
    )
    kind = models.CharField(max_length=10, choices=ContactKind.choices)
    address = models.CharField(max_length=500, help_text="An email address or an http(s) URL.")
    # Signs webhook bodies (X-Vigil-Signature), so the receiver knows they came from here.
    secret = models.CharField(max_length=100, default=secret_generate, editable=False)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["user", "kind", "id"]

    def __str__(self):
        return f"{self.user} {self.kind}: {self.address}"

    def clean(self):
        if self.kind in ContactKind.values:
            validate_contact_address(self.kind, self.address)
