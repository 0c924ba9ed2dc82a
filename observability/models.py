"""SLOs, the good/total counts they are measured on, and their evaluations.

Counts live in per-minute buckets keyed by the minute's end as a Unix minute number
(``minute * 60`` is the bucket's end in Unix seconds), so windows are integer ranges
and timeslices are integer division, the same in SQLite and PostgreSQL."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from catalog.models import Service
from core.models import TimeStampedModel
from core.net import is_http_url
from incidents.models import IncidentSeverity


class SLOWindow(models.TextChoices):
    DAYS_7 = "7d", "7 days (rolling)"
    DAYS_28 = "28d", "28 days (rolling)"
    DAYS_30 = "30d", "30 days (rolling)"
    CALENDAR_MONTH = "calendar_month", "Calendar month"


class BudgetingMethod(models.TextChoices):
    OCCURRENCES = "occurrences", "Occurrences (good events / all events)"
    TIMESLICES = "timeslices", "Timeslices (good slices / all slices)"


class SLIKind(models.TextChoices):
    RATIO = "ratio", "Ratio (good / total events)"
    LATENCY = "latency", "Latency (good = requests under a threshold)"


class SLOSource(models.TextChoices):
    INTERNAL = "internal", "Internal (events posted to the platform)"
    PROMETHEUS = "prometheus", "Prometheus (PromQL queries)"


class SLOState(models.TextChoices):
    MET = "met", "Met"
    AT_RISK = "at_risk", "At risk"
    BREACHED = "breached", "Breached"
    UNKNOWN = "unknown", "Unknown"


def validate_percentage(value):
    if not (Decimal(0) < Decimal(value) < Decimal(100)):
        raise ValidationError("Enter a percentage strictly between 0 and 100, e.g. 99.9.")


def validate_http_url(value):
    if value and not is_http_url(value):
        raise ValidationError("Enter an http:// or https:// URL.", code="invalid")


class SLO(TimeStampedModel):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="slos")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    target = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        validators=[validate_percentage],
        help_text="Percent of good events (or slices), e.g. 99.9.",
    )
    window = models.CharField(max_length=20, choices=SLOWindow.choices, default=SLOWindow.DAYS_30)
    budgeting_method = models.CharField(
        max_length=20, choices=BudgetingMethod.choices, default=BudgetingMethod.OCCURRENCES
    )
    slice_minutes = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Timeslices only: the slice length in minutes (1 to 60).",
    )
    slice_target = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[validate_percentage],
        help_text="Timeslices only: the percent of good events that makes a slice good.",
    )
    sli_kind = models.CharField(
        "SLI kind", max_length=10, choices=SLIKind.choices, default=SLIKind.RATIO
    )
    latency_threshold_ms = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Latency SLIs only: a request is good when faster than this.",
    )
    source = models.CharField(max_length=20, choices=SLOSource.choices, default=SLOSource.INTERNAL)
    prometheus_url = models.URLField(
        blank=True,
        validators=[validate_http_url],
        help_text="Prometheus only: the server's base URL; empty uses PROMETHEUS_URL.",
    )
    good_query = models.TextField(
        blank=True, help_text="Prometheus only: PromQL for good events over {{window}}."
    )
    total_query = models.TextField(
        blank=True, help_text="Prometheus only: PromQL for all events over {{window}}."
    )
    min_events_per_hour = models.PositiveIntegerField(
        default=0,
        help_text="Traffic guard: nothing fires while a window averages this many events an "
        "hour or fewer.",
    )
    alerting = models.BooleanField(default=True)
    page_severity = models.CharField(
        max_length=4, choices=IncidentSeverity.choices, default=IncidentSeverity.SEV2
    )
    ticket_severity = models.CharField(
        max_length=4, choices=IncidentSeverity.choices, default=IncidentSeverity.SEV4
    )
    runbook_url = models.URLField(blank=True, validators=[validate_http_url])

    class Meta:
        ordering = ["service__name", "name"]
        verbose_name = "SLO"
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="slo_name_unique_per_service"),
            models.CheckConstraint(
                condition=Q(target__gt=0) & Q(target__lt=100), name="slo_target_in_range"
            ),
        ]

    def __str__(self):
        return f"{self.service.name}: {self.name}"

    def clean(self):
        errors = {}
        if self.budgeting_method == BudgetingMethod.TIMESLICES:
            if not self.slice_minutes:
                errors["slice_minutes"] = "Timeslices need a slice length."
            if self.slice_target is None:
                errors["slice_target"] = "Timeslices need a slice target."
        if self.sli_kind == SLIKind.LATENCY and not self.latency_threshold_ms:
            errors["latency_threshold_ms"] = "A latency SLI needs its threshold."
        if self.source == SLOSource.PROMETHEUS:
            for field in ("good_query", "total_query"):
                if "{{window}}" not in getattr(self, field):
                    errors[field] = "A PromQL query with the {{window}} placeholder."
            if self.budgeting_method == BudgetingMethod.TIMESLICES:
                errors["budgeting_method"] = (
                    "Timeslices need per-minute counts: use the internal source."
                )
        if errors:
            raise ValidationError(errors)

    @property
    def objective(self) -> float:
        """The target as a ratio (99.9 -> 0.999)."""
        return float(self.target) / 100


class SLOBucket(models.Model):
    """Good and total events in one minute of one SLO (internal source)."""

    # No index of its own: the two below start with it.
    slo = models.ForeignKey(SLO, on_delete=models.CASCADE, related_name="buckets", db_index=False)
    # Unix minute number of the bucket's end: events in (minute - 1, minute] * 60 seconds.
    minute = models.BigIntegerField()
    good = models.BigIntegerField()
    total = models.BigIntegerField()

    class Meta:
        # Covering: a window's sums are read from the index alone (bench/slo.py: 36,000
        # heap pages per SLO and 30 days without it, about 265 index pages with it).
        indexes = [models.Index(fields=["slo", "minute", "good", "total"], name="slobucket_counts")]
        constraints = [
            models.UniqueConstraint(fields=["slo", "minute"], name="one_bucket_per_slo_minute"),
            models.CheckConstraint(
                condition=Q(good__gte=0) & Q(total__gte=models.F("good")),
                name="bucket_counts_valid",
            ),
        ]

    def __str__(self):
        return f"{self.slo_id}@{self.minute}: {self.good}/{self.total}"


class SLOEvaluation(models.Model):
    """One evaluation of one SLO at one minute: the history behind charts and reports."""

    slo = models.ForeignKey(SLO, on_delete=models.CASCADE, related_name="evaluations")
    at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=SLOState.choices)
    reason = models.TextField(blank=True)
    sli = models.FloatField(null=True)
    good = models.FloatField(default=0)
    total = models.FloatField(default=0)
    budget_remaining = models.FloatField(null=True)
    burn_rates = models.JSONField(default=dict)
    page = models.BooleanField(default=False)
    ticket = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["slo", "at"], name="one_evaluation_per_slo_minute")
        ]
        indexes = [models.Index(fields=["slo", "-at"])]

    def __str__(self):
        return f"{self.slo_id} at {self.at:%Y-%m-%d %H:%M}: {self.state}"


class HealthCheckState(models.Model):
    """How one platform health check has been going: consecutive failures decide when
    an incident opens (two in a row) and when it resolves (the first pass)."""

    name = models.CharField(max_length=40, unique=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    detail = models.TextField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name}: {self.consecutive_failures} failure(s) in a row"
