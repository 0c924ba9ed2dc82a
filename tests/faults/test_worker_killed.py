"""A Celery worker is killed (SIGKILL) while the mail server holds its page mid-send:
the page stays claimed until its lease runs out, then the sweep hands it to a new
worker, which sends it once, with the Message-ID of the attempt that was killed."""

import time

import pytest

from tests.faults.support import LONG, PageWatch, alertmanager_payload, post_alertmanager
from tests.support import wait_until

# OutboxKind.lease: how long a claimed page is left to the worker that claimed it.
LEASE_SECONDS = 300


@pytest.fixture
def stack_env():
    # The stalled send must still be waiting for the server's answer when it is killed.
    return {"EMAIL_TIMEOUT": "600"}


def test_a_worker_killed_mid_send_delivers_the_page_once_with_the_same_message_id(
    stack, database, smtp, timeline
):
    database.schedule({"core.tasks.outbox_sweep": 1})
    smtp.stalling = True
    stack.start(beat=True)
    watch = PageWatch(database, timeline)

    status, _, body = post_alertmanager(
        stack.site_url, stack.secret, alertmanager_payload("WorkerKilled")
    )
    assert status == 200, body
    timeline("webhook accepted: one incident, two pages")
    wait_until(lambda: len(smtp.stalled) == 2, timeout=30, message="both sends to stall")
    killed_ids = sorted(smtp.message_id(envelope) for envelope in smtp.stalled)
    timeline(f"the server holds both sends after DATA: {killed_ids}")
    rows = watch()
    assert [(status, attempts) for _, status, attempts, *_ in rows] == [("pending", 1)] * 2
    assert all(claimed_until is not None for *_, claimed_until, _ in rows)

    worker = stack.latest("worker")
    worker.kill()
    timeline(f"worker {worker.popen.pid} and its pool killed (SIGKILL)")
    smtp.stalling = False  # the server answers normally from now on
    stack.worker()
    timeline("a new worker is ready")

    time.sleep(3)  # three sweeps: a claimed page is left alone
    assert [row[1:3] for row in watch()] == [("pending", 1)] * 2
    assert smtp.messages == []

    if not LONG:
        # The short form ends the lease now instead of waiting it out.
        database.execute(
            "UPDATE incidents_notification SET claimed_until = now() - interval '1 second', "
            "created_at = created_at - %s * interval '1 second'",
            LEASE_SECONDS,
        )
        timeline("the leases made to run out")

    def sent():
        return all(row[1] == "sent" for row in watch())

    wait_until(sent, timeout=LEASE_SECONDS + 60 if LONG else 30, message="the pages")
    time.sleep(2)  # more sweeps: nothing is sent again
    timeline(f"received: {smtp.message_ids()}")
    assert sorted(smtp.message_ids()) == killed_ids
    assert [row[1:3] for row in watch()] == [("sent", 2)] * 2
