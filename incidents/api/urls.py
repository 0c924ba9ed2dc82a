from incidents.api.views import IncidentViewSet, ServiceViewSet, TeamViewSet

routes = [
    ("incidents", IncidentViewSet, "incident"),
    ("services", ServiceViewSet, "service"),
    ("teams", TeamViewSet, "team"),
]
urlpatterns = []
