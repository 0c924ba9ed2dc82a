from django.db.models import BooleanField, Case, ExpressionWrapper, Q, QuerySet, When

from insights.models import Insight, InsightSeverity, InsightStatus, Report

SEVERITY_ORDER = (InsightSeverity.CRITICAL, InsightSeverity.WARNING, InsightSeverity.INFO)


def insight_list() -> QuerySet[Insight]:
    return Insight.objects.select_related("service")


def insights_top(limit: int) -> list[Insight]:
    """The most pressing open insights: critical first, then warning, then info, the
    most recently seen first within each."""
    severity_rank = Case(
        *(When(severity=severity, then=rank) for rank, severity in enumerate(SEVERITY_ORDER)),
        default=len(SEVERITY_ORDER),
    )
    return list(
        Insight.objects.filter(status=InsightStatus.OPEN)
        .select_related("service")
        .order_by(severity_rank, "-last_seen", "-pk")[:limit]
    )


def report_list() -> QuerySet[Report]:
    """Reports without their documents: a list never loads every PDF."""
    return (
        Report.objects.select_related("requested_by")
        .defer("html", "pdf")
        .annotate(has_html=ExpressionWrapper(~Q(html=""), output_field=BooleanField()))
    )
