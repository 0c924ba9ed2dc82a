"""Insights: what the rules found in the platform's data, each with a recommendation and
its evidence, kept as one row per finding (its fingerprint) across generations."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

from core.models import OutboxRow, TimeStampedModel


class InsightSeverity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class InsightStatus(models.TextChoices):
    OPEN = "open", "Open"
    DISMISSED = "dismissed", "Dismissed"
    RESOLVED = "resolved", "Resolved"


class Insight(TimeStampedModel):
    rule = models.CharField(max_length=60)
    # sha256 of the rule and the finding's subject: the same finding is the same row.
    fingerprint = models.CharField(max_length=64, unique=True)
    # sha256 of what the finding says: a dismissed insight reopens when it changes.
    content_hash = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    severity = models.CharField(max_length=10, choices=InsightSeverity.choices)
    recommendation = models.TextField()
    evidence = models.JSONField(default=list, help_text="[{label, url}] of admin or API pages.")
    figures = models.JSONField(default=dict)
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=InsightStatus.choices, default=InsightStatus.OPEN
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["status", "-last_seen"]
        indexes = [models.Index(fields=["status", "rule"])]

    def __str__(self):
        return self.title


# --- reports --------------------------------------------------------------------------


class ReportKind(models.TextChoices):
    EXECUTIVE = "executive", "Executive"
    PERFORMANCE = "performance", "Performance"
    TREND = "trend", "Trend"
    USAGE = "usage", "Usage"
    INCIDENTS = "incidents", "Incidents"
    SLO = "slo", "SLO"


class ReportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ReportOrigin(models.TextChoices):
    API = "api", "API"
    ADMIN = "admin", "Admin"
    SCHEDULE = "schedule", "Schedule"
    COMMAND = "command", "Command"


# A report reads every row of its period; a year is the most anyone asks of a document.
REPORT_MAX_DAYS = 400


def validate_report_params(kind: str, params: dict) -> None:
    """A trend report is about one metric: ``{"metric": name, "labels": {...}}``."""
    if not isinstance(params, dict):
        raise ValidationError({"params": "Must be an object."})
    if kind == ReportKind.TREND:
        metric = params.get("metric")
        if not isinstance(metric, str) or not metric.strip():
            raise ValidationError({"params": "A trend report needs the metric's name."})
        labels = params.get("labels", {})
        if not isinstance(labels, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in labels.items()
        ):
            raise ValidationError({"params": "labels must be an object of strings."})


def validate_period(start, end) -> None:
    if start is None or end is None:
        return
    if end <= start:
        raise ValidationError({"end": "The period must end after it starts."})
    if (end - start).days > REPORT_MAX_DAYS:
        raise ValidationError({"end": f"A report covers at most {REPORT_MAX_DAYS} days."})


class Report(TimeStampedModel):
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    start = models.DateTimeField()
    end = models.DateTimeField()
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    error = models.TextField(blank=True)
    title = models.CharField(max_length=200, blank=True)
    # The report's key figures as its API answers them; the documents show the same.
    figures = models.JSONField(default=dict, blank=True)
    html = models.TextField(blank=True)
    # Kept in the database, not on a disk: web and workers may run on different hosts.
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    origin = models.CharField(max_length=10, choices=ReportOrigin.choices)
    subscription = models.ForeignKey(
        "ReportSubscription",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            # A subscription reports on each period once, however often beat fires.
            models.UniqueConstraint(
                fields=["subscription", "start", "end"],
                condition=models.Q(subscription__isnull=False),
                name="one_report_per_subscription_period",
            )
        ]

    def __str__(self):
        return self.title or f"{self.get_kind_display()} report #{self.pk}"

    def clean(self):
        super().clean()
        validate_period(self.start, self.end)
        validate_report_params(self.kind, self.params)


class ReportPeriod(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"


class ReportSubscription(TimeStampedModel):
    """A report sent by email on a schedule: each run covers the ``period`` that ended at
    the start of the run's day (a Monday run of a weekly report: the seven days before)."""

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    period = models.CharField(max_length=10, choices=ReportPeriod.choices)
    params = models.JSONField(default=dict, blank=True)
    recipients = models.TextField(
        blank=True,
        help_text="Email addresses, one per line or comma-separated. "
        "Empty: every active Manager with an email address.",
    )
    # The beat entry that runs it; its crontab (and time zone) is edited with the subscription.
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def recipient_list(self) -> list[str]:
        return [
            address
            for line in self.recipients.replace(",", "\n").splitlines()
            if (address := line.strip())
        ]

    def clean(self):
        super().clean()
        validate_report_params(self.kind, self.params)
        for address in self.recipient_list():
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError({"recipients": f"Not an email address: {address}"}) from None


class ReportDelivery(OutboxRow):
    """One scheduled email of one report (an outbox row): written when the report is
    done, retried with backoff until it is sent or gives up, and shown in the admin."""

    subscription = models.ForeignKey(
        ReportSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="deliveries")
    recipients = models.JSONField(default=list)

    class Meta(OutboxRow.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "report deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["report", "subscription"], name="one_delivery_per_report"
            )
        ]

    def __str__(self):
        return f"{self.report} to {self.subscription} ({self.status})"
