"""Period comparison, each figure against an independent computation: the summaries in
plain Python, Welch's t and its Welch-Satterthwaite degrees of freedom written out, the
Mann-Whitney U by counting pairs and its p by enumerating every ranking (small samples)
or by the tie-corrected normal approximation written out (larger ones), plus the
tortoise-and-hare example whose U is known."""

import itertools
import json
import math

import numpy as np
import pytest
from scipy import stats

from analytics.stats.comparison import compare, describe


def percentile_by_hand(values: list[float], q: float) -> float:
    """Linear interpolation between the order statistics at rank (n - 1) q."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    below = math.floor(rank)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (rank - below)


def test_describe_matches_plain_python():
    rng = np.random.default_rng(30)
    v = rng.lognormal(3, 1, 101)
    values = v.tolist()
    mean = math.fsum(values) / len(values)

    summary = describe(v)

    assert summary["count"] == 101
    assert summary["mean"] == pytest.approx(mean, rel=1e-12)
    assert summary["median"] == sorted(values)[50]
    assert summary["p95"] == pytest.approx(percentile_by_hand(values, 0.95), rel=1e-12)
    stdev = math.sqrt(math.fsum((x - mean) ** 2 for x in values) / 100)
    assert summary["stdev"] == pytest.approx(stdev, rel=1e-12)


def test_describe_of_an_even_count_interpolates_the_median():
    summary = describe(np.array([4.0, 1.0, 3.0, 2.0]))
    assert summary == {
        "count": 4,
        "mean": 2.5,
        "median": 2.5,
        "p95": pytest.approx(3.85),  # rank 2.85: 3 + 0.85
        "stdev": pytest.approx(math.sqrt(5 / 3)),
    }


def test_describe_of_nothing_and_of_one_sample():
    assert describe(np.array([])) == {
        "count": 0,
        "mean": None,
        "median": None,
        "p95": None,
        "stdev": None,
    }
    assert describe(np.array([7.0])) == {
        "count": 1,
        "mean": 7.0,
        "median": 7.0,
        "p95": 7.0,
        "stdev": None,
    }
    assert describe(np.array([np.nan, 2.0, np.inf]))["count"] == 1


def welch_by_hand(a: list[float], b: list[float]) -> tuple[float, float]:
    def mean_var(x):
        m = math.fsum(x) / len(x)
        return m, math.fsum((xi - m) ** 2 for xi in x) / (len(x) - 1)

    mean_a, var_a = mean_var(a)
    mean_b, var_b = mean_var(b)
    se2_a, se2_b = var_a / len(a), var_b / len(b)
    t = (mean_a - mean_b) / math.sqrt(se2_a + se2_b)
    dof = (se2_a + se2_b) ** 2 / (se2_a**2 / (len(a) - 1) + se2_b**2 / (len(b) - 1))
    return t, 2 * stats.t.sf(abs(t), dof)


def u_by_counting(a: list[float], b: list[float]) -> float:
    """Pairs where a's sample is larger, ties counting one half."""
    return sum(1.0 if x > y else 0.5 if x == y else 0.0 for x in a for y in b)


def exact_p_by_enumeration(n_a: int, n_b: int, u: float) -> float:
    """Two-sided exact p without ties: every way of giving n_a of the ranks to a is
    equally likely under H0; p = 2 P(U >= max(u, n_a n_b - u)), at most 1."""
    n = n_a + n_b
    far = max(u, n_a * n_b - u)
    count = total = 0
    for ranks in itertools.combinations(range(1, n + 1), n_a):
        total += 1
        u_here = sum(ranks) - n_a * (n_a + 1) / 2
        count += u_here >= far
    return min(1.0, 2 * count / total)


def normal_p_by_hand(a: list[float], b: list[float], u: float) -> float:
    """Normal approximation with the tie correction of the variance and a continuity
    correction of 1/2."""
    n_a, n_b = len(a), len(b)
    n = n_a + n_b
    tie_sizes = np.unique(np.array(a + b), return_counts=True)[1]
    ties = float(np.sum(tie_sizes**3 - tie_sizes))
    sigma = math.sqrt(n_a * n_b / 12 * ((n + 1) - ties / (n * (n - 1))))
    z = (abs(u - n_a * n_b / 2) - 0.5) / sigma
    return min(1.0, 2 * stats.norm.sf(z))


def test_welch_t_and_p_match_the_formula_written_out():
    rng = np.random.default_rng(31)
    a = rng.normal(100, 5, 40)
    b = rng.normal(104, 15, 25)  # unequal variances and sizes

    result = compare(a, b)

    t, p = welch_by_hand(a.tolist(), b.tolist())
    assert result["welch"]["t"] == pytest.approx(t, rel=1e-10)
    assert result["welch"]["p_value"] == pytest.approx(p, rel=1e-8)


def test_mann_whitney_on_the_tortoise_and_the_hare():
    # Finishing order T H H H H H T T T T T H (Wikipedia, "Mann-Whitney U test"):
    # the tortoises' U, pairs a tortoise won, is 11, so the hares' is 36 - 11 = 25.
    order = "THHHHHTTTTTH"
    tortoises = [float(i) for i, who in enumerate(order, 1) if who == "T"]
    hares = [float(i) for i, who in enumerate(order, 1) if who == "H"]

    result = compare(np.array(tortoises), np.array(hares))

    # By position, larger is slower: U of a (tortoises) counts pairs where a tortoise
    # finished behind a hare, the hares' textbook U.
    assert result["mann_whitney"]["u"] == 25.0
    assert 36 - result["mann_whitney"]["u"] == 11.0
    assert result["mann_whitney"]["u"] == u_by_counting(tortoises, hares)
    assert result["mann_whitney"]["p_value"] == pytest.approx(
        exact_p_by_enumeration(6, 6, 25.0), rel=1e-10
    )
    assert result["mann_whitney"]["p_value"] > 0.05  # the race proves nothing


def test_mann_whitney_with_ties_matches_pair_counting_and_the_normal_approximation():
    rng = np.random.default_rng(32)
    a = rng.integers(0, 10, 60).astype(float)  # many ties
    b = rng.integers(2, 12, 45).astype(float)

    result = compare(a, b)

    u = u_by_counting(a.tolist(), b.tolist())
    assert result["mann_whitney"]["u"] == u
    assert result["mann_whitney"]["p_value"] == pytest.approx(
        normal_p_by_hand(a.tolist(), b.tolist(), u), rel=1e-10
    )


def test_change_percent_and_significance():
    rng = np.random.default_rng(33)
    a = rng.normal(200, 10, 50)
    slower = rng.normal(230, 10, 50)
    same = rng.normal(200, 10, 50)

    shifted = compare(a, slower)
    assert shifted["change_percent"] == pytest.approx(
        (slower.sum() / 50 - a.sum() / 50) / (a.sum() / 50) * 100, rel=1e-10
    )
    assert shifted["significant"] is True

    unchanged = compare(a, same)
    assert unchanged["welch"]["p_value"] >= 0.05
    assert unchanged["mann_whitney"]["p_value"] >= 0.05
    assert unchanged["significant"] is False


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([], []),
        ([], [1.0, 2.0]),
        ([1.0], [2.0, 3.0]),
        ([0.0, 0.0, 0.0], [1.0, 2.0, 3.0]),
        ([5.0, 5.0, 5.0], [5.0, 5.0, 5.0]),
        ([5.0, 5.0, 5.0], [6.0, 6.0, 6.0]),
        ([1e308, -1e308, 1e308], [1e308, 1e308, -1e308]),
        ([np.nan, 1.0, 2.0], [np.inf, 3.0, 4.0]),
    ],
)
def test_edges_never_carry_nan_or_infinity(a, b):
    result = compare(np.array(a), np.array(b))
    json.dumps(result, allow_nan=False)
    assert result["a"]["count"] == sum(math.isfinite(x) for x in a)
    assert isinstance(result["significant"], bool)


def test_what_is_undefined_is_none():
    empty = compare(np.array([]), np.array([1.0, 2.0]))
    assert empty["change_percent"] is None
    assert empty["welch"] == {"t": None, "p_value": None}
    assert empty["mann_whitney"] == {"u": None, "p_value": None}
    assert empty["significant"] is False

    one = compare(np.array([1.0]), np.array([2.0, 3.0]))
    assert one["welch"] == {"t": None, "p_value": None}
    assert one["mann_whitney"]["u"] == 0.0
    assert one["change_percent"] == pytest.approx(150.0)

    assert compare(np.array([0.0, 0.0]), np.array([1.0, 2.0]))["change_percent"] is None
    both_constant = compare(np.array([5.0, 5.0, 5.0]), np.array([5.0, 5.0, 5.0]))
    assert both_constant["welch"] == {"t": None, "p_value": None}
    assert both_constant["change_percent"] == 0.0
