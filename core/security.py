"""Response headers that limit what a page may do in the browser."""

from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """Send ``settings.CONTENT_SECURITY_POLICY`` as the ``Content-Security-Policy``
    header on every response that does not set its own. Even if text from an alert
    (an annotation, a link) were ever rendered as markup, the browser would run no
    inline or foreign script and load no plugin, and no other site may frame a page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
