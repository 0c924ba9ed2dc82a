"""The daily digest of overdue action items and reviews past due, sent to a real SMTP
server: one email per person per day however many items, never twice on one day, also
when two workers run the task at once."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from threading import Barrier

import pytest
from django.db import connections

from core.outbox import outbox_deliver, outbox_kind
from incidents import services
from incidents.models import PostIncidentReview, ReviewReminder
from incidents.services import reviews
from incidents.services.review_reminders import review_reminders_queue
from oncall import services as oncall_services
from tests.factories import ServiceFactory, UserFactory, open_incident

TODAY = date(2026, 12, 10)
LATE = TODAY - timedelta(days=3)


def review_for(title, *, by, facilitator=None, due_date=None):
    incident = open_incident(ServiceFactory(), title=title, severity="SEV4")
    services.incident_resolve(incident=incident, by=by)
    return reviews.review_open(incident=incident, by=by, facilitator=facilitator, due_date=due_date)


@pytest.fixture
def people(db):
    ana = UserFactory(username="ana", email="ana@example.com", roles=["Responder"])
    bob = UserFactory(username="bob", email="", roles=["Responder"])
    oncall_services.contact_method_create(user=bob, kind="email", address="bob@pager.example")
    carol = UserFactory(username="carol", email="carol@example.com", roles=["Responder"])
    first = review_for("Checkout down", by=ana, facilitator=ana, due_date=LATE)
    second = review_for("Search slow", by=ana, facilitator=carol, due_date=TODAY + timedelta(1))
    reviews.action_item_create(review=first, by=ana, title="Add a canary", owner=ana, due_date=LATE)
    reviews.action_item_create(
        review=second, by=ana, title="Index the orders table", owner=ana, due_date=LATE
    )
    reviews.action_item_create(
        review=second, by=ana, title="Alert on p99", owner=bob, due_date=LATE
    )
    done = reviews.action_item_create(
        review=first, by=ana, title="Already done", owner=ana, due_date=LATE
    )
    reviews.action_item_update(item=done, by=ana, status="done")
    # carol's work is not late: she gets nothing.
    reviews.action_item_create(
        review=second, by=ana, title="Later", owner=carol, due_date=TODAY + timedelta(days=5)
    )
    return ana, bob, carol


def deliver_all(ids):
    kind = outbox_kind(ReviewReminder)
    return [outbox_deliver(kind=kind, row_id=pk).result for pk in ids]


@pytest.mark.django_db
def test_each_person_gets_one_digest_of_everything_overdue(people, smtp_server):
    ana, _bob, _carol = people

    ids = review_reminders_queue(today=TODAY)

    assert deliver_all(ids) == ["sent", "sent"]
    by_address = {mail.rcpt_tos[0]: mail.content.decode() for mail in smtp_server.messages}
    assert set(by_address) == {"ana@example.com", "bob@pager.example"}
    ana_mail = by_address["ana@example.com"]
    assert "2 overdue action items and 1 review past due" in ana_mail
    assert "Add a canary" in ana_mail
    assert "Index the orders table" in ana_mail
    assert "Checkout down" in ana_mail
    assert "Already done" not in ana_mail
    assert "3 days late" in ana_mail
    reminder = ReviewReminder.objects.get(user=ana)
    assert f"Message-ID: <reminder-{reminder.pk}@" in ana_mail
    assert "Alert on p99" in by_address["bob@pager.example"]


@pytest.mark.django_db
def test_never_twice_on_one_day_and_again_the_next(people, smtp_server):
    deliver_all(review_reminders_queue(today=TODAY))

    assert review_reminders_queue(today=TODAY) == []
    assert deliver_all(review_reminders_queue(today=TODAY)) == []
    assert len(smtp_server.messages) == 2

    later = review_reminders_queue(today=TODAY + timedelta(days=2))
    deliver_all(later)
    assert len(later) == 3  # carol's review is past due by then too
    assert len(smtp_server.messages) == 5


@pytest.mark.django_db
def test_a_sent_digest_is_not_sent_again_when_its_task_runs_twice(people, smtp_server):
    [first, *_] = review_reminders_queue(today=TODAY)
    kind = outbox_kind(ReviewReminder)

    assert outbox_deliver(kind=kind, row_id=first).result == "sent"
    assert outbox_deliver(kind=kind, row_id=first).result == "skipped"
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_task_at_once_write_one_digest_each(people, smtp_server):
    start = Barrier(2)

    def run():
        start.wait()
        try:
            return review_reminders_queue(today=TODAY)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: run(), range(2)))

    written = [pk for result in results for pk in result]
    assert len(written) == 2
    assert ReviewReminder.objects.count() == 2
    deliver_all(written)
    assert sorted(mail.rcpt_tos[0] for mail in smtp_server.messages) == [
        "ana@example.com",
        "bob@pager.example",
    ]


@pytest.mark.django_db
def test_nothing_overdue_sends_nothing(smtp_server):
    ana = UserFactory(username="ana", email="ana@example.com")
    review = review_for("Fine", by=ana, due_date=TODAY)
    reviews.review_publish(review=review, by=ana)

    assert review_reminders_queue(today=TODAY + timedelta(days=30)) == []
    assert PostIncidentReview.objects.get().is_published
