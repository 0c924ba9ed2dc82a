from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.api.serializers import ServiceRefSerializer, TeamRefSerializer
from core.api.fields import ModelSerializer
from core.api.representation import date_repr, datetime_writer
from incidents import selectors
from incidents.api.serializers.incidents import TimelineEntrySerializer
from incidents.models import ActionItem, Incident, PostIncidentReview, ReviewStatus
from incidents.models.reviews import FINISHED_ACTION_STATUSES

User = get_user_model()
ACTIVE_USERS = User.objects.filter(is_active=True)


class ReviewIncidentSerializer(ModelSerializer):
    reference = serializers.CharField(read_only=True, help_text="e.g. INC-42")
    service = ServiceRefSerializer(read_only=True)
    team = TeamRefSerializer(source="service.team", read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "title",
            "severity",
            "status",
            "service",
            "team",
            "triggered_at",
            "resolved_at",
        ]
        read_only_fields = fields


class ReviewFiguresSerializer(serializers.Serializer):
    time_to_acknowledge = serializers.IntegerField(
        allow_null=True, help_text="Seconds from trigger to acknowledge; null if never."
    )
    time_to_mitigate = serializers.IntegerField(
        allow_null=True, help_text="Seconds from trigger to mitigate; null if never."
    )
    time_to_resolve = serializers.IntegerField(
        allow_null=True, help_text="Seconds from trigger to resolve; null if not resolved."
    )
    alerts_received = serializers.IntegerField()
    people_paged = serializers.IntegerField(help_text="Distinct people paged.")


class ActionItemSerializer(ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=ACTIVE_USERS, required=False, allow_null=True
    )
    owner_name = serializers.CharField(source="owner.username", read_only=True, allow_null=True)
    incident = serializers.CharField(
        source="review.incident.reference", read_only=True, help_text="e.g. INC-42"
    )
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "review",
            "incident",
            "title",
            "description",
            "owner",
            "owner_name",
            "priority",
            "due_date",
            "status",
            "completed_at",
            "ticket_url",
            "overdue",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["completed_at", "created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["review"].read_only = True  # an item stays with its review
        return fields


def action_item_list_data(rows: list[dict]) -> list[dict]:
    """``ActionItemSerializer``'s output for rows of ``selectors.action_item_rows``,
    built directly (a test keeps the two equal); ``overdue`` is ``ActionItem.is_overdue``
    read from the row, against one ``today`` for the whole page."""
    today, iso = timezone.localdate(), datetime_writer()
    return [
        {
            "id": row["id"],
            "review": row["review_id"],
            "incident": f"{Incident.PREFIX}{row['review__incident__number']}",
            "title": row["title"],
            "description": row["description"],
            "owner": row["owner_id"],
            "owner_name": row["owner__username"],
            "priority": row["priority"],
            "due_date": date_repr(row["due_date"]),
            "status": row["status"],
            "completed_at": iso(row["completed_at"]),
            "ticket_url": row["ticket_url"],
            "overdue": (
                row["status"] not in FINISHED_ACTION_STATUSES
                and row["due_date"] is not None
                and row["due_date"] < today
            ),
            "created_at": iso(row["created_at"]),
            "updated_at": iso(row["updated_at"]),
        }
        for row in rows
    ]


class ReviewActionItemSerializer(ActionItemSerializer):
    """An action item inside its review's body: read-only there; write through
    /api/action-items."""

    class Meta(ActionItemSerializer.Meta):
        read_only_fields = ActionItemSerializer.Meta.fields


class ReviewSerializer(ModelSerializer):
    incident = serializers.PrimaryKeyRelatedField(
        queryset=Incident.objects.all(),
        help_text="The incident under review (set when the review is opened).",
    )
    incident_detail = ReviewIncidentSerializer(source="incident", read_only=True)
    status = serializers.ChoiceField(
        choices=ReviewStatus.choices,
        required=False,
        help_text="draft or in_review; publish with POST /api/reviews/{id}/publish.",
    )
    facilitator = serializers.PrimaryKeyRelatedField(
        queryset=ACTIVE_USERS, required=False, allow_null=True
    )
    facilitator_name = serializers.CharField(
        source="facilitator.username", read_only=True, allow_null=True
    )
    participants = serializers.PrimaryKeyRelatedField(
        queryset=ACTIVE_USERS, many=True, required=False
    )
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    action_items = ReviewActionItemSerializer(many=True, read_only=True)

    class Meta:
        model = PostIncidentReview
        fields = [
            "id",
            "incident",
            "incident_detail",
            "status",
            "facilitator",
            "facilitator_name",
            "participants",
            "due_date",
            "overdue",
            "summary",
            "customer_impact",
            "root_cause",
            "contributing_factors",
            "what_went_well",
            "what_went_poorly",
            "lessons_learned",
            "action_items",
            "published_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["published_at", "created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["incident"].read_only = True  # a review stays with its incident
        return fields


class ReviewDetailSerializer(ReviewSerializer):
    """One review with what the list leaves out: the figures and the timeline."""

    figures = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "figures", "timeline"]

    @extend_schema_field(ReviewFiguresSerializer)
    def get_figures(self, review):
        return selectors.review_figures(review.incident)

    @extend_schema_field(TimelineEntrySerializer(many=True))
    def get_timeline(self, review):
        return TimelineEntrySerializer(selectors.review_timeline(review), many=True).data
