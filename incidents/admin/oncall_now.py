"""The admin's "On call now" page: every schedule (who, until when, who is next) and every
escalation policy level (who would be paged right now). It lives in incidents because it
reads both escalation policies and schedules, and incidents may import oncall, not the
reverse. The page costs a constant number of queries however many schedules there are."""

from datetime import datetime, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_duration
from django.views import View

from incidents.admin.common import duration_text
from incidents.oncall_overview import oncall_overview
from oncall import rotation
from oncall import selectors as oncall_selectors
from oncall.models import Schedule

URL_NAME = "incidents_oncall_now"
CHANGE_LIST_TEMPLATE = "admin/oncall_now/change_list.html"
# How far ahead to look for the next person: longer than any rotation in practice.
LOOKAHEAD = timedelta(days=90)


def display_time(moment: datetime | None) -> str:
    """``moment`` in the project's time zone, with the zone's abbreviation."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%a %d %b %Y %H:%M %Z")


def _handover(schedule: Schedule, now: datetime, current: int | None) -> dict:
    """When ``current``'s turn in ``schedule`` ends and who comes next (user id, from when);
    all None when nobody follows within ``LOOKAHEAD`` or the schedule cannot be evaluated."""
    try:
        spec = oncall_selectors.schedule_spec(schedule, overrides_from=now)
        shifts = rotation.final_shifts(spec, now, now + LOOKAHEAD)
    except oncall_selectors.BROKEN_SCHEDULE_ERRORS:
        # oncall_overview has already logged it and shows nobody on call.
        return {"until": None, "next_user": None, "next_from": None}
    until = None
    index = 0
    if current is not None:
        until = now
        while (
            index < len(shifts) and shifts[index].user == current and shifts[index].start <= until
        ):
            until = shifts[index].end
            index += 1
        if until >= now + LOOKAHEAD:
            until = None  # on call for as far as we look
    following = next((s for s in shifts[index:] if s.user is not None), None)
    return {
        "until": until,
        "next_user": following.user if following else None,
        "next_from": following.start if following else None,
    }


def oncall_now(now: datetime) -> dict:
    """The page's rows: the ``/api/incidents/oncall`` overview, plus each schedule's
    handover and next person, and admin links."""
    overview = oncall_overview(now)
    schedules = {s.pk: s for s in oncall_selectors.schedule_list()}
    handovers = {}
    for row in overview["schedules"]:
        current = row["user"]["id"] if row["user"] else None
        schedule = schedules.get(row["id"])
        if schedule is not None:
            handovers[row["id"]] = _handover(schedule, now, current)
    names = oncall_selectors.usernames(h["next_user"] for h in handovers.values())
    empty = {"until": None, "next_user": None, "next_from": None}
    return {
        "at": display_time(now),
        "time_zone": settings.TIME_ZONE,
        "schedules": [
            {
                "name": row["name"],
                "url": reverse("admin:oncall_schedule_change", args=[row["id"]]),
                "user": row["user"],
                "until": display_time(handovers.get(row["id"], empty)["until"]),
                "next": names.get(handovers.get(row["id"], empty)["next_user"]),
                "next_from": display_time(handovers.get(row["id"], empty)["next_from"]),
            }
            for row in overview["schedules"]
        ],
        "policies": [
            {
                "name": policy["name"],
                "url": reverse("admin:incidents_escalationpolicy_change", args=[policy["id"]]),
                "levels": [
                    {**level, "delay_text": _delay_text(level["delay"])}
                    for level in policy["levels"]
                ],
            }
            for policy in overview["escalation_policies"]
        ],
    }


def may_see(request) -> bool:
    """Staff who may view both schedules and escalation policies."""
    user = request.user
    return (
        user.is_active
        and user.is_staff
        and user.has_perm("oncall.view_schedule")
        and user.has_perm("incidents.view_escalationpolicy")
    )


class OncallNowView(View):
    """The page itself: a GET-only view (it writes nothing; anything else is 405)."""

    admin_site: admin.AdminSite = None
    http_method_names = ["get", "head", "options"]

    def get(self, request):
        if not may_see(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "On call now",
            **oncall_now(timezone.now()),
        }
        return TemplateResponse(request, "admin/oncall_now/page.html", context)


def oncall_now_view(site: admin.AdminSite):
    """The page's view for ``site``: anonymous visitors go to the admin login; anyone
    signed in without the permissions above gets 403 (not the login page)."""
    protected = site.admin_view(OncallNowView.as_view(admin_site=site))

    @wraps(protected)
    def view(request, *args, **kwargs):
        if request.user.is_authenticated and not may_see(request):
            raise PermissionDenied
        return protected(request, *args, **kwargs)

    return view


def link_from_schedule_list(site: admin.AdminSite) -> None:
    """Show the page's link on the schedule list too (oncall's admin cannot know of a page
    in incidents, so incidents points its changelist at a template carrying the link)."""
    schedule_admin = site.get_model_admin(Schedule)
    if schedule_admin.change_list_template is None:
        schedule_admin.change_list_template = CHANGE_LIST_TEMPLATE


def _delay_text(delay: str) -> str:
    """A level's delay (``oncall_overview`` gives it as text, ``0:05:00``) as people read
    it; the first level's is "at once"."""
    seconds = parse_duration(delay).total_seconds()
    return duration_text(seconds) if seconds else "at once"
