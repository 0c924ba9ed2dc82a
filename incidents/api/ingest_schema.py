"""Request and response bodies of the integration endpoints, for the OpenAPI schema.

The endpoints parse their bodies with ``incidents.ingest`` (fast, and tolerant of the
unknown keys newer senders add); these serializers only describe them. Beyond what
they say: times are RFC 3339 between 1970 and 2200 (Go's zero time, year 1, means
none); NUL characters are dropped and lone surrogates become U+FFFD; JSON nested
deeper than 100 levels, NaN and infinite numbers are refused.
"""

from rest_framework import serializers

from incidents.models import AlertStatus


class _Labels(serializers.DictField):
    def __init__(self, **kwargs):
        super().__init__(child=serializers.CharField(), required=False, **kwargs)


class AlertmanagerAlert(serializers.Serializer):
    status = serializers.ChoiceField(choices=AlertStatus.choices)
    labels = _Labels()
    annotations = _Labels()
    startsAt = serializers.DateTimeField(required=False)
    endsAt = serializers.DateTimeField(
        required=False, help_text="0001-01-01T00:00:00Z while firing"
    )
    generatorURL = serializers.CharField(required=False, allow_blank=True)
    fingerprint = serializers.CharField(required=False)


class AlertmanagerPayload(serializers.Serializer):
    version = serializers.CharField(required=False, help_text='"4"')
    groupKey = serializers.CharField(help_text="Alerts with one group key join one incident.")
    status = serializers.ChoiceField(choices=AlertStatus.choices)
    receiver = serializers.CharField(required=False)
    groupLabels = _Labels()
    commonLabels = _Labels()
    commonAnnotations = _Labels()
    externalURL = serializers.CharField(required=False)
    truncatedAlerts = serializers.IntegerField(required=False)
    alerts = AlertmanagerAlert(many=True)


class GrafanaAlert(AlertmanagerAlert):
    silenceURL = serializers.CharField(required=False)
    dashboardURL = serializers.CharField(required=False)
    panelURL = serializers.CharField(required=False)
    values = serializers.DictField(child=serializers.FloatField(), required=False)
    valueString = serializers.CharField(required=False)


class GrafanaPayload(AlertmanagerPayload):
    orgId = serializers.IntegerField(required=False)
    title = serializers.CharField(required=False)
    message = serializers.CharField(required=False)
    state = serializers.ChoiceField(choices=["alerting", "ok"], required=False)
    alerts = GrafanaAlert(many=True)


class WebhookLink(serializers.Serializer):
    href = serializers.URLField()
    text = serializers.CharField(required=False)


class WebhookEvent(serializers.Serializer):
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=AlertStatus.choices, default="firing")
    dedup_key = serializers.CharField(
        max_length=255, required=False, help_text="Required to resolve."
    )
    severity = serializers.CharField(
        required=False, help_text="critical, high, medium, low, or SEV1..SEV4"
    )
    summary = serializers.CharField(required=False)
    labels = _Labels()
    annotations = _Labels()
    links = WebhookLink(many=True, required=False)
    starts_at = serializers.DateTimeField(required=False)


class WebhookPayload(WebhookEvent):
    """One event; or instead an object with ``alerts``: a list of events."""


class IngestIncident(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()
    decision = serializers.ChoiceField(choices=["opened", "joined", "joined-closed"])


class IngestResult(serializers.Serializer):
    status = serializers.CharField()
    alerts = serializers.IntegerField(help_text="Alerts stored.")
    incidents = IngestIncident(many=True)


class PagerDutyPayload(serializers.Serializer):
    summary = serializers.CharField(max_length=1024)
    source = serializers.CharField()
    severity = serializers.ChoiceField(choices=["critical", "error", "warning", "info"])
    timestamp = serializers.DateTimeField(required=False)
    component = serializers.CharField(required=False)
    group = serializers.CharField(required=False)
    custom_details = serializers.JSONField(required=False)

    def get_fields(self):
        # "class" is a Python keyword, so it cannot be declared as an attribute.
        return {**super().get_fields(), "class": serializers.CharField(required=False)}


class PagerDutyLink(serializers.Serializer):
    href = serializers.CharField()
    text = serializers.CharField(required=False)


class PagerDutyEvent(serializers.Serializer):
    routing_key = serializers.CharField(help_text="The integration's secret.")
    event_action = serializers.ChoiceField(choices=["trigger", "acknowledge", "resolve"])
    dedup_key = serializers.CharField(max_length=255, required=False)
    payload = PagerDutyPayload(required=False, help_text="Required for trigger events.")
    images = serializers.ListField(child=serializers.DictField(), required=False)
    links = PagerDutyLink(many=True, required=False)
    client = serializers.CharField(required=False)
    client_url = serializers.CharField(required=False)


class PagerDutyChangePayload(serializers.Serializer):
    summary = serializers.CharField(max_length=1024)
    source = serializers.CharField(required=False)
    timestamp = serializers.DateTimeField(required=False)
    custom_details = serializers.JSONField(required=False)


class PagerDutyChangeEvent(serializers.Serializer):
    routing_key = serializers.CharField()
    payload = PagerDutyChangePayload()
    links = PagerDutyLink(many=True, required=False)


class PagerDutyAccepted(serializers.Serializer):
    status = serializers.CharField(default="success")
    message = serializers.CharField()
    dedup_key = serializers.CharField(required=False)


class PagerDutyInvalid(serializers.Serializer):
    status = serializers.CharField(default="invalid event")
    message = serializers.CharField()
    errors = serializers.ListField(child=serializers.CharField())
