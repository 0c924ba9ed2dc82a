from django.urls import path, re_path

from incidents import views as incident_views
from incidents.api import ingest
from incidents.api.schedules import CalendarFeedView, MyCalendarView, ScheduleViewSet
from incidents.api.views import (
    AlertViewSet,
    ChangeEventViewSet,
    ContactMethodViewSet,
    EscalationPolicyViewSet,
    IncidentViewSet,
    IntegrationViewSet,
    OutgoingWebhookViewSet,
    ServiceViewSet,
    TeamViewSet,
)

routes = [
    ("incidents", IncidentViewSet, "incident"),
    ("services", ServiceViewSet, "service"),
    ("teams", TeamViewSet, "team"),
    ("integrations", IntegrationViewSet, "integration"),
    ("alerts", AlertViewSet, "alert"),
    ("changes", ChangeEventViewSet, "change-event"),
    ("schedules", ScheduleViewSet, "schedule"),
    ("escalation-policies", EscalationPolicyViewSet, "escalation-policy"),
    ("contact-methods", ContactMethodViewSet, "contact-method"),
    ("webhooks", OutgoingWebhookViewSet, "outgoing-webhook"),
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
    re_path(r"^me/calendar/?$", MyCalendarView.as_view(), name="my-calendar"),
]

# PagerDuty's paths, at the root as PagerDuty serves them.
root_urlpatterns = [
    path("v2/enqueue", ingest.PagerDutyEnqueueView.as_view(), name="pagerduty-enqueue"),
    path("v2/change/enqueue", ingest.PagerDutyChangeView.as_view(), name="pagerduty-change"),
    path("calendar/<str:token>.ics", CalendarFeedView.as_view(), name="calendar-feed"),
    path("respond/<str:token>", incident_views.respond, name="incident-respond"),
]
