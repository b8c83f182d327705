"""A digest run survives a killed worker, PostgreSQL or Redis: after recovery
every due digest reached the real SMTP server exactly once, counted by
Message-ID, none missing.

"In the middle" is placed with a database lock: the test holds an
uncommitted claim (a DigestSent row) for the 3rd of five users, so the
worker's run commits the first two digests with their mail, then waits on
that row's unique key; the kill comes while it waits."""

import collections
import time
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest

from incidents.models import Submission
from portal.models import OutboundMail
from portal.tasks import deliver_outbox
from reports import digests
from reports.models import DigestSent
from reports.tasks import send_digests
from tests.factories import UserFactory
from tests.faults.conftest import all_sent
from tests.processes import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

USERS = 5
BLOCKED = 2  # index of the user whose claim the test holds


def local_zone(now: datetime) -> str:
    """A zone where it is past 07:00 and not near midnight: digests are due and stay due for the test."""
    for name in ("UTC", "Asia/Tokyo", "Europe/Berlin", "America/New_York", "Pacific/Auckland", "America/Los_Angeles"):
        if 8 <= now.astimezone(zoneinfo.ZoneInfo(name)).hour <= 22:
            return name
    raise AssertionError("no zone found")  # the six cover every hour of the day


def digest_users():
    now = datetime.now(UTC)
    zone = local_zone(now)
    users = [UserFactory(timezone=zone, digest="daily") for _ in range(USERS)]
    for user in users:
        period = digests.due_period(user, now)
        sub = Submission.objects.create(user=user, name="nightly.log", status="done", lines=3, accepted=3)
        Submission.objects.filter(pk=sub.pk).update(created_at=period.start + timedelta(hours=12))
    return users, period


def hold_claim(stack, user, period):
    """Take the user's claim in an open transaction of our own; return the connection."""
    lock = stack.postgres.connect(database_name(), autocommit=False)
    lock.execute(
        "INSERT INTO reports_digestsent (user_id, cadence, period_start, period_end, empty)"
        " VALUES (%s, %s, %s, %s, false)",
        [user.pk, period.cadence, period.start, period.end],
    )
    return lock


def database_name() -> str:
    from django.db import connection

    return connection.settings_dict["NAME"]


def worker_waits_on_a_lock(stack) -> bool:
    with stack.postgres.connect(database_name()) as db:
        return db.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()[0]


def start_run_held(stack):
    users, period = digest_users()
    lock = hold_claim(stack, users[BLOCKED], period)
    stack.start_worker()
    send_digests.delay()  # what the beat does every 15 minutes
    wait_for(lambda: worker_waits_on_a_lock(stack), timeout=120, process=stack.worker, step=0.1)
    # The first two are committed with their mail; the third waits; two more to come.
    assert DigestSent.objects.exclude(sent_at=None).count() == BLOCKED
    assert OutboundMail.objects.filter(kind="digest").count() == BLOCKED
    return users, lock


def assert_each_once(stack, users):
    wait_for(lambda: DigestSent.objects.exclude(sent_at=None).count() == USERS, timeout=120, step=0.2)
    all_sent(process=stack.worker)
    rows = OutboundMail.objects.filter(kind="digest")
    assert sorted(r.recipients[0] for r in rows) == sorted(u.email for u in users)
    wait_for(lambda: len(stack.smtp.messages) >= USERS, timeout=30)
    assert stack.smtp.message_ids() == collections.Counter(r.message_id for r in rows)


def test_worker_killed_mid_run(stack):
    users, lock = start_run_held(stack)
    stack.kill_worker()
    lock.rollback()
    lock.close()
    started = time.monotonic()
    stack.start_worker()
    send_digests.delay()  # the beat's next run takes the periods still free
    assert_each_once(stack, users)
    print(f"worker killed: all delivered {time.monotonic() - started:.1f} s after the restart")


def test_postgres_killed_mid_run(stack):
    users, lock = start_run_held(stack)
    started = time.monotonic()
    stack.restart_postgres()  # the waiting claim and ours die with it; the run fails the rest
    lock.close()
    # The first two digests' deliveries are retried until PostgreSQL is back;
    # the beat's next run takes the periods still free.
    send_digests.delay()
    assert_each_once(stack, users)
    print(f"postgres killed: all delivered {time.monotonic() - started:.1f} s after the kill")


def test_redis_killed_mid_run(stack):
    users, lock = start_run_held(stack)
    started = time.monotonic()
    stack.redis.kill()  # the first two digests' delivery tasks go with it
    lock.rollback()  # the run goes on: the database is there
    lock.close()
    wait_for(lambda: DigestSent.objects.exclude(sent_at=None).count() == USERS, timeout=120, step=0.2)
    stack.start_redis_again()  # empty
    deliver_outbox.delay()  # the beat's outbox sweep
    assert_each_once(stack, users)
    print(f"redis killed: all delivered {time.monotonic() - started:.1f} s after the kill")
