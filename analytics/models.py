"""Metric series and their samples: business numbers (orders, sign-ups...) posted by
other systems, the inputs of trends, comparisons and anomaly detection."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

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

    class Meta:
        ordering = ["timestamp"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "timestamp"], name="one_sample_per_series_timestamp"
            )
        ]

    def __str__(self):
        return f"{self.series_id} {self.timestamp:%Y-%m-%d %H:%M}: {self.value}"
