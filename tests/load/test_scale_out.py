"""Scale-out as docs/deploy.md describes it: two web processes and two Celery workers (and
one beat) on one PostgreSQL database and one Redis. Deliveries of the same alert groups
and of different ones, and incidents opened by hand through the API, go to both web
processes at once: incident numbers stay unique with no request failing over one, every
accepted alert is stored once and every page written and sent once."""

import pytest

from tests.load.support import load, postgres_and_redis, private_redis_db, short
from tests.support import database_url_of_test_db


@pytest.mark.django_db(transaction=True)
def test_two_web_processes_and_two_workers_share_one_database_and_redis(tmp_path):
    redis_url = postgres_and_redis()
    options = short(
        web_processes=2,
        clients=6,
        groups=2,  # few groups, so both web processes receive the same ones at once
        creations=True,
        weights={
            "alertmanager": 30,
            "pagerduty": 15,
            "create": 30,
            "acknowledge": 10,
            "list": 5,
            "detail": 5,
            "bare": 5,
        },
    )
    with private_redis_db(redis_url) as private:
        outcome = load.run(
            options,
            database_url=database_url_of_test_db(),
            redis_url=private,
            var_dir=tmp_path,
            migrate=False,
        )
    print(outcome.report)
    figures = outcome.figures
    # Unique numbers, one open incident per group, alerts and pages once: the checks.
    assert outcome.failures == [], outcome.report
    # Both web processes received alerts and opened incidents by hand.
    for kinds in figures["requests_per_web"].values():
        assert kinds.get("alertmanager", 0) >= 2, figures["requests_per_web"]
        assert kinds.get("create", 0) >= 2, figures["requests_per_web"]
    # Not one answer was a 5xx (a lost race on a number would be one), nor went missing.
    assert figures["errors"] == {}, outcome.report
    assert figures["number_gaps"] == []
