"""CR/LF in values that reach outbound mail (subjects, file names, addresses,
organisation names from RDAP) never adds a header, and never crashes a run."""

from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.utils import timezone

from incidents.mail_intake import confirm, receive_mail
from incidents.models import Submission
from portal.mail_headers import header_address, header_addresses, header_text
from reports import bulk, fightback
from reports.models import AbuseReport, BulkArrangement, NetworkContact
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INJECTED = "Bcc: victim@evil.example"


def sent_headers(message) -> dict[str, list[str]]:
    """The headers of a sent message as a mail client would parse them."""
    parsed = message_from_bytes(message.message().as_bytes(), policy=policy.default)
    return {name.lower(): [str(v) for v in parsed.get_all(name)] for name in parsed}


def test_header_text_folds_every_kind_of_line_break():
    for brk in ("\r\n", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\x00"):
        assert header_text(f"log{brk}{INJECTED}") == f"log {INJECTED}"
    assert header_text("a" * 500, limit=10) == "a" * 10
    assert header_text(None) == ""


def test_header_address_takes_one_clean_address_only():
    assert header_address(" abuse@example.org ") == "abuse@example.org"
    for bad in (f"abuse@example.org\r\n{INJECTED}", "a@example.org, b@example.org", "not an address", "", None):
        assert header_address(bad) is None
    assert header_addresses(["ok@example.org", f"x@example.org\n{INJECTED}"]) == ["ok@example.org"]


def test_a_mailed_subject_with_an_encoded_line_break_is_folded_in_the_reply():
    # RFC 2047 lets a subject decode to CR/LF; the rejection quotes the subject.
    raw = (
        b"From: someone@example.net\r\nTo: submit@localhost\r\n"
        b"Subject: =?utf-8?q?my_log=0D=0ABcc:_victim@evil.example?=\r\n"
        b"Message-ID: <inject-1@example.net>\r\n\r\nno token here\r\n"
    )
    outcome = receive_mail(raw)
    assert outcome.status == "rejected"
    assert len(mail.outbox) == 1
    headers = sent_headers(mail.outbox[0])
    assert "bcc" not in headers
    assert headers["subject"] == [f"Not accepted: my log {INJECTED}"]
    assert mail.outbox[0].recipients() == ["someone@example.net"]


def test_a_file_name_with_line_breaks_stays_in_the_body_of_the_confirmation():
    user = UserFactory()
    submission = Submission.objects.create(
        user=user, channel=Submission.Channel.MAIL, name=f"fw.log\r\n{INJECTED}\r\n\r\n<b>x</b>",
        reply_to=user.email, status=Submission.Status.DONE, accepted=3,
    )  # fmt: skip
    assert confirm(submission)
    headers = sent_headers(mail.outbox[0])
    assert "bcc" not in headers
    assert mail.outbox[0].recipients() == [user.email]
    assert INJECTED in mail.outbox[0].body


def test_a_reply_address_with_a_line_break_is_not_answered_and_nothing_crashes():
    user = UserFactory()
    submission = Submission.objects.create(
        user=user, channel=Submission.Channel.MAIL, name="fw.log", reply_to=f"{user.email}\r\n{INJECTED}",
        status=Submission.Status.DONE,
    )  # fmt: skip
    confirm(submission)
    assert mail.outbox == []


def test_an_abuse_address_with_a_line_break_fails_that_report_only():
    now = timezone.now()
    contact = NetworkContact.objects.create(asn=64510, abuse_emails=[f"abuse@example.org\r\n{INJECTED}"])
    report = AbuseReport.objects.create(source_ip="203.0.113.9", contact=contact, first_event=now, last_event=now)
    assert fightback.send(report.pk) is False
    report.refresh_from_db()
    assert report.state == AbuseReport.State.FAILED
    assert mail.outbox == []


def test_an_organisation_name_with_a_line_break_stays_in_the_bulk_subject():
    now = timezone.now()
    contact = NetworkContact.objects.create(
        asn=64511, organisation=f"Evil Net\r\n{INJECTED}", abuse_emails=["abuse@example.org"]
    )
    arrangement = BulkArrangement.objects.create(
        contact=contact, netblocks=["203.0.113.0/24"], recipients=["noc@example.org", f"x@example.org\n{INJECTED}"]
    )
    message = bulk.compose(arrangement, [], now, now)
    headers = sent_headers(message)
    assert "bcc" not in headers
    assert headers["subject"][0].startswith(f"Bulk security report for Evil Net {INJECTED}: 0 sources")
    assert message.recipients() == ["noc@example.org"]
