from django.urls import path, re_path

from oncall.api.views import (
    CalendarFeedView,
    ContactMethodViewSet,
    MyCalendarView,
    ScheduleViewSet,
)

# (prefix, viewset, basename), registered on the project's one API router.
routes = [
    ("schedules", ScheduleViewSet, "schedule"),
    ("contact-methods", ContactMethodViewSet, "contact-method"),
]

urlpatterns = [re_path(r"^me/calendar/?$", MyCalendarView.as_view(), name="my-calendar")]

# Outside /api/: calendar apps subscribe to this address.
root_urlpatterns = [
    path("calendar/<str:token>.ics", CalendarFeedView.as_view(), name="calendar-feed"),
]
