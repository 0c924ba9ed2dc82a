"""Anomalies in one metric series: pure functions over numpy arrays, no ORM.

``detect(t, v, method=..., new_from=...)`` scores the points from ``new_from`` on, with
the points before them as context (the history, never reported), and returns those whose
score reaches the threshold. Every method's score is "how many sigmas", so
one set of severity bands (``severity``) serves all three:

  rolling_z          z against the mean and standard deviation of the previous
                     ROLLING_WINDOW samples. Cheap and local, but blind to seasonality:
                     a daily cycle inflates the window's deviation, so on a seasonal
                     series it misses nearly every spike of 5 to 8 sigmas.
  robust_z           robust z (median and MAD) of the residual from a baseline: a slow
                     level (the median of the week before) plus a seasonal profile
                     (medians per hour of week, of a weekday or weekend day, or of day,
                     whichever predicts the series best out of sample; or none), each
                     point judged against the median of its slot without itself.
  isolation_forest   sklearn's IsolationForest on that residual plus the hour of day and
                     the day of week, its score mapped onto sigmas (``_forest_scores``).

bench/anomaly_quality.py measures their precision and recall on synthetic series; on
seasonal ones, robust_z and isolation_forest both find spikes of 5 sigmas and more with
precision and recall above 0.9, rolling_z not. All times are UTC. Everything returned is
finite: samples whose time or value is NaN or infinite are ignored (never reported,
never used as context), a zero spread is floored instead of divided by, and scores are
capped at SCORE_CAP.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import median_filter
from sklearn.ensemble import IsolationForest

METHODS = ("rolling_z", "robust_z", "isolation_forest")

HOUR = 3600
DAY = 24 * HOUR
WEEK = 7 * DAY

# A point is reported from 3.5 sigmas on: on Gaussian noise that is one false alarm in
# about 2,000 points (three months of hourly samples), while a 5-sigma spike scores well
# above it (bench/anomaly_quality.py measures both).
DEFAULT_THRESHOLD = 3.5
# The default threshold of each method, each as rare on Gaussian noise as 3.5 sigmas.
# rolling_z's z is taken against its window's own mean and deviation, estimated from 24
# samples: it follows Student's t (23 degrees of freedom, times sqrt(1 + 1/24)), whose
# tails are heavier, and |z| >= 4.2 is as rare there (4.16: P = 4.7e-4 both sides).
# robust_z's residuals run a little heavier too on seasonal series (each expectation is
# itself the median of a few values): on the bench's, without anomalies, 0.77 points in
# 1,000 reach 3.5 and 0.36 reach 3.6 (Gaussian noise: 0.47 at 3.5). isolation_forest's
# is calibrated by FOREST_OFFSET.
DEFAULT_THRESHOLDS = {"rolling_z": 4.2, "robust_z": 3.6, "isolation_forest": 3.5}
# (lower bound, severity), highest first; below DEFAULT_THRESHOLD, none. The product opens
# an incident for "high" and "critical". From 3.5 and from 4.5 sigmas (p = 5e-4 and 7e-6
# on Gaussian noise: a few times a year and once in years per hourly series) a point is
# worth a look but not a page: a 5-sigma spike is "medium". From 6 sigmas (p = 2e-9)
# chance is no explanation any more: "high". From 8, a different regime (an outage, a
# unit changed): "critical".
SEVERITY_BANDS = (
    (8.0, "critical"),
    (6.0, "high"),
    (4.5, "medium"),
    (DEFAULT_THRESHOLD, "low"),
)
# A point that breaks a perfectly flat window has no meaningful number of sigmas: the
# spread is floored (``_scale_floor``) and the quotient capped here, which reads
# "critical" and stays a finite JSON number.
SCORE_CAP = 1000.0

ROLLING_WINDOW = 24  # rolling_z: the previous 24 samples (a day of hourly samples)
MIN_HISTORY = 10  # samples before a point for rolling_z to score it
ROBUST_MIN_HISTORY = 24  # robust_z, isolation_forest: a day of hourly samples first
LEVEL_HOURS = 7 * 24 + 1  # the trailing level: median of the last week's hourly medians
MAD_TO_SIGMA = 0.6745  # MAD of a normal distribution / its sigma
MEAN_AD_TO_SIGMA = np.sqrt(2 / np.pi)  # mean absolute deviation / sigma, the fallback

# isolation_forest fits on the last 2,500 points (15 weeks of hourly samples, 42 hours of
# per-minute ones), each tree on all of them. A point is scored by the depth at which the
# trees' random splits isolate it, and a tree that was not fitted on a spike scores it by
# the path of the fitted points next to it, like the most extreme noise: subsampling
# (sklearn's default of 256 points a tree) would make a spike's score depend on its
# chance of being drawn, so on the history's length. 2,500, not more: a forest fitted on
# 5,000 scores noise higher (the calibration of FOREST_OFFSET drifts: on series with 30
# weeks of history, 2 to 3 false alarms in 1,000 points instead of 0.7 to 1.8), and is
# slower.
FOREST_TRAINING = 2500
FOREST_SAMPLES = FOREST_TRAINING  # points per tree
# 150 trees rather than sklearn's 100: the scores of the top few points are noisy from
# tree to tree, and on the bench 150 buy about 0.02 of precision and recall, for half as
# much time again (200 buy no more).
FOREST_TREES = 150
FOREST_SEED = 0  # the same series, the same forest, the same findings
# The forest's robust z runs ahead of sigmas by about this much in the tail (its bulk is
# tightly bunched): calibrated on bench/anomaly_quality.py (60 series per kind), where
# the default threshold of 3.5 then gives precision and recall on 5-to-8-sigma spikes of
# 0.90 or more, and a 5-sigma spike scores about 5, an 8-sigma one about 8. It holds for
# FOREST_TREES and FOREST_TRAINING as they are: more trees bunch the bulk tighter and
# raise every z.
FOREST_OFFSET = 4.25


@dataclass(frozen=True)
class Finding:
    index: int  # into the t and v given to detect()
    timestamp: float  # Unix seconds
    value: float
    expected: float  # the rolling mean, or the seasonal baseline
    score: float  # >= 0, in sigmas
    method: str


@dataclass(frozen=True)
class Baseline:
    """What robust_z expects at each point: ``level + profile[slot]``, and the same with
    the point's own value left out of its slot's median (``held_out``), which is what a
    point is judged against."""

    level: np.ndarray  # per point: the trailing median of the deseasonalised series
    profile: np.ndarray  # per slot: the median of value - level; [0.0] without seasonality
    slot: np.ndarray  # per point: its slot (see SEASONS)
    season: str  # a key of SEASONS
    held_out: np.ndarray  # per point: level + the median of the others in its slot
    spread: np.ndarray  # per point: sd of v - held_out, in units of the noise's sd

    @property
    def expected(self) -> np.ndarray:
        return self.level + self.profile[self.slot]


def hour_of_day(t: np.ndarray) -> np.ndarray:
    """0..23, UTC."""
    return (np.floor_divide(t, HOUR) % 24).astype(np.int64)


def day_of_week(t: np.ndarray) -> np.ndarray:
    """0 (Monday) .. 6 (Sunday), UTC: 1970-01-01, day 0 of the epoch, was a Thursday."""
    return ((np.floor_divide(t, DAY) + 3) % 7).astype(np.int64)


def severity(score: float) -> str | None:
    """The band of a score (``SEVERITY_BANDS``): None below ``DEFAULT_THRESHOLD``, then
    low, medium, high (an incident is opened from here) and critical."""
    for lower, name in SEVERITY_BANDS:
        if score >= lower:
            return name
    return None


def detect(
    t: np.ndarray,
    v: np.ndarray,
    *,
    method: str,
    new_from: int = 0,
    threshold: float | None = None,
) -> list[Finding]:
    """The points with index >= new_from whose score reaches threshold (default: the
    method's in ``DEFAULT_THRESHOLDS``), ascending by index. t: Unix seconds, ascending;
    v: values. The points before new_from are context only. Points with too little
    history for the method are skipped."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    t = np.asarray(t, dtype=np.float64).ravel()
    v = np.asarray(v, dtype=np.float64).ravel()
    if t.shape != v.shape:
        raise ValueError(f"t and v differ in length: {t.size} and {v.size}")
    threshold = DEFAULT_THRESHOLDS[method] if threshold is None else float(threshold)
    # Bad samples are dropped here and the positions mapped back at the end, so that one
    # NaN neither poisons a window nor shifts the indices reported.
    kept = np.flatnonzero(np.isfinite(t) & np.isfinite(v))
    start = int(np.searchsorted(kept, max(new_from, 0)))
    if start >= kept.size:
        return []
    tk, vk = t[kept], v[kept]
    score, expected = SCORERS[method](tk, vk, start)
    hits = np.flatnonzero(np.isfinite(score) & np.isfinite(expected) & (score >= threshold))
    return [
        Finding(
            index=int(kept[start + j]),
            timestamp=float(tk[start + j]),
            value=float(vk[start + j]),
            expected=float(expected[j]),
            score=float(score[j]),
            method=method,
        )
        for j in hits
    ]


# Scorers: (t, v, start) -> (score, expected) for the points start.., NaN where a point
# has too little history. t and v are finite and t ascending.
Scorer = Callable[[np.ndarray, np.ndarray, int], tuple[np.ndarray, np.ndarray]]


def _scale_floor(level: np.ndarray | float) -> np.ndarray | float:
    """The least spread divided by: a billionth of the level (at least of 1), so that a
    flat window gives z = 0 for equal values, and a huge but finite z for others."""
    return 1e-9 * np.maximum(1.0, np.abs(level))


def _sigmas(deviation: np.ndarray, scale: np.ndarray | float) -> np.ndarray:
    return np.minimum(np.abs(deviation) / scale, SCORE_CAP)


def _rolling_z(t: np.ndarray, v: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
    """z of each point against the mean and the sample standard deviation (n - 1) of the
    ROLLING_WINDOW samples before it (fewer, but at least MIN_HISTORY, at the start).

    Sliding windows over a NaN-padded copy rather than cumulative sums: sums of squares
    over 50,000 points lose the digits a variance needs. 8 ms for 50,000 new points.
    """
    n = v.size
    score = np.full(n - start, np.nan)
    expected = np.full(n - start, np.nan)
    first = max(start, MIN_HISTORY)
    if first >= n:
        return score, expected
    padded = np.concatenate([np.full(ROLLING_WINDOW, np.nan), v])
    # Row i holds v[i - W : i], NaN where i - W < 0; only rows with >= MIN_HISTORY values.
    windows = sliding_window_view(padded, ROLLING_WINDOW)[first:n]
    mean = np.nanmean(windows, axis=1)
    sd = np.nanstd(windows, axis=1, ddof=1)
    scale = np.maximum(sd, _scale_floor(mean))
    score[first - start :] = _sigmas(v[first:] - mean, scale)
    expected[first - start :] = mean
    return score, expected


def _group_medians(groups: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """The median of values per group 0..count-1 (NaN for an empty group), vectorised:
    one sort by (group, value), then the middle one or two of each run."""
    order = np.lexsort((values, groups))
    ordered = values[order]
    sizes = np.bincount(groups, minlength=count)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    medians = np.full(count, np.nan)
    has = sizes > 0
    low = starts[has] + (sizes[has] - 1) // 2
    high = starts[has] + sizes[has] // 2
    medians[has] = (ordered[low] + ordered[high]) / 2
    return medians


def _leave_one_out_medians(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per point, the median of the other values of its group (NaN when it is alone):
    a point's own value must not pull its expectation towards itself, which would shrink
    the residuals of ordinary points (and so the scale) more than those of outliers, and
    inflate every large z. Vectorised like ``_group_medians``: in the sorted run of a
    group of m values, leaving out rank k, the middle ranks of the m - 1 others are
    (m - 2) // 2 and (m - 1) // 2, one further on from k."""
    order = np.lexsort((values, groups))
    ordered = values[order]
    sizes = np.bincount(groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    m = sizes[groups[order]]
    first = starts[groups[order]]
    rank = np.arange(values.size) - first
    low = (m - 2) // 2
    high = (m - 1) // 2
    low = low + (low >= rank)
    high = high + (high >= rank)
    alone = m < 2
    medians_sorted = np.where(
        alone,
        np.nan,
        (ordered[np.where(alone, 0, first + low)] + ordered[np.where(alone, 0, first + high)]) / 2,
    )
    medians = np.empty(values.size)
    medians[order] = medians_sorted
    return medians


def _trailing_median(x: np.ndarray, window: int) -> np.ndarray:
    """out[i] = median(x[i - window + 1 : i + 1]), over fewer values at the start. The
    window must be odd: scipy's median filter (about 2 ms for 50,000 values where numpy's
    sliding windows take 200) then is the exact median, and origin window // 2 makes it
    trailing."""
    n = x.size
    out = np.empty(n)
    head = min(n, window - 1)
    # The first values' growing windows, as a triangle: row i holds x[: i + 1] sorted,
    # then NaN (which sorts last).
    rows = np.arange(head)
    triangle = np.sort(np.where(rows[None, :] <= rows[:, None], x[None, :head], np.nan), axis=1)
    out[:head] = (triangle[rows, rows // 2] + triangle[rows, (rows + 1) // 2]) / 2
    if n >= window:
        full = median_filter(x, size=window, origin=window // 2, mode="nearest")
        out[window - 1 :] = full[window - 1 :]
    return out


def _level(t: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The slow level at each point: the median of the hourly medians of v over the
    LEVEL_HOURS hours with samples before its own (a week; a gap makes the window longer
    in time). Trailing, so that a point is judged against what came before it; a
    median, so that a day off-level (a seventh of the window) barely moves it. Hourly
    medians first: per-minute samples then cost no more than hourly ones."""
    hours, inverse = np.unique(np.floor_divide(t, HOUR), return_inverse=True)
    hourly = _group_medians(inverse, v, hours.size)
    through = _trailing_median(hourly, LEVEL_HOURS)
    # The hours before a point's own, so that its own samples (a spike, the start of a
    # step) do not pull its expectation; the first hour has only itself.
    before = np.concatenate([through[:1], through[:-1]])
    return before[inverse]


def _hour_of_week(t: np.ndarray) -> np.ndarray:
    return day_of_week(t) * 24 + hour_of_day(t)


def _hour_of_workweek(t: np.ndarray) -> np.ndarray:
    """Hour of day, Saturday and Sunday apart from the other days."""
    return (day_of_week(t) >= 5) * 24 + hour_of_day(t)


# The seasonal profiles robust_z may use: (slot of each time, number of slots, how much
# of the series' time the samples must cover). Two cycles, so that each slot has a value
# besides a point's own to expect it from.
SEASONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], int, float]] = {
    "none": (lambda t: np.zeros(t.size, dtype=np.int64), 1, 0.0),
    "day": (hour_of_day, 24, 2 * DAY),
    "workweek": (_hour_of_workweek, 48, 2 * WEEK),
    "week": (_hour_of_week, 168, 2 * WEEK),
}
# A richer profile must fit at least this much better (its held-out sigma this much
# smaller) to be preferred: in a tie the simpler one has the less noisy medians.
SEASON_MARGIN = 0.99


def _covered(t: np.ndarray) -> float:
    """The time the samples cover: first to last plus one typical step."""
    if t.size < 2:
        return 0.0
    return float(t[-1] - t[0] + np.median(np.diff(t)))


def _fit_season(t: np.ndarray, v: np.ndarray, level: np.ndarray, season: str) -> Baseline:
    """The profile of one season against a first level, then the level of the series
    without that profile (the first level is biased where its window holds part of a
    cycle, as in the first week), and the profile again against it. Slots without
    samples get 0."""
    slot_of, slots, _ = SEASONS[season]
    slot = slot_of(t)
    profile = np.zeros(slots)
    if slots > 1:
        profile = np.nan_to_num(_group_medians(slot, v - level, slots))
        level = _level(t, v - profile[slot])
        profile = np.nan_to_num(_group_medians(slot, v - level, slots))
    held_out = level
    spread = np.ones(v.size)
    if slots > 1:
        held_out = level + _leave_one_out_medians(slot, v - level)
        spread = np.sqrt(1 + _median_variance(np.bincount(slot)[slot] - 1))
    return Baseline(level, profile, slot, season, held_out, spread)


def _median_variance(k: np.ndarray) -> np.ndarray:
    """The variance of the median of k normal values of variance 1: pi / (2k + 1), within
    4% of the exact value from k = 3 on (1, 0.63 for 0.5, 0.449, 0.349, 0.286...). A point
    is judged against the median of the others in its slot, whose error adds to its own:
    a weekend slot has fewer values than a weekday one, and its residuals spread wider
    (by 7% with four weeks of history), which would otherwise double its false alarms."""
    return np.pi / (2 * np.maximum(k, 1) + 1)


def _held_out_sigma(baseline: Baseline, v: np.ndarray) -> float:
    r = (v - baseline.held_out)[ROBUST_MIN_HISTORY:]
    r = r[np.isfinite(r)]
    return robust_scale(r)[1] if r.size else np.inf


def seasonal_baseline(t: np.ndarray, v: np.ndarray) -> Baseline:
    """The level and the seasonal profile of a series (t ascending, finite), each made of
    medians so that the anomalies in the data barely move them.

    Of the seasons the samples cover (SEASONS), the one whose held-out residuals (each
    point against the median of the others in its slot) have the smallest robust sigma:
    a profile per hour of week learns a weekly cycle but has few values per slot (four
    in four weeks), which makes every expectation noisier than one per hour of day
    would be when there is no weekly cycle, or none at all on a flat series (on noise
    alone, hour of week from four weeks of history misses a fifth of 5-sigma spikes).
    """
    covered = _covered(t)
    level = _level(t, v)
    best: Baseline | None = None
    best_sigma = np.inf
    for season, (_, _, needs) in SEASONS.items():
        if covered < needs:
            continue
        baseline = _fit_season(t, v, level, season)
        sigma = _held_out_sigma(baseline, v)
        if best is None or sigma < SEASON_MARGIN * best_sigma:
            best, best_sigma = baseline, sigma
    assert best is not None  # "none" needs nothing
    return best


def robust_scale(r: np.ndarray) -> tuple[float, float]:
    """(centre, sigma) of residuals, robustly: the median and MAD / 0.6745. When more than
    half of them are equal the MAD is 0: then the mean absolute deviation from the
    median / sqrt(2 / pi) (the same sigma for normal data), and if that is 0 too (a
    constant series), the tiny ``_scale_floor``."""
    centre = float(np.median(r))
    deviation = np.abs(r - centre)
    sigma = float(np.median(deviation)) / MAD_TO_SIGMA
    if sigma == 0.0:
        sigma = float(np.mean(deviation)) / MEAN_AD_TO_SIGMA
    return centre, max(sigma, float(_scale_floor(centre)))


def _residuals(t: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(z, expected) per point: the residual from the held-out seasonal baseline divided
    by its spread, as a robust z (centred on the median, scaled by the MAD) over the
    points from ROBUST_MIN_HISTORY on; and the baseline plus that median. z is signed,
    and NaN where a point is alone in its slot."""
    baseline = seasonal_baseline(t, v)
    u = (v - baseline.held_out) / baseline.spread
    judged = u[ROBUST_MIN_HISTORY:]
    judged = judged[np.isfinite(judged)]
    if judged.size == 0:
        return np.full(v.size, np.nan), baseline.held_out
    centre, sigma = robust_scale(judged)
    # Residuals of 0 beside a level of a billion are rounding, not a signal.
    sigma = max(sigma, float(_scale_floor(np.median(np.abs(v)))))
    return (u - centre) / sigma, baseline.held_out + centre * baseline.spread


def _robust_z(t: np.ndarray, v: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
    """|0.6745 (r - median r) / MAD r| on the residual r of the held-out seasonal baseline;
    expected = that baseline plus median r. 90 ms for 50,000 points, whether 60 of them or
    all are new: the baseline is fitted four times (SEASONS) over all of them."""
    n = v.size
    score = np.full(n - start, np.nan)
    expected = np.full(n - start, np.nan)
    first = max(start, ROBUST_MIN_HISTORY)
    if first >= n:
        return score, expected
    z, baseline = _residuals(t, v)
    score[first - start :] = np.minimum(np.abs(z[first:]), SCORE_CAP)
    expected[first - start :] = baseline[first:]
    return score, expected


def _forest_features(t: np.ndarray, z: np.ndarray) -> np.ndarray:
    """[signed robust z of the residual, sin/cos hour of day, sin/cos day of week]. The
    residual, not the value: on the raw value every daily peak is an outlier."""
    hour = 2 * np.pi * hour_of_day(t) / 24
    weekday = 2 * np.pi * day_of_week(t) / 7
    return np.column_stack([z, np.sin(hour), np.cos(hour), np.sin(weekday), np.cos(weekday)])


def _forest_scores(t: np.ndarray, v: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
    """An IsolationForest (FOREST_TREES trees, fixed seed) fitted on the last
    FOREST_TRAINING points, the new ones among them, then scoring the new points.

    The cap keeps a long history from costing more than a short one: a scan of 60 new
    points after 50,000 takes 0.3 s (the residuals 0.1 s, fitting 0.15 s), a first scan
    of 50,000 new points 0.7 s (scoring them 0.4 s). But when more than 2,500 points
    are new at once, the forest is fitted on 2,500 of them spread evenly, and the others
    are scored out of sample, where a spike scores like the most extreme noise: on a
    first scan of 50,000 hourly points with 50 spikes of 8 sigmas it finds 2 of them
    (robust_z, 50). Scan a long series in chunks of new points instead (new_from moving
    up 2,500 at a time), as the periodic scan does.

    The mapping onto sigmas: the forest's anomaly score s = -score_samples (about 0.5
    for ordinary points, towards 1 the fewer splits isolate a point) is bounded, and
    bunched around its median, so it is first made a robust z over the fitted sample,
    (s - median s) / (MAD s / 0.6745), then lowered by FOREST_OFFSET and clipped at 0.
    The splits lie within the fitted sample, so however far beyond the others a point
    lies, the first split beyond them isolates it: the score saturates, and severity
    reads coarser from it than from robust_z. expected is the baseline the residual was
    taken from.
    """
    n = v.size
    score = np.full(n - start, np.nan)
    expected = np.full(n - start, np.nan)
    first = max(start, ROBUST_MIN_HISTORY)
    if first >= n:
        return score, expected
    z, baseline = _residuals(t, v)
    known = np.isfinite(z)
    new = first + np.flatnonzero(known[first:])
    training = np.flatnonzero(known[-FOREST_TRAINING:]) + max(0, n - FOREST_TRAINING)
    if new.size > FOREST_TRAINING:
        training = new[np.linspace(0, new.size - 1, FOREST_TRAINING).astype(np.int64)]
    if training.size < ROBUST_MIN_HISTORY or new.size == 0:
        return score, expected
    forest = IsolationForest(
        n_estimators=FOREST_TREES,
        max_samples=min(FOREST_SAMPLES, training.size),
        random_state=FOREST_SEED,
    )
    fitted = _forest_features(t[training], z[training])
    middle, spread = robust_scale(-forest.fit(fitted).score_samples(fitted))
    s = -forest.score_samples(_forest_features(t[new], z[new]))
    score[new - start] = np.clip((s - middle) / spread - FOREST_OFFSET, 0.0, SCORE_CAP)
    expected[new - start] = baseline[new]
    return score, expected


SCORERS: dict[str, Scorer] = {
    "rolling_z": _rolling_z,
    "robust_z": _robust_z,
    "isolation_forest": _forest_scores,
}
