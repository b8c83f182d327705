import email
import email.policy
import itertools
import threading
import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.db import connections
from django.test import Client

from incidents.models import PortDay, SourceDay, Submission
from portal import outbox
from portal.models import OutboundMail, User
from reports import digests
from reports.models import AbuseReport, AbuseResponse, DigestSent, NetworkContact
from tests.factories import UserFactory
from tests.mailservers import free_port
from tests.trust_helpers import vouch

WORM = "45.33.32.156"
LONER = "45.33.32.157"
ELSEWHERE = "45.33.32.200"

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def local(tz: str, *args) -> datetime:
    return datetime(*args, tzinfo=zoneinfo.ZoneInfo(tz))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- schedule (no database)


@pytest.mark.parametrize(
    ("tz", "cadence", "now", "first", "start", "end"),
    [
        # Tokyo (+9, no DST): the local day 9 March starts at 15:00 UTC on the 8th.
        ("Asia/Tokyo", "daily", (2025, 3, 10, 7, 0), date(2025, 3, 9), utc(2025, 3, 8, 15), utc(2025, 3, 9, 15)),
        # Los Angeles: 9 March 2025 is the 23-hour day (PST -> PDT).
        (
            "America/Los_Angeles",
            "daily",
            (2025, 3, 10, 7, 0),
            date(2025, 3, 9),
            utc(2025, 3, 9, 8),
            utc(2025, 3, 10, 7),
        ),
        # Berlin, on the morning of the spring change the previous day is a normal one ...
        ("Europe/Berlin", "daily", (2025, 3, 30, 7, 0), date(2025, 3, 29), utc(2025, 3, 28, 23), utc(2025, 3, 29, 23)),
        # ... the day after, the 23-hour day ...
        ("Europe/Berlin", "daily", (2025, 3, 31, 7, 0), date(2025, 3, 30), utc(2025, 3, 29, 23), utc(2025, 3, 30, 22)),
        # ... and in autumn the 25-hour day.
        (
            "Europe/Berlin",
            "daily",
            (2025, 10, 27, 7, 0),
            date(2025, 10, 26),
            utc(2025, 10, 25, 22),
            utc(2025, 10, 26, 23),
        ),
        # Weekly: Monday 07:00 local covers the previous Monday to Sunday (here across the spring change).
        ("Europe/Berlin", "weekly", (2025, 3, 31, 7, 0), date(2025, 3, 24), utc(2025, 3, 23, 23), utc(2025, 3, 30, 22)),
        # A missed Monday catches up later in the week with the same period.
        ("Europe/Berlin", "weekly", (2025, 4, 2, 19, 0), date(2025, 3, 24), utc(2025, 3, 23, 23), utc(2025, 3, 30, 22)),
        ("Asia/Tokyo", "weekly", (2025, 3, 10, 7, 0), date(2025, 3, 3), utc(2025, 3, 2, 15), utc(2025, 3, 9, 15)),
    ],
)
def test_due_at_seven_local_with_the_right_period(tz, cadence, now, first, start, end):
    user = User(timezone=tz, digest=cadence)
    at_seven = local(tz, *now)
    period = digests.due_period(user, at_seven)
    assert period is not None
    assert (period.first_day, period.start, period.end) == (first, start, end)
    assert period.start.tzinfo == UTC
    if at_seven.hour == 7 and at_seven.minute == 0:
        assert digests.due_period(user, at_seven - timedelta(minutes=1)) is None  # 06:59 local: not yet


def test_not_due_before_seven_even_in_utc_terms_of_another_zone():
    # 22:00 UTC on 9 March is 07:00 on the 10th in Tokyo but 23:00 on the 9th in Berlin.
    now = utc(2025, 3, 9, 22)
    tokyo = User(timezone="Asia/Tokyo", digest="daily")
    berlin = User(timezone="Europe/Berlin", digest="daily")
    assert digests.due_period(tokyo, now).first_day == date(2025, 3, 9)
    # Berlin's digest for the 8th was due at 07:00 on the 9th; the 9th's is not due before 07:00 on the 10th.
    assert digests.due_period(berlin, now).first_day == date(2025, 3, 8)
    assert digests.due_period(User(digest="off"), now) is None


@pytest.mark.parametrize("tz", ["Europe/Berlin", "America/Los_Angeles", "Asia/Tokyo", "Australia/Lord_Howe"])
def test_consecutive_periods_neither_overlap_nor_skip_across_dst(tz):
    user = User(timezone=tz, digest="daily")
    periods = [digests.due_period(user, local(tz, 2025, m, d, 7, 0)) for m, d in _days(2025, 3, 1, 2025, 11, 10)]
    rollup_days = []
    for before, after in itertools.pairwise(periods):
        assert before.end == after.start
        assert after.first_day == before.first_day + timedelta(days=1)
    for period in periods:
        first, end = period.rollup_days
        rollup_days += [first + timedelta(days=i) for i in range((end - first).days)]
    assert rollup_days == [rollup_days[0] + timedelta(days=i) for i in range(len(rollup_days))]
    assert len(rollup_days) == len(periods)


def _days(y1, m1, d1, y2, m2, d2):
    day = date(y1, m1, d1)
    while day <= date(y2, m2, d2):
        yield day.month, day.day
        day += timedelta(days=1)


# --------------------------------------------------------------------------- content

# A Berlin user's daily digest for Monday 10 March 2025 (CET, +1): the period is
# [2025-03-09 23:00 UTC, 2025-03-10 23:00 UTC) and reads the rollups of UTC day 2025-03-10.
DAY = date(2025, 3, 10)
BEFORE = date(2025, 3, 9)
NOW = local("Europe/Berlin", 2025, 3, 11, 7, 0)


def source_day(user, source, day=DAY, port=22, events=1):
    when = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    SourceDay.objects.create(
        day=day,
        source_ip=source,
        reporter_id=user.pk,
        protocol="tcp",
        target_port=port,
        events=events,
        target_ips=["198.51.100.1"],
        first_seen=when,
        last_seen=when,
    )


def submission(user, at, **counts):
    sub = Submission.objects.create(user=user, name=f"log-{at:%H%M}.txt", status=Submission.Status.DONE, **counts)
    Submission.objects.filter(pk=sub.pk).update(created_at=at)
    return sub


def port_day(port, day, events):
    PortDay.objects.create(day=day, protocol="tcp", target_port=port, events=events)


@pytest.fixture
def berlin_user(db):
    return UserFactory(timezone="Europe/Berlin", digest="daily")


@pytest.fixture
def known_data(berlin_user):
    a = berlin_user
    b, c, d, e = vouch(UserFactory(), UserFactory(), UserFactory(), UserFactory())  # others who count
    submission(a, utc(2025, 3, 10, 8), lines=10, accepted=7, duplicate=1, filtered=1, rejected=1)
    submission(a, utc(2025, 3, 10, 22, 30), lines=5, accepted=5)  # 23:30 local: still the 10th
    submission(a, utc(2025, 3, 9, 22, 59), lines=100, accepted=100)  # 23:59 local on the 9th: outside
    submission(b, utc(2025, 3, 10, 9), lines=1000, accepted=1000)  # someone else's
    source_day(a, WORM, events=5)
    source_day(a, LONER, port=23, events=2)
    source_day(b, WORM)
    source_day(c, WORM)
    source_day(d, WORM, port=80)  # another port: counts only as "any port"
    source_day(e, WORM, day=BEFORE)  # the day before: outside
    source_day(a, ELSEWHERE, day=BEFORE, events=9)  # hit A the day before only
    contact = NetworkContact.objects.create(netblock="45.33.0.0/17", organisation="ExampleNet", source="admin")
    forwarded = AbuseReport.objects.create(
        source_ip=WORM, contact=contact, state="sent", sent_at=utc(2025, 3, 10, 12), events=8, reporters=4
    )
    answers = (("human", "Machine cleaned"), ("bounce", "Undeliverable"), ("automated", "Ticket #42"))
    for kind, subject in answers:
        response = AbuseResponse.objects.create(report=forwarded, kind=kind, subject=subject, verified=True)
        AbuseResponse.objects.filter(pk=response.pk).update(received_at=utc(2025, 3, 10, 15))
    # Anyone with the reply address: kept, never shown as the network's answer.
    forged = AbuseResponse.objects.create(report=forwarded, kind="human", subject="Not ours, ignore it")
    AbuseResponse.objects.filter(pk=forged.pk).update(received_at=utc(2025, 3, 10, 15))
    earlier = AbuseReport.objects.create(
        source_ip=ELSEWHERE, contact=contact, state="sent", sent_at=utc(2025, 3, 9, 12), events=9, reporters=3
    )
    late = AbuseResponse.objects.create(report=earlier, kind="human", subject="We are on it", verified=True)
    AbuseResponse.objects.filter(pk=late.pk).update(received_at=utc(2025, 3, 10, 16))
    AbuseReport.objects.create(  # about a source A never saw: not A's business
        source_ip="192.0.2.77", contact=contact, state="sent", sent_at=utc(2025, 3, 10, 13)
    )
    port_day(22, DAY, 100)
    port_day(22, BEFORE, 100)  # steady: not trending
    port_day(23, DAY, 50)
    port_day(23, BEFORE, 10)
    port_day(445, DAY, 5)
    port_day(3389, DAY, 1)
    port_day(3389, BEFORE, 30)  # falling
    return a


def test_content_against_known_data(known_data):
    period = digests.due_period(known_data, NOW)
    digest = digests.build_digest(known_data, period)
    assert period.rollup_days == (DAY, DAY + timedelta(days=1))
    assert [s.lines for s in digest.submissions] == [10, 5]
    assert digest.totals == {"lines": 15, "accepted": 12, "duplicate": 1, "filtered": 1, "rejected": 1}
    rows = {row.source_ip: row for row in digest.sources}
    assert list(rows) == [WORM, LONER]
    assert (rows[WORM].events, rows[WORM].others_same_ports, rows[WORM].others_any_port) == (5, 2, 3)
    assert (rows[LONER].others_same_ports, rows[LONER].others_any_port) == (0, 0)
    assert (digest.source_count, digest.event_count) == (2, 7)
    assert [str(r.source_ip) for r in digest.forwarded] == [WORM]
    assert [a.subject for a in digest.forwarded[0].answers] == ["Machine cleaned", "Ticket #42"]
    assert [a.subject for a in digest.answers] == ["Machine cleaned", "Ticket #42", "We are on it"]
    assert [(t.port, t.events, t.previous, t.change_percent) for t in digest.trending] == [
        (23, 50, 10, 400),
        (445, 5, 0, None),
    ]
    assert not digest.empty


def test_mail_renders_the_content_with_headers(known_data, settings):
    settings.SITE_URL = "https://portal.example"
    assert digests.send_due_digests(NOW)["sent"] == 1
    assert mail.outbox == []  # in the outbox, with the period's claim
    assert outbox.deliver() == 1
    [message] = mail.outbox
    assert message.to == [known_data.email]
    text = message.body
    assert "Monday, 10 March 2025 (Europe/Berlin)" in text
    assert "2 logs received: 15 lines, 12 accepted, 1 duplicate, 1 filtered, 1 rejected." in text
    assert "- 2025-03-10 23:30 log-2230.txt" in text  # local time
    assert f"- {WORM}: 5 events on 22; seen by 2 others on the same ports (3 on any port)" in text
    assert f"- {WORM} to ExampleNet, 2025-03-10 13:00" in text
    assert "answer (Human): Machine cleaned" in text
    assert "We are on it" in text
    assert "Not ours" not in text  # an unverified reply
    assert "- tcp/23: 50 events, 10 before (+40, +400%)" in text
    assert "The full report: https://portal.example/" in text
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "<code>45.33.32.156</code>" in html and "tcp/23" in html and "Machine cleaned" in html
    assert 'href="https://portal.example/"' in html
    assert "<link" not in html and "<script" not in html and "<img" not in html  # self-contained
    token = digests.unsubscribe_token(known_data)
    assert message.extra_headers["List-Unsubscribe"] == f"<https://portal.example/digest/unsubscribe/{token}/>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Unsubscribe"].strip().startswith("<https://portal.example/digest/unsubscribe/")
    row = DigestSent.objects.get(user=known_data)
    assert (row.cadence, row.period_start, row.period_end, row.empty) == (
        "daily",
        utc(2025, 3, 9, 23),
        utc(2025, 3, 10, 23),
        False,
    )
    assert row.sent_at == NOW


def test_not_sent_at_six_fifty_nine_local(known_data):
    assert digests.send_due_digests(NOW - timedelta(minutes=1)) == {"sent": 0, "empty": 0, "skipped": 0, "failed": 0}
    assert outbox.deliver() == 0 and mail.outbox == []
    assert digests.send_due_digests(NOW)["sent"] == 1
    outbox.deliver()
    assert "Monday, 10 March 2025" in mail.outbox[0].subject


def test_running_twice_sends_one_mail(known_data):
    digests.send_due_digests(NOW)
    assert digests.send_due_digests(NOW + timedelta(minutes=15))["sent"] == 0
    # Even a run that has not seen the claim yet is stopped by the constraint.
    period = digests.due_period(known_data, NOW)
    assert digests.send_digest(known_data, period, NOW) == "skipped"
    assert outbox.deliver() == 1
    assert len(mail.outbox) == 1
    assert DigestSent.objects.filter(user=known_data).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_one_mail():
    user = UserFactory(timezone="Asia/Tokyo", digest="daily")
    now = local("Asia/Tokyo", 2025, 3, 11, 7, 0)
    submission(user, local("Asia/Tokyo", 2025, 3, 10, 12, 0), lines=3, accepted=3)
    [(_, period)] = digests.due_digests(now)
    barrier = threading.Barrier(4)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(digests.send_digest(user, period, now))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert outbox.deliver() == 1
    assert len(mail.outbox) == 1
    assert DigestSent.objects.get(user=user).sent_at == now


def test_empty_period_records_and_sends_nothing(berlin_user):
    submission(berlin_user, utc(2025, 3, 9, 12), lines=4)  # the day before
    assert digests.send_due_digests(NOW) == {"sent": 0, "empty": 1, "skipped": 0, "failed": 0}
    assert outbox.deliver() == 0 and mail.outbox == []
    row = DigestSent.objects.get(user=berlin_user, period_start=utc(2025, 3, 9, 23))
    assert row.empty and row.sent_at is None
    assert digests.send_due_digests(NOW + timedelta(hours=1))["empty"] == 0  # not looked at again


def test_only_digest_users_with_a_verified_address(db):
    UserFactory(digest="off")
    UserFactory(digest="daily", verified=False)
    UserFactory(digest="weekly", is_active=False)
    wanted = UserFactory(digest="weekly")
    assert [u for u, _ in digests.due_digests(utc(2025, 3, 10, 7))] == [wanted]


def test_a_failed_delivery_keeps_the_mail_until_it_goes(known_data, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    assert digests.send_due_digests(NOW)["sent"] == 1
    assert outbox.deliver() == 0  # nothing listens there
    row = OutboundMail.objects.get()
    assert (row.attempts, row.sent_at) == (1, None) and row.last_error
    assert digests.send_due_digests(NOW + timedelta(minutes=15))["sent"] == 0  # the period stays claimed
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboundMail.objects.update(next_attempt_at=row.created_at)  # its backoff is over
    assert outbox.deliver() == 1
    assert outbox.deliver() == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == row.message_id


# --------------------------------------------------------------------------- unsubscribe


def test_unsubscribe_with_the_signed_link(berlin_user):
    client = Client(enforce_csrf_checks=True)  # as a mail client posts: no CSRF token, no session
    url = f"/digest/unsubscribe/{digests.unsubscribe_token(berlin_user)}/"
    page = client.get(url)
    assert page.status_code == 200 and b'data-testid="unsubscribe"' in page.content
    berlin_user.refresh_from_db()
    assert berlin_user.digest == "daily"  # a GET (a link scanner) changes nothing
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and b'data-testid="done"' in response.content
    berlin_user.refresh_from_db()
    assert berlin_user.digest == "off"
    assert digests.due_digests(NOW) == []


def test_tampered_unsubscribe_link_is_refused(berlin_user):
    other = UserFactory(digest="daily")
    token = digests.unsubscribe_token(berlin_user)
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    client = Client(enforce_csrf_checks=True)
    assert client.post(f"/digest/unsubscribe/{forged}/").status_code == 404
    assert client.get(f"/digest/unsubscribe/{forged}/").status_code == 404
    # Another salt's signature of the same id is not accepted either.
    from django.core import signing

    assert client.post(f"/digest/unsubscribe/{signing.dumps(other.pk)}/").status_code == 404
    berlin_user.refresh_from_db()
    other.refresh_from_db()
    assert (berlin_user.digest, other.digest) == ("daily", "daily")


# --------------------------------------------------------------------------- real SMTP


def test_delivered_over_smtp_as_multipart_alternative(known_data, smtp_mail_settings, smtp_server):
    assert digests.send_due_digests(NOW)["sent"] == 1
    assert outbox.deliver() == 1
    [received] = smtp_server.wait_for(1)
    assert received.recipients == [known_data.email]
    message = received.message
    assert "10 March 2025" in message["Subject"]
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert WORM in message.get_body(("plain",)).get_content()
    assert "<code>45.33.32.156</code>" in message.get_body(("html",)).get_content()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/digest/unsubscribe/" in message["List-Unsubscribe"]
