from rest_framework import viewsets
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.permissions import IsAuthenticated

from core.api.fields import FilterBackend
from core.api.permissions import RoleModelPermissions
from incidents import selectors, services
from incidents.api import serializers as s


class EscalationPolicyViewSet(viewsets.ModelViewSet):
    """Escalation policies: ordered steps (users and/or schedules, then a delay), repeated
    ``repeat`` more times. Writing ``steps`` replaces them; running escalations keep the
    policy as it was when they started. Viewers read; Managers edit."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.EscalationPolicySerializer
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["name"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.escalation_policy_list()

    def perform_create(self, serializer):
        policy = services.policy_save(**serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=policy.pk)

    def perform_update(self, serializer):
        services.policy_save(policy=serializer.instance, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_destroy(self, instance):
        services.policy_delete(policy=instance)


class EscalationRuleViewSet(viewsets.ModelViewSet):
    """Which policy pages for a service: its default (``severity`` empty) and per-severity
    rules, which win over the default. Writing a rule for a service and severity that
    already has one replaces its policy. Viewers read; Managers edit."""

    permission_classes = [IsAuthenticated, RoleModelPermissions]
    serializer_class = s.ServiceEscalationRuleSerializer
    filter_backends = [FilterBackend, OrderingFilter]
    filterset_fields = ["service", "severity", "policy"]
    ordering = ["service", "severity"]

    def get_queryset(self):
        return selectors.escalation_rule_list()

    def perform_create(self, serializer):
        serializer.instance = services.escalation_rule_set(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.escalation_rule_update(
            rule=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.escalation_rule_delete(rule=instance)
