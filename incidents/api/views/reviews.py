from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.api.fields import AskedFilterBackend, FilterBackend
from core.api.permissions import RoleModelPermissions
from incidents import selectors
from incidents.api import serializers as s
from incidents.api.filters import ActionItemFilter, ReviewFilter
from incidents.api.views.common import WORK, paginated_rows
from incidents.reviews_export import EXPORT_FORMATS, review_export
from incidents.services import reviews as services


class ReviewViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Post-incident reviews: one per incident, opened automatically when an incident of
    a reviewed severity resolves (REVIEW_SEVERITIES), or by hand for any incident.
    Publishing freezes the text (editing it afterwards is a 409 `review_published`);
    action items stay editable through /api/action-items. Viewers read; Responders
    write; Managers also delete."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    filter_backends = [FilterBackend, OrderingFilter]
    filterset_class = ReviewFilter
    ordering_fields = ["created_at", "due_date", "status"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.review_detail() if self.detail else selectors.review_list()

    def get_serializer_class(self):
        return s.ReviewSerializer if self.action == "list" else s.ReviewDetailSerializer

    def perform_content_negotiation(self, request, force=False):
        if self.action == "export":
            # ?format= names the document here, not a renderer; errors answer JSON.
            renderer = JSONRenderer()
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    def _detail(self, review, status_code=status.HTTP_200_OK):
        review = selectors.review_detail().get(pk=review.pk)
        return Response(s.ReviewDetailSerializer(review).data, status=status_code)

    @extend_schema(request=s.ReviewSerializer, responses={201: s.ReviewDetailSerializer})
    def create(self, request):
        serializer = s.ReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.review_open(by=request.user, **serializer.validated_data)
        return self._detail(review, status.HTTP_201_CREATED)

    @extend_schema(request=s.ReviewSerializer, responses=s.ReviewDetailSerializer)
    def partial_update(self, request, pk=None):
        review = self.get_object()
        serializer = s.ReviewSerializer(review, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        review = services.review_update(review=review, by=request.user, **serializer.validated_data)
        return self._detail(review)

    def perform_destroy(self, instance):
        services.review_delete(review=instance, by=self.request.user)

    @extend_schema(
        summary="Publish a post-incident review", request=None, responses=s.ReviewDetailSerializer
    )
    @action(detail=True, methods=["post"], permission_classes=WORK)
    def publish(self, request, pk=None):
        """Publish the review: its text is final from now on (a later edit is a 409
        `review_published`). Answers the review; publishing again changes nothing."""
        review = services.review_publish(review=self.get_object(), by=request.user)
        return self._detail(review)

    @extend_schema(
        summary="Export a post-incident review",
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=list(EXPORT_FORMATS),
                description="md (Markdown, the default) or pdf.",
            )
        ],
        responses={
            (200, "text/markdown"): OpenApiTypes.STR,
            (200, "application/pdf"): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def export(self, request, pk=None):
        """The review as a document to circulate, as an attachment: Markdown (the
        default) or PDF; 400 for any other `format`."""
        kind = request.query_params.get("format", "md")
        if kind not in EXPORT_FORMATS:
            raise ValidationError({"format": [f"Choose one of: {', '.join(EXPORT_FORMATS)}."]})
        review = self.get_object()
        body, content_type, filename = review_export(review, kind)
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ActionItemViewSet(viewsets.ModelViewSet):
    """Follow-up work from reviews. `completed_at` is set when an item becomes done or
    won't do (and cleared if it is reopened). Filters: `owner` (id, username or `me`),
    `status`, `overdue=true`, `service`, `team`, `review`. Viewers read; Responders
    write."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.ActionItemSerializer
    filter_backends = [AskedFilterBackend, OrderingFilter]
    filterset_class = ActionItemFilter
    ordering_fields = ["due_date", "priority", "created_at", "status"]
    ordering = ["due_date", "priority", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.action_item_list()

    # ActionItemSerializer's output, built from rows rather than model instances.
    def list(self, request):
        rows = selectors.action_item_rows(self.filter_queryset(self.get_queryset()))
        return paginated_rows(self, rows, s.action_item_list_data)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        item = services.action_item_create(review=data.pop("review"), by=self.request.user, **data)
        serializer.instance = self.get_queryset().get(pk=item.pk)

    def perform_update(self, serializer):
        item = services.action_item_update(
            item=serializer.instance, by=self.request.user, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=item.pk)

    def perform_destroy(self, instance):
        services.action_item_delete(item=instance, by=self.request.user)
