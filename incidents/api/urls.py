from django.urls import path, re_path

from incidents import views as incident_views
from incidents.api import ingest
from incidents.api.views import (
    ActionItemViewSet,
    AlertViewSet,
    ChangeEventViewSet,
    EscalationPolicyViewSet,
    EscalationRuleViewSet,
    IncidentViewSet,
    IntegrationViewSet,
    ReviewViewSet,
    ServiceViewSet,
)

# (prefix, viewset, basename), registered on the project's one API router.
routes = [
    ("incidents", IncidentViewSet, "incident"),
    ("services", ServiceViewSet, "service"),
    ("integrations", IntegrationViewSet, "integration"),
    ("alerts", AlertViewSet, "alert"),
    ("changes", ChangeEventViewSet, "change-event"),
    ("escalation-policies", EscalationPolicyViewSet, "escalation-policy"),
    ("escalation-rules", EscalationRuleViewSet, "escalation-rule"),
    ("reviews", ReviewViewSet, "review"),
    ("action-items", ActionItemViewSet, "action-item"),
]

# Before the router's routes, so /api/integrations/alertmanager is not read as an id.
urlpatterns = [
    re_path(
        r"^integrations/alertmanager/?$",
        ingest.AlertmanagerIngestView.as_view(),
        name="ingest-alertmanager",
    ),
    re_path(r"^integrations/grafana/?$", ingest.GrafanaIngestView.as_view(), name="ingest-grafana"),
    re_path(r"^integrations/webhook/?$", ingest.WebhookIngestView.as_view(), name="ingest-webhook"),
]

# PagerDuty's paths, at the root as PagerDuty serves them.
root_urlpatterns = [
    path("v2/enqueue", ingest.PagerDutyEnqueueView.as_view(), name="pagerduty-enqueue"),
    path("v2/change/enqueue", ingest.PagerDutyChangeView.as_view(), name="pagerduty-change"),
    path("respond/<str:token>", incident_views.respond, name="incident-respond"),
]
