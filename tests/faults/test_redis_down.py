"""Redis (broker and cache) stops while alerts come in: every webhook is still accepted
and stored with its pages; once Redis is back the sweep sends each page exactly once."""

import time

from tests.faults.support import LONG, alertmanager_payload, post_alertmanager
from tests.support import wait_until

GROUPS = 5  # one incident each, paging two people
# The outbox sweeps a row once it has waited this long (OutboxKind.stale_after).
STALE_AFTER_SECONDS = 120


def test_redis_down_during_ingestion_loses_no_page_and_sends_each_once(
    stack, database, redis, smtp, timeline
):
    database.schedule({"core.tasks.outbox_sweep": 1})
    stack.start(beat=True)

    redis.stop()
    timeline("redis stopped")
    for number in range(GROUPS):
        started = time.monotonic()
        status, _, body = post_alertmanager(
            stack.site_url, stack.secret, alertmanager_payload(f"Outage{number}")
        )
        timeline(f"webhook {number}: {status} in {time.monotonic() - started:.2f}s {body[:120]!r}")
        assert status == 200, body

    assert database.count("incidents_incident", "dedup_key LIKE '%%Outage%%'") == GROUPS
    assert database.count("incidents_alert") == GROUPS
    pages = database.notifications()
    timeline(f"pages while redis is down: {[(p[0], p[1], p[2]) for p in pages]}")
    assert [(status, attempts) for _, status, attempts, *_ in pages] == [("pending", 0)] * (
        2 * GROUPS
    )
    assert smtp.messages == []

    redis.start()
    timeline("redis started again (empty: the tasks sent while it was down are gone)")
    if not LONG:
        # The short form moves the pages' clock past the sweep's grace period instead
        # of waiting it out.
        database.execute(
            "UPDATE incidents_notification SET created_at = created_at - %s * interval '1 second'",
            STALE_AFTER_SECONDS + 1,
        )
        timeline(f"pages made {STALE_AFTER_SECONDS + 1}s older")

    def all_sent():
        # A worker whose broker connection drops as it acknowledges a task can exit
        # ("Unrecoverable error" in kombu): its supervisor starts it again.
        stack.supervise()
        return database.count("incidents_notification", "status = 'sent'") == 2 * GROUPS

    wait_until(all_sent, timeout=STALE_AFTER_SECONDS + 60 if LONG else 45, message="every page")
    timeline(f"all {2 * GROUPS} pages sent; {len(smtp.messages)} emails received")
    time.sleep(3)  # three more sweeps: nothing may be sent again

    ids = [row[0] for row in database.notifications()]
    expected = sorted(f"<page-{pk}@127.0.0.1>" for pk in ids)
    assert sorted(smtp.message_ids()) == expected
    assert database.count("incidents_notification", "attempts = 1") == 2 * GROUPS
