"""Ingest survives a killed PostgreSQL or Redis: after recovery every
submission is done with the counts of a clean run and no event twice.
(The killed worker is tests/incidents/test_worker.py.)

"Mid-ingest" is observed, not guessed: the worker records its progress in
the cache every 50,000 stored rows, and the kill comes once it has, with
three quarters of the log still to go."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache

from incidents.ingest import ingest_submission, progress_key, requeue_stalled
from incidents.models import Event, SourceDay, Submission
from incidents.tasks import ingest_submission as ingest_task
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line
from tests.processes import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

BIG, SMALL = 120_000, 2_000  # progress is recorded every 50,000 rows


def mixed_log(recent, n: int, first_octet: int) -> tuple[str, dict]:
    """``n`` distinct public sources, with private sources (filtered), junk
    (rejected) and repeated lines (duplicate) among them; and those counts."""
    lines, expected = [], {"accepted": 0, "duplicate": 0, "filtered": 0, "rejected": 0}
    for i in range(n):
        when = recent - timedelta(seconds=i % 3600)
        line = iptables_line(when, src=f"{first_octet}.{i >> 16}.{(i >> 8) & 255}.{i & 255}")
        lines.append(line)
        expected["accepted"] += 1
        if i % 500 == 0:
            lines.append(line)
            expected["duplicate"] += 1
        if i % 100 == 0:
            lines.append(iptables_line(when, src=f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}"))
            expected["filtered"] += 1
        if i % 1000 == 0:  # older than EVENT_MAX_AGE_DAYS: rejected, with that reason
            lines.append(iptables_line(when - timedelta(days=40), src=f"{first_octet}.250.{i >> 8 & 255}.{i & 255}"))
            expected["rejected"] += 1
    expected["lines"] = len(lines)
    return "".join(lines), expected


def counts(sub: Submission) -> dict:
    sub.refresh_from_db()
    return {k: getattr(sub, k) for k in ("lines", "accepted", "duplicate", "filtered", "rejected")}


def queue_three(submit, recent):
    """One big log (the one hit mid-ingest) and two small ones queued behind it."""
    logs = [mixed_log(recent, BIG, 45), mixed_log(recent, SMALL, 46), mixed_log(recent, SMALL, 47)]
    subs = [submit(UserFactory(), text=text, run=False) for text, _ in logs]
    return subs, [expected for _, expected in logs], logs[1][0]


def all_done(subs):
    return all(Submission.objects.get(pk=s.pk).status == Submission.Status.DONE for s in subs)


def assert_exact(subs, expected):
    for sub, want in zip(subs, expected, strict=True):
        assert counts(sub) == want
        # No event twice: the table holds each kept or filtered event once, the rollups each kept one once.
        assert Event.objects.filter(reporter=sub.user_id).count() == want["accepted"] + want["filtered"]
        assert sum(SourceDay.objects.filter(reporter=sub.user_id).values_list("events", flat=True)) == want["accepted"]


def wait_mid_ingest(stack, sub):
    wait_for(lambda: (cache.get(progress_key(sub.pk)) or {}).get("lines", 0) > 0, timeout=180, process=stack.worker)
    # Parsing, and nothing committed yet: the kill lands inside the ingest's transaction.
    assert Submission.objects.get(pk=sub.pk).status == Submission.Status.PARSING
    assert not Event.objects.filter(reporter=sub.user_id).exists()


def test_postgres_killed_mid_ingest_is_retried_to_exact_counts(stack, submit, recent):
    subs, expected, small_text = queue_three(submit, recent)
    stack.start_worker()
    wait_mid_ingest(stack, subs[0])

    started = time.monotonic()
    stack.restart_postgres()  # SIGKILL to every PostgreSQL process, then crash recovery
    restarted = time.monotonic()
    # The task sees the connection die mid-COPY, nothing of the submission
    # was committed, and it is retried (with backoff) until the database is back.
    wait_for(lambda: all_done(subs), timeout=180, process=stack.worker, step=0.2)
    print(f"postgres restart {restarted - started:.1f} s, all done {time.monotonic() - started:.1f} s after the kill")
    assert_exact(subs, expected)
    # And the expected counts are a clean run's: the same small log, ingested without faults.
    clean = submit(UserFactory(), text=small_text, run=False)
    ingest_submission(clean.pk)
    assert counts(clean) == expected[1]


def test_redis_killed_mid_ingest_loses_no_submission(stack, submit, recent):
    subs, expected, _ = queue_three(submit, recent)
    stack.start_worker()
    wait_mid_ingest(stack, subs[0])

    started = time.monotonic()
    stack.redis.kill()  # the broker and the cache; the small logs' queued tasks go with it
    # The ingest carries on without the cache (progress is a courtesy) and commits.
    wait_for(lambda: all_done(subs[:1]), timeout=180, process=stack.worker, step=0.2)
    stack.start_redis_again()  # empty: no persistence
    assert [Submission.objects.get(pk=s.pk).status for s in subs[1:]] == ["queued", "queued"]
    # What the beat's stalled-submission sweep does (for submissions over 10 minutes old).
    assert requeue_stalled(ingest_task.delay, older_than_minutes=0) == 2
    wait_for(lambda: all_done(subs), timeout=180, process=stack.worker, step=0.2)
    print(f"all done {time.monotonic() - started:.1f} s after the kill")
    assert_exact(subs, expected)
