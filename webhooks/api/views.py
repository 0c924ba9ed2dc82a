from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated

from core.api.permissions import RoleModelPermissions
from webhooks import selectors, services
from webhooks.api import serializers as s


class OutgoingWebhookViewSet(viewsets.ModelViewSet):
    """Webhooks that tell other tools about events (signed like pages:
    ``X-Vigil-Signature``; ``X-Vigil-Delivery`` is the same on every retry of a
    delivery). Managers configure them; each keeps a delivery log."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.OutgoingWebhookSerializer
    ordering = ["name"]

    def get_queryset(self):
        return selectors.webhook_list()

    def get_serializer_class(self):
        # The answer that creates a webhook is the only one that carries its secret.
        if self.action == "create":
            return s.OutgoingWebhookIssuedSerializer
        return s.OutgoingWebhookSerializer

    def perform_create(self, serializer):
        serializer.instance = services.webhook_create(**serializer.validated_data)

    def perform_update(self, serializer):
        services.webhook_update(webhook=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.webhook_delete(webhook=instance)

    @extend_schema(
        summary="List a webhook's deliveries", responses=s.WebhookDeliverySerializer(many=True)
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, pk=None):
        """The webhook's delivery log, newest first (paginated): each event sent, its
        attempts and its outcome."""
        page = self.paginate_queryset(selectors.delivery_log(self.get_object()))
        return self.get_paginated_response(s.WebhookDeliverySerializer(page, many=True).data)
