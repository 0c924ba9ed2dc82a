from webhooks.api.views import OutgoingWebhookViewSet

# (prefix, viewset, basename), registered on the project's one API router.
routes = [("webhooks", OutgoingWebhookViewSet, "outgoing-webhook")]
