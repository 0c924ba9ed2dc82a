"""Metric series and their samples: business numbers (orders, sign-ups...) posted by
other systems, the inputs of trends, comparisons and anomaly detection."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from core.models import TimeStampedModel

# Prometheus' rule for metric and label names.
METRIC_NAME = RegexValidator(
    r"^[a-zA-Z_:][a-zA-Z0-9_:]*\Z", "Letters, digits, _ and :, not starting with a digit."
)
LABEL_NAME = r"^[a-zA-Z_][a-zA-Z0-9_]*\Z"
MAX_LABELS = 20


def validate_labels(value):
    import re

    if not isinstance(value, dict):
        raise ValidationError("Labels are an object of names to text values.")
    if len(value) > MAX_LABELS:
        raise ValidationError(f"At most {MAX_LABELS} labels.")
    for name, text in value.items():
        if not isinstance(name, str) or not re.match(LABEL_NAME, name):
            raise ValidationError(f"Label name {name!r}: letters, digits and _ only.")
        if not isinstance(text, str) or len(text) > 200:
            raise ValidationError(f"Label {name}: a text value of at most 200 characters.")


def labels_key(labels: dict) -> str:
    """The labels as one canonical text, so a series is found by name and labels."""
    return ",".join(f"{name}={labels[name]}" for name in sorted(labels))


class MetricSeries(TimeStampedModel):
    name = models.CharField(max_length=200, validators=[METRIC_NAME])
    labels = models.JSONField(default=dict, blank=True, validators=[validate_labels])
    # ``labels`` as sorted name=value text: what the uniqueness and lookups use.
    labels_key = models.CharField(max_length=4000, editable=False, default="")
    unit = models.CharField(max_length=40, blank=True)
    description = models.TextField(blank=True)
    higher_is_better = models.BooleanField(
        default=True, help_text="Whether a rise is good news (orders) or bad (error rate)."
    )
    service = models.ForeignKey(
        "catalog.Service",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Whose on-call is paged for its high and critical anomalies that are bad "
        "news (a fall when higher is better, a rise otherwise).",
    )

    class Meta:
        ordering = ["name", "labels_key"]
        verbose_name_plural = "metric series"
        constraints = [
            models.UniqueConstraint(fields=["name", "labels_key"], name="one_series_per_labels")
        ]

    def __str__(self):
        return f"{self.name}{{{self.labels_key}}}" if self.labels_key else self.name

    def save(self, *args, **kwargs):
        self.labels_key = labels_key(self.labels or {})
        super().save(*args, **kwargs)


class MetricSample(models.Model):
    series = models.ForeignKey(MetricSeries, on_delete=models.CASCADE, related_name="samples")
    timestamp = models.DateTimeField()
    value = models.FloatField()
    # When the value was stored (or last replaced): what the anomaly scan reads as new.
    stored_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["timestamp"]
        indexes = [models.Index(fields=["series", "stored_at"], name="sample_series_stored_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "timestamp"], name="one_sample_per_series_timestamp"
            )
        ]

    def __str__(self):
        return f"{self.series_id} {self.timestamp:%Y-%m-%d %H:%M}: {self.value}"


class MetricSource(TimeStampedModel):
    """A series pulled from Prometheus: a PromQL query run on a schedule, its result
    stored as samples of ``metric`` (with the result's labels)."""

    name = models.CharField(max_length=100, unique=True)
    query = models.TextField(help_text="PromQL, e.g. sum(rate(orders_total[5m]))")
    metric = models.CharField(
        max_length=200, validators=[METRIC_NAME], help_text="The series the results are stored as."
    )
    prometheus_url = models.URLField(blank=True, help_text="Empty: the PROMETHEUS_URL setting.")
    step_seconds = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(15), MaxValueValidator(86_400)]
    )
    every_minutes = models.PositiveIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
        help_text="How often beat pulls it.",
    )
    enabled = models.BooleanField(default=True)
    pulled_through = models.DateTimeField(null=True, blank=True, editable=False)
    last_pulled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class AnomalyMethod(models.TextChoices):
    ROLLING_Z = "rolling_z", "Rolling z-score"
    ROBUST_Z = "robust_z", "Robust z-score (deseasonalised)"
    ISOLATION_FOREST = "isolation_forest", "Isolation forest"


class AnomalySeverity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class AnomalyScan(models.Model):
    """Where the last scan of a series stopped: samples stored after ``stored_through``
    are new to the next scan."""

    series = models.OneToOneField(
        MetricSeries, on_delete=models.CASCADE, primary_key=True, related_name="anomaly_scan"
    )
    stored_through = models.DateTimeField(null=True)
    scanned_at = models.DateTimeField(null=True)

    def __str__(self):
        return f"{self.series_id} scanned through samples stored by {self.stored_through}"


class Anomaly(models.Model):
    series = models.ForeignKey(MetricSeries, on_delete=models.CASCADE, related_name="anomalies")
    timestamp = models.DateTimeField()
    value = models.FloatField()
    expected = models.FloatField()
    score = models.FloatField()
    method = models.CharField(max_length=20, choices=AnomalyMethod.choices)
    severity = models.CharField(max_length=10, choices=AnomalySeverity.choices)
    detected_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-timestamp", "series_id"]
        verbose_name_plural = "anomalies"
        constraints = [
            models.UniqueConstraint(
                fields=["series", "timestamp", "method"], name="one_anomaly_per_point_and_method"
            )
        ]
        indexes = [models.Index(fields=["-detected_at"]), models.Index(fields=["-timestamp"])]

    def __str__(self):
        return f"{self.series} at {self.timestamp:%Y-%m-%d %H:%M}: {self.value} ({self.method})"


class BenchmarkStatus(models.TextChoices):
    EXCEEDS = "exceeds", "Exceeds (target reached)"
    MEETS = "meets", "Meets (baseline reached)"
    BELOW = "below", "Below the baseline"


class Benchmark(TimeStampedModel):
    """A yardstick for one number: where it should be at least (baseline) and where we
    want it (target); ``higher_is_better`` says which way is better."""

    name = models.CharField(max_length=100, unique=True)
    metric = models.CharField(
        max_length=200,
        validators=[METRIC_NAME],
        help_text="A stored series or a built-in metric (vigil_...).",
    )
    labels = models.JSONField(default=dict, blank=True, validators=[validate_labels])
    statistic = models.CharField(
        max_length=10,
        choices=[
            ("mean", "Mean"),
            ("median", "Median"),
            ("p95", "95th percentile"),
            ("latest", "Latest value"),
            ("sum", "Sum"),
        ],
        default="mean",
    )
    window_days = models.PositiveIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(400)]
    )
    baseline = models.FloatField()
    target = models.FloatField()
    higher_is_better = models.BooleanField(default=False)
    unit = models.CharField(max_length=40, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        better = (
            (self.target > self.baseline)
            if self.higher_is_better
            else (self.target < self.baseline)
        )
        if self.target != self.baseline and not better:
            raise ValidationError(
                {"target": "The target must be better than the baseline in the chosen direction."}
            )


class RouteUsage(models.Model):
    """API and admin answers per hour, route (the URL pattern), method and latency band;
    added to by each process once a minute, never one write per request."""

    hour = models.DateTimeField()
    route = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    latency_band = models.PositiveSmallIntegerField()
    requests = models.PositiveIntegerField(default=0)
    client_errors = models.PositiveIntegerField(default=0)
    server_errors = models.PositiveIntegerField(default=0)
    # Database queries made by these requests, summed: queries per request = queries / requests.
    queries = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "route", "method", "latency_band"], name="one_usage_row_per_band"
            )
        ]

    def __str__(self):
        return f"{self.hour:%Y-%m-%d %H:00} {self.method} {self.route}: {self.requests}"


class ActiveUser(models.Model):
    """A person who used the platform (signed in, API or admin) on a day."""

    day = models.DateField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "user"], name="one_active_user_per_day")
        ]

    def __str__(self):
        return f"{self.day}: {self.user_id}"


class FeatureUse(models.Model):
    """How often a feature was used on a day, and through which channel."""

    day = models.DateField()
    feature = models.CharField(max_length=60)
    channel = models.CharField(max_length=20)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "feature", "channel"], name="one_feature_use_row_per_day"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.feature} ({self.channel}): {self.count}"
