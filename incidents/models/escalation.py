from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from catalog.models import Service, Team
from core.models import TimeStampedModel
from incidents.models.incidents import IncidentSeverity
from oncall.models import Schedule

MAX_STEP_DELAY_DAYS = 7


def validate_step_delay(value):
    if value is None or not 0 <= value.total_seconds() <= MAX_STEP_DELAY_DAYS * 86400:
        raise ValidationError(f"A step waits from 0 to {MAX_STEP_DELAY_DAYS} days.")


def validate_step_targets(users, schedules) -> None:
    """A step pages someone: users, schedules or both. (Many-to-many values exist only
    once the step is saved, so services and forms call this with what they will set.)"""
    if not list(users or ()) and not list(schedules or ()):
        raise ValidationError("A step pages users, schedules or both.")


class EscalationPolicy(TimeStampedModel):
    """Who is told, in what order, until someone acknowledges."""

    name = models.CharField(max_length=100)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="escalation_policies")
    repeat = models.PositiveSmallIntegerField(
        default=0, help_text="How many more times to run all the steps after the last one."
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "escalation policies"
        constraints = [
            models.CheckConstraint(condition=models.Q(repeat__lte=10), name="policy_repeat_max_10")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.repeat is not None and self.repeat > 10:
            raise ValidationError({"repeat": "At most 10 repeats."})


class EscalationStep(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    delay = models.DurationField(
        validators=[validate_step_delay],
        help_text="How long to wait for an acknowledgement before the next step.",
    )
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    schedules = models.ManyToManyField(
        Schedule,
        blank=True,
        related_name="+",
        through="EscalationStepSchedule",
        help_text="Whoever is on call when the step runs.",
    )

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="escalation_step_position")
        ]

    def __str__(self):
        return f"{self.policy}: step {self.position + 1}"


class EscalationStepSchedule(models.Model):
    """A schedule a step pages. A schedule in use cannot be deleted (RESTRICT): the
    escalations that page it would page nobody at that level."""

    step = models.ForeignKey(EscalationStep, on_delete=models.CASCADE)
    schedule = models.ForeignKey(Schedule, on_delete=models.RESTRICT, related_name="+")

    class Meta:
        verbose_name = "escalation policy step"  # what a 409 names as still using a schedule
        constraints = [
            models.UniqueConstraint(fields=["step", "schedule"], name="step_schedule_once")
        ]

    def __str__(self):
        return f"{self.step}: {self.schedule}"


class ServiceEscalationRule(models.Model):
    """Which policy pages for a service's incidents: the default (no severity) or the one
    for a severity, which wins over the default."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="escalation_rules")
    severity = models.CharField(
        max_length=4,
        choices=[("", "Default (every other severity)"), *IncidentSeverity.choices],
        blank=True,
        help_text="Empty: the default, for every severity without a rule of its own.",
    )
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["service", "severity"]
        verbose_name = "escalation rule"
        constraints = [
            models.UniqueConstraint(fields=["service", "severity"], name="one_rule_per_severity")
        ]

    def __str__(self):
        return f"{self.service} {self.severity or 'default'}: {self.policy}"
