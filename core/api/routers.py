from rest_framework.routers import DefaultRouter


class OptionalSlashRouter(DefaultRouter):
    """Routes that answer both ``/api/incidents`` and ``/api/incidents/``.

    Clients differ (webhook senders often strip the slash) and a redirect would turn
    a POST into a GET, so neither form redirects.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trailing_slash = "/?"
