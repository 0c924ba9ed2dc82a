"""The analytics demo over a database the platform has already counted usage in. What the
demo writes over an empty one is in tests/demo/test_analytics.py."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.db.models import Sum
from django.utils import timezone

from analytics import demo_usage, services
from analytics.models import RouteUsage

pytestmark = pytest.mark.django_db


def test_usage_already_counted_by_the_platform_is_kept_as_it_is():
    services.usage_counts_add(
        routes={(datetime(2026, 11, 23, 10, tzinfo=UTC), "api/incidents", "GET", 4): (3, 0, 0, 30)},
        active=set(),
        features={},
    )
    out = StringIO()

    demo_usage.seed(stdout=out, now=timezone.now())

    assert "usage counts: kept" in out.getvalue()
    assert RouteUsage.objects.aggregate(n=Sum("requests"))["n"] == 3
