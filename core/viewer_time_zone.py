"""Show times in the viewer's own time zone where their browser told us it, else in
``settings.TIME_ZONE``.

The admin's pages load ``core/viewer_time_zone.js``, which stores the browser's IANA zone
(``Intl.DateTimeFormat().resolvedOptions().timeZone``) in the ``tz`` cookie; this
middleware activates it for the request. A zone Python does not know is ignored.
"""

from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from django.utils import timezone

COOKIE = "tz"


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def viewer_zone(request) -> ZoneInfo | None:
    name = request.COOKIES.get(COOKIE, "")
    if name in _known_zones():
        return ZoneInfo(name)
    return None


class ViewerTimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = viewer_zone(request)
        if zone is None:
            return self.get_response(request)
        timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
