from rest_framework import serializers


class ResponseTimesQuerySerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(
        choices=["service", "team", "severity", "period"], required=False
    )
    period = serializers.ChoiceField(choices=["day", "week", "month"], default="week")
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


class ResponseTimesRowSerializer(serializers.Serializer):
    service__slug = serializers.CharField(required=False)
    service__name = serializers.CharField(required=False)
    service__team__slug = serializers.CharField(required=False)
    service__team__name = serializers.CharField(required=False)
    severity = serializers.CharField(required=False)
    period = serializers.DateTimeField(required=False)
    incidents = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    resolved = serializers.IntegerField()
    mtta_mean = serializers.FloatField(allow_null=True)
    mtta_median = serializers.FloatField(allow_null=True)
    mtta_p90 = serializers.FloatField(allow_null=True)
    mttr_mean = serializers.FloatField(allow_null=True)
    mttr_median = serializers.FloatField(allow_null=True)
    mttr_p90 = serializers.FloatField(allow_null=True)
