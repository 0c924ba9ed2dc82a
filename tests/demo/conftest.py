"""The demo's tests share one seeded database. ``seed_demo`` takes seconds, so it runs once
for this package, inside a transaction that is rolled back when the package is done: each
test's own savepoint nests in it (what a test changes, seeding again included, is undone
after it), and no test outside this package sees the demo data."""

from dataclasses import dataclass
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings


@dataclass(frozen=True)
class DemoSeed:
    output: str  # what the first ``seed_demo`` printed
    mail: list  # what it sent through Django's mail


@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker):
    """The database as the first ``seed_demo`` leaves it, and what that run printed and
    mailed. Not for ``transaction=True`` tests: their flush would empty it."""
    out = StringIO()
    with django_db_blocker.unblock(), transaction.atomic():
        mail.outbox = []
        # Seeded before the per-test fixtures run: hash demo passwords as they would.
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            call_command("seed_demo", stdout=out)
        # Check the seed's foreign keys now, once: PostgreSQL would otherwise check all of
        # them again as each test ends (in its savepoint, rolled back with it).
        connection.check_constraints()
        yield DemoSeed(output=out.getvalue(), mail=list(mail.outbox))
        transaction.set_rollback(True)
