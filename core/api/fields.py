"""Input fields that take what the schema says and nothing else.

DRF's text fields turn a number into its string (``{"name": 0}`` becomes ``"0"``) and
django-filter's boolean filter ignores a value it cannot read; both then answer 2xx to a
request the OpenAPI schema calls invalid. These refuse it with 400 instead."""

from datetime import UTC, timedelta

import django_filters
from django import forms
from django.db import models
from rest_framework import serializers

# The largest UTC offset in use (UTC+14, Line Islands).
MAX_OFFSET = timedelta(hours=14)


class _StrictText:
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(_StrictText, serializers.CharField):
    pass


class StrictEmailField(_StrictText, serializers.EmailField):
    pass


class StrictURLField(_StrictText, serializers.URLField):
    pass


class StrictSlugField(_StrictText, serializers.SlugField):
    pass


class ModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose text fields accept only strings."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.EmailField: StrictEmailField,
        models.URLField: StrictURLField,
    }


class StrictBooleanField(forms.Field):
    """``true``/``false`` (or ``1``/``0``); empty is "not filtered"; anything else is an error."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise forms.ValidationError("Use true or false.", code="invalid") from None

    def validate(self, value):
        pass  # None (empty) is allowed


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO-8601 time within 1970-2199, in UTC: an offset such as +20:38 or a year such
    as 1139 is valid ISO-8601 that PostgreSQL refuses (a 500, not a 400)."""

    def clean(self, value):
        at = super().clean(value)
        if at is None:
            return None
        if not 1970 <= at.year < 2200 or (at.tzinfo and abs(at.utcoffset()) > MAX_OFFSET):
            raise forms.ValidationError("A time between 1970 and 2199, offset at most 14 hours.")
        return at.astimezone(UTC) if at.tzinfo else at


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class FilterSet(django_filters.rest_framework.FilterSet):
    """The project's filter sets: boolean fields filter strictly."""

    FILTER_DEFAULTS = {
        **django_filters.rest_framework.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }


class FilterBackend(django_filters.rest_framework.DjangoFilterBackend):
    """DjangoFilterBackend building ``filterset_fields`` filter sets on ``FilterSet``."""

    filterset_base = FilterSet


class AskedFilterBackend(FilterBackend):
    """``FilterBackend`` that builds the filter set only when the request names one of
    its filters. A filter given no value passes the queryset through unchanged, so a
    request naming none gets the same answer; building the filter set (its form, and
    for ``filterset_fields`` a new FilterSet class) is a sizeable part of a list page's
    time. Only for views whose filter sets have no required filter: with one, an
    unfiltered request is a 400."""

    def filter_queryset(self, request, queryset, view):
        names = self._filter_names(view)
        params = request.query_params
        if names and not any(param.startswith(name) for param in params for name in names):
            return queryset
        return super().filter_queryset(request, queryset, view)

    @staticmethod
    def _filter_names(view) -> list[str]:
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is not None:
            return list(filterset_class.base_filters)
        # A filter built from filterset_fields is named after its field, perhaps with a
        # lookup after it (``received_at__gte``): the field's name begins the parameter.
        return list(getattr(view, "filterset_fields", None) or ())


class BoundedDateTimeField(serializers.DateTimeField):
    """A serializer's ISO-8601 time within 1970-2199, offset at most 14 hours, in UTC
    (the body's counterpart of ``BoundedIsoDateTimeField``)."""

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="ISO-8601")
        at = super().to_internal_value(value)
        if not 1970 <= at.year < 2200 or abs(at.utcoffset()) > MAX_OFFSET:
            raise serializers.ValidationError(
                "A time between 1970 and 2199, offset at most 14 hours."
            )
        return at.astimezone(UTC)
