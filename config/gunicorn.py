"""gunicorn settings for ``gunicorn config.wsgi -c config/gunicorn.py``."""

import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
# The request log in core.request_id writes one line per request with its id;
# gunicorn's own access log would repeat it without one.
accesslog = None
errorlog = "-"


def child_exit(server, worker):
    # With PROMETHEUS_MULTIPROC_DIR, /metrics adds up every worker's counters; a
    # dead worker's live gauges must stop counting.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    # matplotlib's first drawing in a process loads its fonts (a few hundred ms): pay it
    # at start, not on the first dashboard or report a person opens.
    from core.charts import warm_up

    warm_up()
