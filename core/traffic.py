"""One middleware that measures every request once, for whichever apps want the figures.

Several apps count the platform's own traffic (observability feeds its SLOs, analytics
its usage figures). Timing a request in each app's own middleware would time it several
times and wrap the database several times; here it is timed once, its database queries
are counted once, and the figures are handed to the recorders the apps register from
their ``AppConfig.ready``:

    traffic.register(recorder)  # recorder(request, response, seconds, queries)

A recorder runs after the answer is built, in the request's thread, so it must be cheap
(count in memory; write to the database at most once a minute). One that raises is
logged and skipped: counting never breaks an answer.
"""

import logging
import time
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponseBase

logger = logging.getLogger(__name__)

Recorder = Callable[[HttpRequest, HttpResponseBase, float, int], None]

_recorders: list[Recorder] = []


def register(recorder: Recorder) -> None:
    """Hand every request's figures to ``recorder`` (once, however often it is called:
    ``ready()`` may run twice under some test runners)."""
    if recorder not in _recorders:
        _recorders.append(recorder)


def unregister(recorder: Recorder) -> None:
    if recorder in _recorders:
        _recorders.remove(recorder)


class _QueryCounter:
    """An ``execute_wrapper``: one integer increment per query, nothing else."""

    __slots__ = ("count",)

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class TrafficMiddleware:
    """Times each request and counts its queries, then tells the registered recorders.
    Put it near the top of MIDDLEWARE, so that the time covers the other middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _recorders:
            return self.get_response(request)
        queries = _QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(queries):
            response = self.get_response(request)
        seconds = time.perf_counter() - started
        for recorder in tuple(_recorders):
            try:
                recorder(request, response, seconds, queries.count)
            except Exception:  # counting must never break an answer
                logger.warning("traffic recorder %r failed", recorder, exc_info=True)
        return response
