"""The load benchmark's checks, short: web, workers and beat under concurrent alert storms,
PagerDuty events, reads and acknowledgements; then every accepted alert is stored once,
every due escalation step paged each person's contact methods once, and no valid request
was refused (bench/load.py has the long form)."""

import pytest

from tests.load.support import load, postgres_and_redis, private_redis_db, short
from tests.support import database_url_of_test_db


def assert_passed(outcome):
    print(outcome.report)
    assert outcome.failures == [], outcome.report
    figures = outcome.figures
    # The run did what it is for: storms were accepted, incidents opened and paged.
    assert figures["alerts_accepted"] > 0
    assert figures["incidents"] > 0
    assert figures["pages"] > 0
    assert figures["pages_received"] == figures["pages"]
    assert {"alertmanager", "pagerduty", "list", "acknowledge"} <= set(figures["kinds"])


@pytest.mark.django_db(transaction=True)
def test_load_on_postgresql_and_redis(tmp_path):
    redis_url = postgres_and_redis()
    with private_redis_db(redis_url) as private:
        outcome = load.run(
            short(),
            database_url=database_url_of_test_db(),
            redis_url=private,
            var_dir=tmp_path,
            migrate=False,
        )
    assert_passed(outcome)


def test_load_on_the_embedded_default(tmp_path):
    # As `make run` starts it: SQLite and the filesystem broker, one worker, gunicorn's
    # default workers. Its broker hands the worker about two tasks a second: a lower
    # rate and fewer groups, so fewer incidents and pages to wait for.
    options = short(
        seconds=3,
        rate=12,
        web_workers=None,
        celery_workers=1,
        services=1,
        groups=2,
        pagerduty_keys=1,
    )
    outcome = load.run(options, database_url=None, redis_url=None, var_dir=tmp_path)
    assert_passed(outcome)
    assert outcome.figures["locked_in_logs"] == {}
    # Pages go out within seconds of being written, not when the filesystem broker's
    # once-a-second poll gets round to them (median, seconds).
    assert outcome.figures["page_delay"][0] < 10, outcome.report
