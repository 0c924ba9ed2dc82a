"""GET /api/analytics/compare: each period's count, mean, median, p95 and stdev, the
change of the mean, Welch's t-test and the Mann-Whitney U test, each checked against a
computation done here by hand:

- the summaries from sorted lists and sums (p95 by linear interpolation between order
  statistics, numpy's default, written out);
- Welch's t from the means and sample variances, its degrees of freedom by
  Welch-Satterthwaite, p = 2 * scipy.stats.t.sf(|t|, df);
- U by counting the pairs (x from a, y from b) with x > y, ties counting one half;
- the Mann-Whitney p-value two ways, by sample size: for small samples without ties the
  EXACT p by enumerating every way of splitting the pooled ranks into the two groups
  (what scipy's 'auto' picks when a sample has at most 8 values and nothing is tied);
  for larger samples, or with ties, the normal approximation written out with the tie
  correction of the variance and the continuity correction (scipy's 'asymptotic').

Periods select samples by [start, end); the MTTR of this month against last month goes
through the built-in vigil_mttr_seconds over incidents resolved with known durations."""

import itertools
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.utils import timezone
from scipy import stats

from analytics import builtin
from incidents.services import incident_resolve
from tests.factories import ServiceFactory, open_incident

pytestmark = pytest.mark.django_db

URL = "/api/analytics/compare"
SAMPLES = "/api/metrics/samples"
A_START = datetime(2026, 5, 4, tzinfo=UTC)
A_END = B_START = datetime(2026, 5, 11, tzinfo=UTC)
B_END = datetime(2026, 5, 18, tzinfo=UTC)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def periods(a_start=A_START, a_end=A_END, b_start=B_START, b_end=B_END) -> dict:
    return {
        "a_start": iso(a_start),
        "a_end": iso(a_end),
        "b_start": iso(b_start),
        "b_end": iso(b_end),
    }


def post_series(client, metric, labels, samples):
    rows = [
        {"metric": metric, "labels": labels, "timestamp": iso(at), "value": value}
        for at, value in samples
    ]
    response = client.post(SAMPLES, {"samples": rows}, format="json")
    assert response.status_code == 201, response.json()


def spread(start: datetime, end: datetime, values) -> list[tuple[datetime, float]]:
    """The values at distinct times strictly inside (start, end)."""
    step = (end - start) / (len(values) + 1)
    return [(start + step * (i + 1), value) for i, value in enumerate(values)]


# --- the independent computations -----------------------------------------------------


def describe_by_hand(values) -> dict:
    n = len(values)
    if n == 0:
        return {"count": 0, "mean": None, "median": None, "p95": None, "stdev": None}
    ordered = sorted(values)
    mean = sum(values) / n
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    rank = (n - 1) * 0.95
    low = math.floor(rank)
    high = min(low + 1, n - 1)
    p95 = ordered[low] + (rank - low) * (ordered[high] - ordered[low])
    stdev = math.sqrt(sum((x - mean) ** 2 for x in values) / (n - 1)) if n > 1 else None
    return {"count": n, "mean": mean, "median": median, "p95": p95, "stdev": stdev}


def welch_by_hand(a, b) -> tuple[float, float]:
    a, b = np.asarray(a, float), np.asarray(b, float)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    t = (a.mean() - b.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return float(t), float(2 * stats.t.sf(abs(t), df))


def u_by_counting(a, b) -> float:
    return sum(1.0 if x > y else 0.5 if x == y else 0.0 for x in a for y in b)


def mann_whitney_exact_p(a, b) -> float:
    """Two-sided exact p (no ties): every split of the pooled ranks into groups of len(a)
    and len(b) is equally likely under H0; p = 2 * the smaller tail at the observed U."""
    pooled = sorted(a + b)
    assert len(set(pooled)) == len(pooled), "the exact test here assumes no ties"
    ranks_of_a = [pooled.index(x) + 1 for x in a]
    n1 = len(a)
    observed = sum(ranks_of_a) - n1 * (n1 + 1) / 2
    us = [
        sum(chosen) - n1 * (n1 + 1) / 2
        for chosen in itertools.combinations(range(1, len(pooled) + 1), n1)
    ]
    lower = sum(1 for u in us if u <= observed) / len(us)
    upper = sum(1 for u in us if u >= observed) / len(us)
    return min(1.0, 2 * min(lower, upper))


def mann_whitney_normal_p(a, b) -> float:
    """Two-sided p of the normal approximation with the tie correction of the variance
    and the continuity correction."""
    n1, n2 = len(a), len(b)
    n = n1 + n2
    u = u_by_counting(a, b)
    mu = n1 * n2 / 2
    pooled = a + b
    ties = sum(c**3 - c for c in (pooled.count(value) for value in set(pooled)))
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    z = (abs(u - mu) - 0.5) / sigma
    return float(min(1.0, 2 * stats.norm.sf(z)))


def assert_period(got: dict, values, start: datetime, end: datetime):
    expected = describe_by_hand(values)
    assert got["count"] == expected["count"]
    for key in ("mean", "median", "p95", "stdev"):
        if expected[key] is None:
            assert got[key] is None, key
        else:
            assert got[key] == pytest.approx(expected[key], rel=1e-12), key
    assert got["start"] == iso(start)
    assert got["end"] == iso(end)


# --- fixtures: one metric, three cases by label ---------------------------------------

# Latencies in ms, distinct: b is slower. More than 8 in each: the normal approximation.
LATENCY_A = [
    101.5, 98.25, 110.75, 95.5, 104.0, 99.75, 107.25, 93.0, 102.5, 100.125, 96.875, 105.5,
]  # fmt: skip
LATENCY_B = [
    118.5, 109.25, 121.0, 112.75, 125.5, 108.0, 116.25, 119.875, 111.5, 127.0, 114.25,
    122.625, 106.5, 130.0, 117.125,
]  # fmt: skip
# Small and distinct: the exact distribution. Not significantly different.
SMALL_A = [3.1, 5.2, 4.4, 6.0, 2.9]
SMALL_B = [4.1, 3.3, 5.8, 4.9, 2.5, 6.3]
# Integers with many ties, 30 each: the normal approximation with the tie correction.
TIES_A = [int(x) for x in np.random.default_rng(5).integers(1, 8, 30)]
TIES_B = [int(x) for x in np.random.default_rng(6).integers(3, 10, 30)]


@pytest.fixture
def latency(manager):
    edge_a = 100.0  # exactly at a's start: in a
    edge_b = 120.0  # exactly at a's end, which is b's start: in b, not in a
    samples = [
        (A_START - timedelta(seconds=1), 10_000.0),  # before a: in neither
        (A_START, edge_a),
        *spread(A_START, A_END, LATENCY_A),
        (B_START, edge_b),
        *spread(B_START, B_END, LATENCY_B),
        (B_END, 10_000.0),  # at b's end: in neither
    ]
    post_series(manager, "checkout_latency_ms", {}, samples)
    post_series(
        manager,
        "checkout_latency_ms",
        {"case": "small"},
        spread(A_START, A_END, SMALL_A) + spread(B_START, B_END, SMALL_B),
    )
    post_series(
        manager,
        "checkout_latency_ms",
        {"case": "ties"},
        spread(A_START, A_END, [float(x) for x in TIES_A])
        + spread(B_START, B_END, [float(x) for x in TIES_B]),
    )
    return [edge_a, *LATENCY_A], [edge_b, *LATENCY_B]


def compare(client, **params):
    return client.get(URL, params)


# --- the figures ------------------------------------------------------------------------


def test_each_figure_against_its_hand_computation(viewer, latency):
    a, b = latency

    response = compare(viewer, metric="checkout_latency_ms", **periods())

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["metric"] == "checkout_latency_ms"
    assert body["labels"] == {}
    # [start, end): the samples at a's start and at b's start count, those before a's
    # start, at a's end (for a) and at b's end do not.
    assert_period(body["a"], a, A_START, A_END)
    assert_period(body["b"], b, B_START, B_END)
    assert body["a"]["count"] == len(LATENCY_A) + 1
    assert body["b"]["count"] == len(LATENCY_B) + 1

    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    assert body["change_percent"] == pytest.approx((mean_b - mean_a) / mean_a * 100, rel=1e-12)

    t, p = welch_by_hand(a, b)
    assert body["welch"]["t"] == pytest.approx(t, rel=1e-9)
    assert body["welch"]["p_value"] == pytest.approx(p, rel=1e-6)

    assert min(len(a), len(b)) > 8  # the normal approximation
    assert body["mann_whitney"]["u"] == u_by_counting(a, b)
    assert body["mann_whitney"]["p_value"] == pytest.approx(mann_whitney_normal_p(a, b), rel=1e-9)

    assert p < 0.05
    assert body["significant"] is True


def test_small_samples_without_ties_get_the_exact_mann_whitney_p(viewer, latency):
    body = compare(viewer, metric="checkout_latency_ms", labels="case=small", **periods()).json()

    assert body["labels"] == {"case": "small"}
    assert_period(body["a"], SMALL_A, A_START, A_END)
    assert_period(body["b"], SMALL_B, B_START, B_END)
    assert body["mann_whitney"]["u"] == u_by_counting(SMALL_A, SMALL_B)
    exact = mann_whitney_exact_p(SMALL_A, SMALL_B)
    assert body["mann_whitney"]["p_value"] == pytest.approx(exact, rel=1e-9)
    # ... and not the normal approximation, which differs here.
    assert abs(exact - mann_whitney_normal_p(SMALL_A, SMALL_B)) > 1e-3
    t, p = welch_by_hand(SMALL_A, SMALL_B)
    assert body["welch"]["t"] == pytest.approx(t, rel=1e-9)
    assert body["welch"]["p_value"] == pytest.approx(p, rel=1e-6)
    assert p > 0.05
    assert exact > 0.05
    assert body["significant"] is False


def test_ties_get_the_tie_corrected_normal_approximation(viewer, latency):
    body = compare(viewer, metric="checkout_latency_ms", labels="case=ties", **periods()).json()

    a, b = [float(x) for x in TIES_A], [float(x) for x in TIES_B]
    assert len(set(a + b)) < len(a + b)  # the premise: ties
    assert_period(body["a"], a, A_START, A_END)
    assert_period(body["b"], b, B_START, B_END)
    assert body["mann_whitney"]["u"] == u_by_counting(a, b)
    assert body["mann_whitney"]["p_value"] == pytest.approx(mann_whitney_normal_p(a, b), rel=1e-9)
    t, p = welch_by_hand(a, b)
    assert body["welch"]["t"] == pytest.approx(t, rel=1e-9)
    assert body["welch"]["p_value"] == pytest.approx(p, rel=1e-6, abs=1e-300)
    assert body["significant"] is (p < 0.05 or mann_whitney_normal_p(a, b) < 0.05)


def test_the_exact_p_of_a_textbook_case(viewer, manager):
    # a entirely below b, 4 against 4: U = 0, and only 1 of the C(8, 4) = 70 splits is as
    # extreme on each side, so p = 2/70.
    a, b = [1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]
    post_series(manager, "textbook", {}, spread(A_START, A_END, a) + spread(B_START, B_END, b))

    body = compare(viewer, metric="textbook", **periods()).json()

    assert body["mann_whitney"] == {"u": 0.0, "p_value": pytest.approx(2 / 70, rel=1e-12)}
    assert body["significant"] is True


def test_a_zero_baseline_mean_has_no_change_percent(viewer, manager):
    a, b = [-1.0, 1.0, 0.0, -2.0, 2.0], [3.0, 4.0, 5.0]
    post_series(manager, "balance", {}, spread(A_START, A_END, a) + spread(B_START, B_END, b))

    body = compare(viewer, metric="balance", **periods()).json()

    assert body["a"]["mean"] == 0.0
    assert body["change_percent"] is None
    t, p = welch_by_hand(a, b)  # the tests still run
    assert body["welch"]["t"] == pytest.approx(t, rel=1e-9)
    assert body["welch"]["p_value"] == pytest.approx(p, rel=1e-6)


def test_an_empty_period_has_counts_of_zero_and_no_tests(viewer, latency):
    empty = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 8, tzinfo=UTC))

    body = compare(
        viewer, metric="checkout_latency_ms", **periods(a_start=empty[0], a_end=empty[1])
    ).json()

    assert body["a"] == {
        "start": iso(empty[0]),
        "end": iso(empty[1]),
        "count": 0,
        "mean": None,
        "median": None,
        "p95": None,
        "stdev": None,
    }
    assert body["change_percent"] is None
    assert body["welch"] == {"t": None, "p_value": None}
    assert body["mann_whitney"] == {"u": None, "p_value": None}
    assert body["significant"] is False


# --- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["metric", "a_start", "a_end", "b_start", "b_end"])
def test_each_missing_parameter_is_a_400_naming_it(viewer, missing):
    params = {"metric": "checkout_latency_ms", **periods()}
    params.pop(missing)

    response = compare(viewer, **params)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert missing in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        (periods(a_start=A_END, a_end=A_START), "a_start"),
        (periods(b_start=B_END), "b_start"),
        (periods(a_start=datetime(2024, 1, 1, tzinfo=UTC)), "a_start"),  # over 400 days
        ({**periods(), "b_end": "next tuesday"}, "b_end"),
        ({**periods(), "a_end": "2026-02-30"}, "a_end"),  # well formed, no such day
        ({**periods(), "b_start": "2026-05-11T24:30:00Z"}, "b_start"),
        ({**periods(), "labels": "case"}, "labels"),
    ],
)
def test_bad_periods_and_labels_are_a_400(viewer, params, field):
    response = compare(viewer, metric="checkout_latency_ms", **params)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_an_unknown_metric_or_labels_is_a_404(viewer, latency):
    assert compare(viewer, metric="nope", **periods()).status_code == 404
    response = compare(viewer, metric="checkout_latency_ms", labels="case=other", **periods())
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- MTTR this month against last month -------------------------------------------------


@pytest.mark.skipif(
    "vigil_mttr_seconds" not in builtin.BUILTIN,
    reason="analytics/builtin.py is still a placeholder (no vigil_mttr_seconds yet)",
)
def test_mttr_this_month_against_last_month(viewer):
    service = ServiceFactory(name="Checkout", slug="checkout")
    this_month = (
        timezone.now().astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    )
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    last = [3600, 5400, 7200, 1800, 4500]
    this = [600, 900, 1200, 1500]
    for day, seconds_to_resolve in enumerate(last, start=2):
        triggered = last_month + timedelta(days=day, hours=9)
        incident = open_incident(service, at=triggered)
        incident_resolve(
            incident=incident, by=None, at=triggered + timedelta(seconds=seconds_to_resolve)
        )
    for minute, seconds_to_resolve in enumerate(this, start=1):
        triggered = this_month + timedelta(minutes=minute)
        incident = open_incident(service, at=triggered)
        incident_resolve(
            incident=incident, by=None, at=triggered + timedelta(seconds=seconds_to_resolve)
        )
    open_incident(service, at=this_month + timedelta(minutes=30))  # unresolved: no sample

    response = compare(
        viewer,
        metric="vigil_mttr_seconds",
        **periods(a_start=last_month, a_end=this_month, b_start=this_month, b_end=next_month),
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert_period(body["a"], [float(x) for x in last], last_month, this_month)
    assert_period(body["b"], [float(x) for x in this], this_month, next_month)
    mean_last, mean_this = sum(last) / len(last), sum(this) / len(this)
    assert body["change_percent"] == pytest.approx(
        (mean_this - mean_last) / mean_last * 100, rel=1e-9
    )
    t, p = welch_by_hand(last, this)
    assert body["welch"]["t"] == pytest.approx(t, rel=1e-9)
    assert body["welch"]["p_value"] == pytest.approx(p, rel=1e-6)
    # 5 against 4, no ties, every one of this month's faster: U = 20, exact p = 2/126.
    assert body["mann_whitney"]["u"] == u_by_counting(last, this) == 20.0
    assert body["mann_whitney"]["p_value"] == pytest.approx(
        mann_whitney_exact_p([float(x) for x in last], [float(x) for x in this]), rel=1e-9
    )
    assert body["mann_whitney"]["p_value"] == pytest.approx(2 / 126, rel=1e-12)
    assert body["significant"] is True
