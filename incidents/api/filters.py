import django_filters
from django.db.models import Q

from core.api.fields import FilterSet, IsoDateTimeFilter, StrictBooleanFilter
from incidents import selectors
from incidents.models import (
    ActionItem,
    ActionItemPriority,
    ActionItemStatus,
    Incident,
    IncidentSeverity,
    IncidentSource,
    IncidentStatus,
    PostIncidentReview,
    ReviewStatus,
)
from incidents.models.incidents import OPEN_STATUSES

# Ids are 64-bit; a larger number names nothing (and would overflow the database's int).
MAX_ID = 2**63 - 1
NOTHING = Q(pk__in=[])


def as_id(value: str) -> int | None:
    """``value`` as a row id if it is one written in ASCII digits, else None. Not
    ``str.isdigit()``: it accepts "²" and "١٢", which ``int()`` refuses or reads."""
    if not (value.isascii() and value.isdecimal()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def _id_or_slug(prefix: str, value: str) -> Q:
    if value.isascii() and value.isdecimal():
        number = as_id(value)
        return Q(**{f"{prefix}_id": number}) if number is not None else NOTHING
    return Q(**{f"{prefix}__slug": value})


def _person(prefix: str, value: str, request) -> Q:
    """A person named by id, username or ``me`` (the requesting user)."""
    if value == "me":
        return Q(**{prefix: request.user})
    if value.isascii() and value.isdecimal():
        number = as_id(value)
        return Q(**{f"{prefix}__id": number}) if number is not None else NOTHING
    return Q(**{f"{prefix}__username": value})


class IncidentFilter(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices)
    severity = django_filters.MultipleChoiceFilter(choices=IncidentSeverity.choices)
    source = django_filters.MultipleChoiceFilter(choices=IncidentSource.choices)
    service = django_filters.CharFilter(method="filter_service", help_text="Id or slug.")
    team = django_filters.CharFilter(method="filter_team", help_text="Id or slug.")
    assignee = django_filters.CharFilter(
        method="filter_assignee", help_text="A user id, a username, or `me`."
    )
    triggered_after = IsoDateTimeFilter(field_name="triggered_at", lookup_expr="gte")
    triggered_before = IsoDateTimeFilter(field_name="triggered_at", lookup_expr="lt")
    open = StrictBooleanFilter(
        method="filter_open", help_text="true: triggered, acknowledged or mitigated."
    )
    q = django_filters.CharFilter(
        method="filter_text", help_text="Text in title, summary or service name; or INC-42."
    )

    class Meta:
        model = Incident
        fields = ["status", "severity", "source", "dedup_key"]

    def filter_service(self, queryset, name, value):
        return queryset.filter(_id_or_slug("service", value))

    def filter_team(self, queryset, name, value):
        return queryset.filter(_id_or_slug("service__team", value))

    def filter_assignee(self, queryset, name, value):
        return queryset.filter(_person("assignees", value, self.request))

    def filter_open(self, queryset, name, value):
        condition = Q(status__in=OPEN_STATUSES)
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_text(self, queryset, name, value):
        return selectors.incident_search(queryset, value)


class ActionItemFilter(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ActionItemStatus.choices)
    priority = django_filters.MultipleChoiceFilter(choices=ActionItemPriority.choices)
    owner = django_filters.CharFilter(
        method="filter_owner", help_text="A user id, a username, or `me`."
    )
    overdue = StrictBooleanFilter(
        method="filter_overdue", help_text="true: not done or won't do, and past its due date."
    )
    service = django_filters.CharFilter(method="filter_service", help_text="Id or slug.")
    team = django_filters.CharFilter(method="filter_team", help_text="Id or slug.")
    review = django_filters.NumberFilter(field_name="review_id", min_value=1, max_value=MAX_ID)

    class Meta:
        model = ActionItem
        fields = ["status", "priority"]

    def filter_owner(self, queryset, name, value):
        return queryset.filter(_person("owner", value, self.request))

    def filter_overdue(self, queryset, name, value):
        overdue = selectors.action_items_overdue(queryset)
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))

    def filter_service(self, queryset, name, value):
        return queryset.filter(_id_or_slug("review__incident__service", value))

    def filter_team(self, queryset, name, value):
        return queryset.filter(_id_or_slug("review__incident__service__team", value))


class ReviewFilter(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ReviewStatus.choices)
    incident = django_filters.NumberFilter(field_name="incident_id", min_value=1, max_value=MAX_ID)
    facilitator = django_filters.CharFilter(
        method="filter_facilitator", help_text="A user id, a username, or `me`."
    )
    overdue = StrictBooleanFilter(
        method="filter_overdue", help_text="true: not published and past its due date."
    )
    service = django_filters.CharFilter(method="filter_service", help_text="Id or slug.")
    team = django_filters.CharFilter(method="filter_team", help_text="Id or slug.")

    class Meta:
        model = PostIncidentReview
        fields = ["status"]

    def filter_facilitator(self, queryset, name, value):
        return queryset.filter(_person("facilitator", value, self.request))

    def filter_overdue(self, queryset, name, value):
        overdue = selectors.reviews_overdue(queryset)
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))

    def filter_service(self, queryset, name, value):
        return queryset.filter(_id_or_slug("incident__service", value))

    def filter_team(self, queryset, name, value):
        return queryset.filter(_id_or_slug("incident__service__team", value))
