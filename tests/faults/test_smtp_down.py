"""The mail server is down: each page fails and is retried with backoff (10 s, then
20 s, ...); once the server is back, each page arrives exactly once."""

import time

from tests.faults.support import LONG, PageWatch, alertmanager_payload, post_alertmanager
from tests.support import wait_until

# The long form keeps the server down five minutes; the short one for two failed
# attempts (about 10 s: the first retry waits 10 s, the next one 20 s).
OUTAGE_SECONDS = 300


def test_smtp_down_pages_retry_with_backoff_then_arrive_once(stack, database, smtp, timeline):
    smtp.stop()
    down_since = time.monotonic()
    timeline("smtp stopped")
    stack.start()
    watch = PageWatch(database, timeline)

    status, _, body = post_alertmanager(stack.site_url, stack.secret, alertmanager_payload("Smtp"))
    assert status == 200, body

    def failed_twice():
        rows = watch()
        return all(attempts >= 2 and claimed is None for _, _, attempts, _, claimed, _ in rows)

    wait_until(failed_twice, timeout=60, message="two failed attempts per page")
    rows = watch()
    assert all(status == "pending" for _, status, *_ in rows)
    assert all("Connection refused" in error for _, _, _, error, *_ in rows)
    # Retries back off: the third attempt is due 20 s after the second (10 s after the first).
    retry_in = database.rows("SELECT min(retry_at - now()) FROM incidents_notification")[0][0]
    timeline(f"next retry in {retry_in}")
    assert retry_in.total_seconds() > 10

    if LONG:
        wait_until(
            lambda: watch() and time.monotonic() - down_since > OUTAGE_SECONDS,
            timeout=OUTAGE_SECONDS + 10,
            interval=1,
            message="the end of the outage",
        )
    smtp.start()
    timeline("smtp started again")

    def sent():
        return all(row[1] == "sent" for row in watch())

    wait_until(sent, timeout=OUTAGE_SECONDS + 60 if LONG else 60, message="the pages")
    timeline(f"received: {smtp.message_ids()}")
    ids = [row[0] for row in watch()]
    assert sorted(smtp.message_ids()) == sorted(f"<page-{pk}@127.0.0.1>" for pk in ids)
