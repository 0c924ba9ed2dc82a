from datetime import timedelta

from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.admin_writes import ServiceWritesAdmin
from observability import services
from observability.models import SLO, SLOEvaluation, SLOSource
from observability.slo_math import BURN_WINDOWS, Status, unknown

STATE_COLOURS = {
    "met": "#15803d",
    "at_risk": "#c2410c",
    "breached": "#b91c1c",
    "unknown": "#4b5563",
}


def _latest(field):
    newest = SLOEvaluation.objects.filter(slo=OuterRef("pk")).order_by("-at")
    return Subquery(newest.values(field)[:1])


def _state_badge(state):
    state = state or "unknown"
    return format_html(
        '<span style="background:{};color:#fff;padding:2px 8px;border-radius:10px;'
        'font-weight:600;white-space:nowrap">{}</span>',
        STATE_COLOURS.get(state, "#4b5563"),
        state.replace("_", " "),
    )


def _budget_bar(ratio):
    if ratio is None:
        return "—"
    shown = max(0.0, min(ratio, 1.0))
    colour = "#15803d" if ratio >= 0.5 else "#c2410c" if ratio >= 0.25 else "#b91c1c"
    return format_html(
        '<span style="display:inline-block;width:120px;height:10px;background:#e5e7eb;'
        'border-radius:5px;vertical-align:middle;overflow:hidden">'
        '<span style="display:block;height:10px;width:{}px;background:{}"></span></span>'
        " {}",
        round(shown * 120),
        colour,
        f"{ratio:.0%}",
    )


def _budget_chart(points) -> str:
    """The budget remaining over time as an inline SVG line (0% at the bottom, 100% at
    the top; a red line marks 0)."""
    if len(points) < 2:
        return "Not enough evaluations yet."
    width, height = 600, 120
    first, last = points[0][0], points[-1][0]
    span = max((last - first).total_seconds(), 1)
    low = min(0.0, min(value for _, value in points))
    high = max(1.0, max(value for _, value in points))

    def y(value):
        return round(height - (value - low) / (high - low) * height, 1)

    coordinates = " ".join(
        f"{round((at - first).total_seconds() / span * width, 1)},{y(value)}"
        for at, value in points
    )
    return format_html(
        '<svg width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
        'aria-label="Error budget remaining, last 30 days" style="background:#f8fafc;'
        'border:1px solid #e5e7eb"><line x1="0" x2="{}" y1="{}" y2="{}" stroke="#b91c1c" '
        'stroke-dasharray="4 3"/><polyline fill="none" stroke="#417690" stroke-width="2" '
        'points="{}"/></svg><br><small>{} to {} · top {}, dashed line 0%</small>',
        width,
        height,
        width,
        height,
        width,
        y(0),
        y(0),
        coordinates,
        f"{first:%Y-%m-%d}",
        f"{last:%Y-%m-%d %H:%M}",
        f"{high:.0%}",
    )


@admin.register(SLO)
class SLOAdmin(ServiceWritesAdmin):
    list_display = (
        "name",
        "service",
        "target",
        "window",
        "state",
        "sli",
        "budget",
        "alerting",
    )
    list_filter = ("window", "source", "alerting", "service__team", "service")
    search_fields = ("name", "description", "service__name")
    autocomplete_fields = ("service",)
    readonly_fields = ("current_status", "budget_history")
    fieldsets = [
        (None, {"fields": ("service", "name", "description", "target", "window")}),
        ("Status", {"fields": ("current_status", "budget_history")}),
        (
            "Measurement",
            {
                "fields": (
                    "sli_kind",
                    "latency_threshold_ms",
                    "budgeting_method",
                    "slice_minutes",
                    "slice_target",
                    "source",
                    "prometheus_url",
                    "good_query",
                    "total_query",
                )
            },
        ),
        (
            "Alerting",
            {
                "fields": (
                    "alerting",
                    "min_events_per_hour",
                    "page_severity",
                    "ticket_severity",
                    "runbook_url",
                )
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("service")
            .annotate(
                latest_state=_latest("state"),
                latest_sli=_latest("sli"),
                latest_budget=_latest("budget_remaining"),
            )
        )

    @admin.display(description="state")
    def state(self, slo):
        return _state_badge(slo.latest_state)

    @admin.display(description="SLI")
    def sli(self, slo):
        return "—" if slo.latest_sli is None else f"{slo.latest_sli:.4%}"

    @admin.display(description="budget remaining")
    def budget(self, slo):
        return _budget_bar(slo.latest_budget)

    @admin.display(description="now")
    def current_status(self, slo):
        if not slo.pk:
            return "Evaluated once saved."
        if slo.source != SLOSource.INTERNAL:
            # Asking Prometheus is network I/O, and this page runs in a transaction: show
            # the evaluation beat stored last instead.
            latest = slo.evaluations.order_by("-at").first()
            if latest is None:
                return "Not evaluated yet (beat evaluates every SLO each minute)."
            status = unknown(latest.at, latest.reason) if latest.state == "unknown" else None
            if status is None:
                status = Status(
                    at=latest.at,
                    state=latest.state,
                    reason=None,
                    sli=latest.sli,
                    good=latest.good,
                    total=latest.total,
                    remaining_ratio=latest.budget_remaining,
                    remaining_events=None,
                    exhausted_at=None,
                    burn_rates=latest.burn_rates,
                    page=latest.page,
                    ticket=latest.ticket,
                )
        else:
            status = services.slo_status(slo)
        rows = [
            ("State", _state_badge(status.state)),
            ("Reason", status.reason or "—"),
            ("SLI", "—" if status.sli is None else f"{status.sli:.5%}"),
            ("Budget remaining", _budget_bar(status.remaining_ratio)),
            (
                "Budget runs out",
                f"{status.exhausted_at:%Y-%m-%d %H:%M} UTC" if status.exhausted_at else "—",
            ),
            (
                "Alerts",
                f"page {'firing' if status.page else 'quiet'}, ticket "
                f"{'firing' if status.ticket else 'quiet'}",
            ),
        ]
        burn = format_html_join(
            "",
            "<th>{}</th>",
            ((key,) for key in BURN_WINDOWS),
        )
        values = format_html_join(
            "",
            "<td>{}</td>",
            (
                ("—" if status.burn_rates.get(key) is None else f"{status.burn_rates[key]:.2f}",)
                for key in BURN_WINDOWS
            ),
        )
        return format_html(
            "<table>{}</table><p>Burn rates (1 = spending the budget exactly over the window)"
            "</p><table><tr>{}</tr><tr>{}</tr></table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
            burn,
            values,
        )

    @admin.display(description="error budget, last 30 days")
    def budget_history(self, slo):
        if not slo.pk:
            return "—"
        since = timezone.now() - timedelta(days=30)
        points = [
            (at, value)
            for at, value in slo.evaluations.filter(at__gte=since, at__minute=0)
            .exclude(budget_remaining=None)
            .order_by("at")
            .values_list("at", "budget_remaining")
        ]
        return _budget_chart(points)

    def create(self, request, data, parent=None):
        return services.slo_create(**data)

    def update(self, request, instance, data):
        return services.slo_update(slo=instance, **data)

    def delete(self, request, instance):
        services.slo_delete(slo=instance)
