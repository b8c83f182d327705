"""A FightBack run survives a killed worker, PostgreSQL or Redis: after
recovery every due mail (abuse mail and reporter notices) reached the real
SMTP server exactly once, counted by Message-ID, none missing.

"In the middle" is placed by the SMTP server: it holds the EHLO of the 4th
delivery, so three mails are sent and marked, the 4th row is claimed with
its SMTP session open and nothing of it sent, and the rest wait in the
queue. The last test holds the end of DATA instead, the one window SMTP
leaves, and shows what a resend there is: the same message again."""

import collections
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import SourceDay
from portal.models import OutboundMail
from portal.tasks import deliver_outbox
from reports.models import AbuseReport, NetworkContact, SuspiciousPort
from reports.tasks import fightback_run
from tests.factories import UserFactory
from tests.faults.conftest import all_sent
from tests.processes import wait_for
from tests.trust_helpers import vouch

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

SOURCES = [f"45.33.32.{i}" for i in range(10, 14)]
DUE = 2 * len(SOURCES)  # one abuse mail and one opted-in reporter's notice per source


def seen_by_three():
    """Every source seen on tcp/22 by three independent reporters (the first
    opted in), within the window, in a network mailed before (no first-contact review)."""
    SuspiciousPort.objects.get_or_create(protocol="tcp", port=22)
    contact = NetworkContact.objects.create(
        netblock="45.33.0.0/17", organisation="LINODE", abuse_emails=["abuse@linode.example"]
    )
    AbuseReport.objects.create(source_ip="45.33.32.9", contact=contact, state=AbuseReport.State.IN_BULK)
    reporters = vouch(*(UserFactory(forwarding_opt_in=i == 0) for i in range(3)))
    now = timezone.now()
    for source in SOURCES:
        for i, user in enumerate(reporters):
            SourceDay.objects.create(
                day=now.date(),
                source_ip=source,
                reporter=user,
                protocol="tcp",
                target_port=22,
                events=2,
                target_ips=[f"198.51.{100 + i}.7"],
                first_seen=now - timedelta(hours=1),
                last_seen=now - timedelta(minutes=5),
            )


def sent_count() -> int:
    return OutboundMail.objects.exclude(sent_at=None).count()


def start_run_held(stack, stage: str = "EHLO"):
    seen_by_three()
    stack.smtp.hold(stage, 4)
    stack.start_worker()
    fightback_run.delay()  # what the beat does every 15 minutes
    wait_for(stack.smtp.holding.is_set, timeout=120, process=stack.worker)
    assert AbuseReport.objects.filter(state="sent").count() == len(SOURCES)
    assert OutboundMail.objects.count() == DUE


def assert_each_once(stack):
    all_sent(process=stack.worker)
    rows = set(OutboundMail.objects.values_list("message_id", flat=True))
    assert len(rows) == DUE
    wait_for(lambda: len(stack.smtp.messages) >= DUE, timeout=30)
    assert stack.smtp.message_ids() == collections.Counter(rows)  # each due mail once, none missing, none other


def test_worker_killed_between_claim_and_send(stack):
    start_run_held(stack)
    assert sent_count() == 3
    stack.kill_worker()
    stack.smtp.release()
    started = time.monotonic()
    stack.start_worker()
    # The killed task's message would come back only after the broker's
    # visibility timeout (an hour); the beat's outbox sweep sends the row now.
    deliver_outbox.delay()
    assert_each_once(stack)
    print(f"worker killed: all delivered {time.monotonic() - started:.1f} s after the restart")


def test_postgres_killed_between_claim_and_send(stack):
    start_run_held(stack)
    started = time.monotonic()
    stack.restart_postgres()  # the claim dies with the server and is rolled back
    # The worker finds the database gone when it checks its claim, before
    # sending; its task is retried until PostgreSQL is back.
    stack.smtp.release()
    assert_each_once(stack)
    print(f"postgres killed: all delivered {time.monotonic() - started:.1f} s after the kill")


def test_redis_killed_mid_run(stack):
    start_run_held(stack)
    started = time.monotonic()
    stack.redis.kill()  # the queued deliveries go with it
    stack.smtp.release()  # the 4th still goes out: it needs only the database
    wait_for(lambda: sent_count() == 4, timeout=60, process=stack.worker)
    stack.start_redis_again()  # empty
    deliver_outbox.delay()  # the beat's sweep, every minute
    assert_each_once(stack)
    print(f"redis killed: all delivered {time.monotonic() - started:.1f} s after the kill")


def test_the_one_window_resends_the_same_message(stack):
    """Killed after the server has the whole message and before the mark
    commits: the row is unsent, so the mail goes again; it is the same
    message (Message-ID, Date, text), which receivers can suppress."""
    start_run_held(stack, "DATA")
    first = stack.smtp.wait_for(4)[3]  # kept by the server, which has not answered yet
    stack.kill_worker()
    stack.smtp.release()
    assert sent_count() == 3  # the worker died before it could mark the 4th
    stack.start_worker()
    deliver_outbox.delay()
    all_sent(process=stack.worker)
    wait_for(lambda: len(stack.smtp.messages) >= DUE + 1, timeout=30)
    counts = stack.smtp.message_ids()
    again = [m for m in stack.smtp.messages if m.message["Message-ID"] == first.message["Message-ID"]]
    assert counts[first.message["Message-ID"]] == 2
    assert again[1].content == first.content
    del counts[first.message["Message-ID"]]
    assert set(counts.values()) == {1} and len(counts) == DUE - 1
