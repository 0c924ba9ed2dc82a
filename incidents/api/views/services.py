from catalog import services as catalog_services
from catalog.api.views import ServiceViewSet as CatalogServiceViewSet
from incidents import selectors, services
from incidents.api import serializers as s

_UNSET = object()


class ServiceViewSet(CatalogServiceViewSet):
    """Services that incidents are about, with their open incidents and default
    escalation policy. Viewers read; Managers create, edit and delete (a service with
    incidents cannot be deleted)."""

    serializer_class = s.ServiceSerializer

    def get_queryset(self):
        return selectors.service_list()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        policy = data.pop("escalation_policy", None)
        service = catalog_services.service_create(**data)
        if policy is not None:
            services.escalation_rule_set(service=service, policy=policy)
        serializer.instance = self.get_queryset().get(pk=service.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        policy = data.pop("escalation_policy", _UNSET)
        catalog_services.service_update(service=serializer.instance, **data)
        if policy is not _UNSET:
            services.escalation_rule_set(service=serializer.instance, policy=policy)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)
