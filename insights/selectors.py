from django.db.models import QuerySet

from insights.models import Insight


def insight_list() -> QuerySet[Insight]:
    return Insight.objects.select_related("service")
