"""Reads for SLOs: their counts over every window (one aggregate query per SLO and
evaluation, computed by the database, never by looping over buckets in Python), their
latest evaluations and their history."""

from datetime import datetime

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery

from observability.models import SLO, BudgetingMethod, SLOBucket, SLOEvaluation
from observability.slo_math import BURN_WINDOWS, unix_minute, window_minutes


def slo_list() -> QuerySet[SLO]:
    return SLO.objects.select_related("service__team")


def _windows(slo: SLO, at: datetime) -> dict[str, int]:
    return {**BURN_WINDOWS, "slo": window_minutes(slo.window, at)}


def slo_counts(slo: SLO, at: datetime) -> dict[str, tuple[float, float]]:
    """``{window: (good, total)}`` for the burn-rate windows and the SLO's window, each
    covering the buckets stamped in (end - w, end], from the internal buckets.

    One query of one plain aggregate per window, each over its own index range: the 30
    days' rows plus the shorter windows' (about 1.15 times as many), two sums each. One
    aggregate with a FILTERed sum per window would instead test 8 filters and add 16 sums
    on every row of the 30 days, two to three times the cost of reading them once that is
    an index-only scan (``bench/slo.py``)."""
    if slo.budgeting_method == BudgetingMethod.TIMESLICES:
        return _slice_counts(slo, at)
    end = unix_minute(at)
    windows = _windows(slo, at)
    table = SLOBucket._meta.db_table
    branches, params = [], []
    for index, minutes in enumerate(windows.values()):
        branches.append(
            f"SELECT {index}, COALESCE(SUM(good), 0), COALESCE(SUM(total), 0) FROM {table}"
            " WHERE slo_id = %s AND minute > %s AND minute <= %s"
        )
        params += [slo.pk, end - minutes, end]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(branches), params)
        rows = {index: (float(good), float(total)) for index, good, total in cursor.fetchall()}
    return {key: rows[index] for index, key in enumerate(windows)}


def _slice_counts(slo: SLO, at: datetime) -> dict[str, tuple[float, float]]:
    """Timeslices: ``(good slices, slices with traffic)`` per window. A slice of
    ``slice_minutes`` covers minutes (s * len, (s + 1) * len]; it is good when its good
    share meets ``slice_target``; a slice counts in a window when it ends inside it."""
    end = unix_minute(at)
    length = slo.slice_minutes
    windows = _windows(slo, at)
    target = float(slo.slice_target) / 100
    table = SLOBucket._meta.db_table
    columns, params = [], []
    for minutes in windows.values():
        columns.append(
            "COALESCE(SUM(CASE WHEN slice_end > %s AND good >= %s * total THEN 1 ELSE 0 END), 0),"
            " COALESCE(SUM(CASE WHEN slice_end > %s THEN 1 ELSE 0 END), 0)"
        )
        params += [end - minutes, target, end - minutes]
    # Slices ending after ``end`` are partial: they are left for the next evaluation.
    sql = (
        f"SELECT {', '.join(columns)} FROM ("
        f"  SELECT ((minute - 1) / %s + 1) * %s AS slice_end, SUM(good) AS good,"
        f"         SUM(total) AS total"
        f"  FROM {table} WHERE slo_id = %s AND minute > %s AND minute <= %s"
        f"  GROUP BY (minute - 1) / %s"
        f") slices WHERE total > 0 AND slice_end <= %s"
    )
    params += [length, length, slo.pk, end - max(windows.values()) - length, end, length, end]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return {
        key: (float(row[2 * index]), float(row[2 * index + 1])) for index, key in enumerate(windows)
    }


def slo_history(slo: SLO, *, start: datetime, end: datetime) -> QuerySet[SLOEvaluation]:
    return slo.evaluations.filter(at__gte=start, at__lte=end).order_by("at")


def slo_latest_evaluations(slos) -> dict[int, SLOEvaluation]:
    """Each SLO's newest stored evaluation (one query)."""
    newest = SLOEvaluation.objects.filter(slo=OuterRef("slo")).order_by("-at").values("pk")[:1]
    latest = SLOEvaluation.objects.filter(slo__in=slos, pk=Subquery(newest))
    return {evaluation.slo_id: evaluation for evaluation in latest}
