"""The slo_budget rule: each SLO's newest evaluation decides; an exhausted budget (none
left, or breached) is critical, one at risk (the state, or under 25% left) a warning,
and a healthy or never-evaluated SLO says nothing."""

from datetime import UTC, datetime, timedelta

import pytest

from insights.rules import slo_budget
from observability import services
from observability.slo_math import Status
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 28, 10, 0, tzinfo=UTC)


def an_slo(name, service=None):
    return services.slo_create(
        service=service or ServiceFactory(name=f"{name} service"), name=name, target="99.9"
    )


def evaluated(slo, *, state, remaining, sli=0.9995, at=NOW):
    return services.slo_evaluation_store(
        slo=slo,
        status=Status(
            at=at,
            state=state,
            reason=None,
            sli=sli,
            good=(sli or 0) * 100_000,
            total=100_000,
            remaining_ratio=remaining,
            remaining_events=None,
            exhausted_at=None,
        ),
    )


def by_subject(findings):
    return {finding.subject: finding for finding in findings}


def test_exhausted_budgets_are_critical_and_low_ones_warnings():
    gone = an_slo("Availability")
    evaluated(gone, state="breached", remaining=-0.5, sli=0.9985)
    breached = an_slo("Breached")  # breached by state even with budget said left
    evaluated(breached, state="breached", remaining=0.1)
    low = an_slo("Latency")
    evaluated(low, state="met", remaining=0.2, sli=0.9998)
    risky = an_slo("Risky")
    evaluated(risky, state="at_risk", remaining=0.6)

    found = by_subject(slo_budget.find(NOW))

    assert set(found) == {f"slo:{s.pk}" for s in (gone, breached, low, risky)}
    critical = found[f"slo:{gone.pk}"]
    assert critical.severity == "critical"
    assert critical.title == "Availability service Availability: error budget exhausted"
    assert critical.figures == {
        "state": "breached",
        "budget_remaining_percent": -50.0,
        "sli_percent": 99.85,
        "target_percent": 99.9,
    }
    assert critical.service_id == gone.service_id
    assert critical.evidence == (
        ("SLO", f"/admin/observability/slo/{gone.pk}/change/"),
        ("SLO status", f"/api/slos/{gone.pk}/status"),
    )
    assert found[f"slo:{breached.pk}"].severity == "critical"
    warning = found[f"slo:{low.pk}"]
    assert warning.severity == "warning"
    assert warning.title == "Latency service Latency: error budget at risk (20% left)"
    assert warning.figures == {
        "state": "met",
        "budget_remaining_percent": 20.0,
        "sli_percent": 99.98,
        "target_percent": 99.9,
    }
    assert found[f"slo:{risky.pk}"].severity == "warning"
    assert found[f"slo:{risky.pk}"].figures["budget_remaining_percent"] == 60.0
    assert all(finding.recommendation for finding in found.values())


def test_exactly_zero_left_is_exhausted():
    slo = an_slo("Zero")
    evaluated(slo, state="at_risk", remaining=0.0)

    [finding] = slo_budget.find(NOW)

    assert finding.severity == "critical"
    assert finding.figures["budget_remaining_percent"] == 0.0


def test_healthy_unknown_and_unevaluated_slos_and_old_evaluations_say_nothing():
    recovered = an_slo("Recovered")
    evaluated(recovered, state="breached", remaining=-1, at=NOW - timedelta(hours=1))
    evaluated(recovered, state="met", remaining=0.8)  # the newest decides
    edge = an_slo("Edge")
    evaluated(edge, state="met", remaining=0.25)  # exactly a quarter: not under it
    quiet = an_slo("Quiet")
    evaluated(quiet, state="unknown", remaining=None, sli=None)
    an_slo("Never evaluated")

    assert slo_budget.find(NOW) == []
