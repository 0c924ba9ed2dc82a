"""SLO arithmetic against hand-computed figures (../shared/SLO.md)."""

from datetime import UTC, datetime, timedelta

import pytest

from observability.slo_math import ALERT_ROWS, bucket_minute, evaluate, period_minutes

AT = datetime(2026, 6, 28, 10, 0, tzinfo=UTC)


def counts(slo=(999_500, 1_000_000), **windows):
    """Every burn window quiet (no errors) unless given."""
    base = dict.fromkeys(("5m", "30m", "1h", "2h", "6h", "1d", "3d"), (1000.0, 1000.0))
    base.update(windows)
    base["slo"] = slo
    return base


def test_the_30_day_thresholds_are_the_workbooks():
    assert [round(row.threshold(30 * 1440), 6) for row in ALERT_ROWS] == [14.4, 6, 3, 1]


def test_28_days_keeps_the_windows_and_scales_the_rates_as_sloth_does():
    assert [round(row.threshold(28 * 1440), 6) for row in ALERT_ROWS] == [
        13.44,
        5.6,
        2.8,
        round(28 / 30, 6),
    ]


def test_a_calendar_month_is_as_long_as_its_month():
    assert period_minutes("calendar_month", datetime(2026, 2, 10, tzinfo=UTC)) == 28 * 1440
    assert period_minutes("calendar_month", datetime(2026, 7, 10, tzinfo=UTC)) == 31 * 1440


@pytest.mark.parametrize(
    ("at", "minute"),
    [
        (datetime(2026, 6, 28, 10, 0, 0, tzinfo=UTC), 0),
        (datetime(2026, 6, 28, 10, 0, 0, 1, tzinfo=UTC), 1),
        (datetime(2026, 6, 28, 10, 0, 59, tzinfo=UTC), 1),
        (datetime(2026, 6, 28, 10, 1, 0, tzinfo=UTC), 1),
    ],
)
def test_an_event_counts_in_its_minute_rounded_up(at, minute):
    assert bucket_minute(at) - bucket_minute(datetime(2026, 6, 28, 10, 0, tzinfo=UTC)) == minute


def test_sli_budget_and_burn_by_hand():
    # 99.9% over 30 days: 1,000,000 events allow 1,000 bad; 500 were bad.
    status = evaluate(
        counts=counts(**{"1h": (9_800, 10_000), "5m": (980, 1_000)}),
        objective=0.999,
        window="30d",
        at=AT,
    )

    assert status.sli == pytest.approx(0.9995)
    assert status.remaining_ratio == pytest.approx(0.5)
    assert status.remaining_events == pytest.approx(500)
    assert status.burn_rates["1h"] == pytest.approx(20)  # 2% errors / 0.1% budget
    assert status.burn_rates["5m"] == pytest.approx(20)
    assert status.burn_rates["6h"] == 0
    # 200 bad an hour: the 500 left last 150 minutes.
    assert status.exhausted_at == AT + timedelta(minutes=150)
    assert status.page is True
    assert status.state == "at_risk"  # met so far, but a page fires


def test_both_windows_must_burn():
    only_long = evaluate(
        counts=counts(**{"1h": (9_800, 10_000)}), objective=0.999, window="30d", at=AT
    )
    assert not only_long.page
    assert only_long.state == "met"


def test_a_firing_page_silences_the_ticket():
    burning = dict.fromkeys(("5m", "30m", "1h", "2h", "6h", "1d", "3d"), (9800, 10000))
    status = evaluate(counts=counts(**burning), objective=0.999, window="30d", at=AT)

    assert status.page
    assert not status.ticket
    assert {row.severity for row in status.firing_rows} == {"page", "ticket"}


def test_a_slow_burn_is_a_ticket():
    # 0.4% errors: burn 4 > 3 over 1d and 2h, below the page rates.
    slow = {"1d": (99_600, 100_000), "2h": (9_960, 10_000)}
    status = evaluate(counts=counts(**slow), objective=0.999, window="30d", at=AT)

    assert (status.page, status.ticket) == (False, True)


def test_the_traffic_guard_keeps_a_quiet_service_from_paging():
    # One failed request of 20 in the last hour: burn 50, but 20 events an hour.
    quiet = {"1h": (19, 20), "5m": (1, 2)}
    loud = evaluate(counts=counts(**quiet), objective=0.999, window="30d", at=AT)
    guarded = evaluate(
        counts=counts(**quiet), objective=0.999, window="30d", at=AT, min_events_per_hour=20
    )

    assert loud.page
    assert not guarded.page  # 20 an hour is not above a guard of 20


def test_a_rate_between_the_28_and_30_day_thresholds_pages_only_for_28_days():
    # 1.4% errors at 99.9%: burn 14, above 13.44 and below 14.4.
    burning = {"1h": (9_860, 10_000), "5m": (986, 1_000)}

    assert evaluate(counts=counts(**burning), objective=0.999, window="28d", at=AT).page
    assert not evaluate(counts=counts(**burning), objective=0.999, window="30d", at=AT).page


def test_breached_and_unknown():
    breached = evaluate(
        counts=counts(slo=(998_000, 1_000_000)), objective=0.999, window="30d", at=AT
    )
    nothing = evaluate(counts=counts(slo=(0, 0)), objective=0.999, window="30d", at=AT)

    assert breached.state == "breached"
    assert breached.remaining_ratio == pytest.approx(-1)
    assert nothing.state == "unknown"
    assert nothing.reason
