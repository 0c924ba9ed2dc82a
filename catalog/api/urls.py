from catalog.api.views import TeamViewSet

# (prefix, viewset, basename), registered on the project's one API router. Services are
# served by the incidents app, which adds what only it knows (open incidents, policies)
# to ``catalog.api.views.ServiceViewSet``.
routes = [("teams", TeamViewSet, "team")]
