"""Mail exactly as DShield's framework clients write it (iptables.pl and its
kin print these lines to sendmail -t), sent to the user's submission address
from a verified one: no MIME headers, the subject saying format and zone."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from incidents.dshield_client import offset_zone, subject_options
from incidents.mail_intake import receive_mail
from incidents.models import Event, InboundMail
from incidents.tasks import ingest_submission
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VERSION = "DShield Framework 2013-05-17 IPTABLES 2013-05-17"


def framework_mail(to, sender, fmt, tz, lines) -> bytes:
    # As the framework's print MAIL statements, byte for byte.
    return f"To: {to}\nFrom: {sender}\nSubject: FORMAT {fmt} USERID 12345 TZ {tz} VERSION {VERSION}\n\n{lines}".encode()


def dshield_line(when: datetime, tz: str, src: str, dpt: int) -> str:
    return f"{when:%Y-%m-%d %H:%M:%S} {tz}\t12345\t1\t{src}\t51234\t198.51.100.7\t{dpt}\t6\tS\n"


def test_dshield_format_mail_is_ingested_with_exact_counts(recent):
    user = UserFactory(timezone="Europe/Berlin")
    local = recent.astimezone(timezone(timedelta(hours=-5)))
    lines = dshield_line(local, "-05:00", "45.33.32.156", 22) + dshield_line(local, "-05:00", "45.33.32.157", 23)
    lines += "not a dshield line\n"
    outcome = receive_mail(framework_mail(user.submit_address, user.email, "DSHIELD", "-05:00", lines))
    assert outcome.status == "accepted", outcome.reason
    (submission,) = outcome.submissions
    assert (submission.declared_format, submission.timezone) == ("dshield", "Etc/GMT+5")
    ingest_submission(submission.pk)
    submission.refresh_from_db()
    assert (submission.status, submission.lines, submission.accepted, submission.rejected) == ("done", 3, 2, 1)
    assert set(Event.objects.filter(reporter=user).values_list("time", flat=True)) == {recent}


def test_native_iptables_mail_is_read_in_the_subjects_zone(recent):
    from tests.incidents.conftest import iptables_line

    user = UserFactory(timezone="Europe/Berlin")
    local = recent.astimezone(timezone(timedelta(hours=-5))).replace(tzinfo=None)
    outcome = receive_mail(framework_mail(user.submit_address, user.email, "IPTABLES", "-05:00", iptables_line(local)))
    (submission,) = outcome.submissions
    assert submission.declared_format == "iptables"
    ingest_submission(submission.pk)
    # Read as -05:00, as the client said, not in the profile's Berlin time.
    assert list(Event.objects.filter(reporter=user).values_list("time", flat=True)) == [recent]


def test_token_on_a_pfsense_style_subject(recent):
    user = UserFactory()
    local = recent.astimezone(timezone(timedelta(hours=1)))
    raw = (
        f"To: submit@localhost\nFrom: {user.email}\n"
        f"Subject: FORMAT DSHIELD USERID 12345 TZ +01:00 AUTHKEY {user.submit_token} PFSENSE\n\n"
        + dshield_line(local, "+01:00", "45.33.32.156", 22)
    ).encode()
    outcome = receive_mail(raw)
    assert outcome.status == "accepted"
    ingest_submission(outcome.submissions[0].pk)
    assert Event.objects.filter(reporter=user).count() == 1
    # A key on the subject is not kept in the mail ledger.
    assert InboundMail.objects.get().subject == "FORMAT DSHIELD USERID 12345 TZ +01:00 AUTHKEY [redacted] PFSENSE"


def test_framework_mail_from_an_unverified_address_is_refused(recent):
    user = UserFactory()
    raw = framework_mail(user.submit_address, "cron@router.example", "DSHIELD", "+00:00", "x\n")
    assert receive_mail(raw).status == "rejected"


@pytest.mark.parametrize(
    ("subject", "fmt", "zone"),
    [
        (f"FORMAT DSHIELD USERID 0 TZ -05:00 VERSION {VERSION}", "dshield", "Etc/GMT+5"),
        ("FORMAT DSHIELD USERID 0 TZ +0100 OSSEC2dshield 1.0", "dshield", "Etc/GMT-1"),
        ("FORMAT DSHIELD USERID  7  TZ +00:00", "dshield", "UTC"),
        ("FORMAT IPTABLES USERID 0 TZ +05:30 VERSION x", "iptables", None),  # no fixed-offset zone name
        ("FORMAT IPCHAINS USERID 0 TZ UTC", "", "UTC"),  # a format we recognise from the lines
        ("firewall log", "", None),
    ],
)
def test_subject_options(subject, fmt, zone):
    assert (subject_options(subject).format, subject_options(subject).timezone) == (fmt, zone)


def test_offset_zones_have_the_offset():
    when = datetime(2026, 7, 1, 12, tzinfo=UTC)
    from zoneinfo import ZoneInfo

    for text, hours in (("-05:00", -5), ("+0900", 9), ("+14:00", 14), ("-12:00", -12)):
        assert when.astimezone(ZoneInfo(offset_zone(text))).utcoffset() == timedelta(hours=hours)
