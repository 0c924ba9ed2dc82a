"""Every report kind: a module with ``TEMPLATE`` and ``build(period, params)``."""

from types import ModuleType

from insights.models import ReportKind
from insights.reports.kinds import executive, incidents, performance, slo, trend, usage

KINDS: dict[str, ModuleType] = {
    ReportKind.EXECUTIVE: executive,
    ReportKind.PERFORMANCE: performance,
    ReportKind.TREND: trend,
    ReportKind.USAGE: usage,
    ReportKind.INCIDENTS: incidents,
    ReportKind.SLO: slo,
}


def kind_module(kind: str) -> ModuleType:
    return KINDS[kind]
