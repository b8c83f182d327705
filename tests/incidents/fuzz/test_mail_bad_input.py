"""Mail intake against malformed mail, through receive_mail (what the
ingest_mail pipe and the IMAP poll call) and through the ingest_mail command
itself: broken multipart boundaries, bad base64 and quoted-printable,
unknown charsets, nested messages, huge, missing and non-ASCII headers,
attachments with odd names. Never a traceback; a refused message creates
nothing; an accepted one only sane submissions, which ingest whole or not
at all."""

import base64
import gzip
import io
import subprocess
import sys

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from incidents.mail_intake import receive_mail
from incidents.models import InboundMail, RejectionNotice, Submission
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line, mail_message
from tests.processes import ROOT, child_env

from .counting import heavy, tried
from .test_ingest_bad_input import ingested

pytestmark = pytest.mark.django_db
OUTCOMES = {"accepted", "rejected", "ignored", "duplicate", "response"}

header_values = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "=?utf-8?q?caf=C3=A9_=00_nul?=",
            "=?x-unknown-charset?q?abc?=",
            "=?utf-8?b?!!!notbase64?=",
            "=?iso-8859-1?q?Gr=FC=DFe?=",
            "x" * 20000,
            "",
            "a\x00b",
            "\u00e9t\u00e9 \u65e5\u672c",
        ]
    ),
)
filenames = st.sampled_from(
    [
        'filename="../../etc/passwd"',
        'filename="fw\x00.log"',
        "filename*=utf-8''fw%00x.log",
        "filename*=x-bogus''%FF%FE.log",
        'filename="=?utf-8?q?=E6=97=A5=00.log?="',
        'filename="' + "y" * 400 + '.log"',
        'filename="C:\\\\logs\\\\fw.log"',
        "filename=",
        'filename="fw.log.gz"',
    ]
)
charsets = st.sampled_from(["utf-8", "x-unknown", "utf-16", "iso-8859-1", "", 'utf-8"; x="'])
encodings = st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "bogus", ""])


def body_bytes(text: bytes, encoding: str, broken: bool) -> bytes:
    if encoding == "base64":
        data = base64.encodebytes(text)
        return data[: len(data) // 2] + b"!!==\xff" if broken else data
    if encoding == "quoted-printable":
        return text.replace(b"=", b"=3D") + (b"=ZZ=\r\n=" if broken else b"")
    return text


@st.composite
def messages(draw, user, log: bytes) -> bytes:
    """A message to ``user``'s submission address, put together wrong in any of the usual ways."""
    headers = []
    if draw(st.integers(0, 5)):  # now and then no From at all
        headers.append(b"From: " + (user.email.encode() if draw(st.booleans()) else draw(header_values).encode()))
    if draw(st.integers(0, 4)):
        headers.append(b"To: " + user.submit_address.encode())
    for name in draw(st.lists(st.sampled_from(["Subject", "Message-ID", "Cc", "Date", "Content-Type"]), max_size=3)):
        headers.append(name.encode() + b": " + draw(header_values).encode("utf-8", errors="surrogateescape"))
    if draw(st.booleans()):
        headers.append(b"Subject: \xe9t\xe9 raw 8-bit \xff")
    encoding, charset, broken = draw(encodings), draw(charsets), draw(st.booleans())
    part = (
        f'Content-Type: text/plain; charset="{charset}"\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n'.encode()
        + body_bytes(log, encoding, broken)
    )
    kind = draw(st.sampled_from(["single", "multipart", "nested", "attachment"]))
    boundary = draw(st.sampled_from(["b1", "", "x" * 200, 'b1"; junk']))
    closing = draw(st.sampled_from([f"\r\n--{boundary}--\r\n", "", f"\r\n--{boundary}\r\n", "\r\n--other--\r\n"]))
    if kind == "single":
        return b"\r\n".join(headers) + b"\r\n" + part
    if kind == "nested":
        inner = b"From: " + user.email.encode() + b"\r\nSubject: inner\r\n" + part
        payload = b"Content-Type: message/rfc822\r\n\r\n" + inner
    elif kind == "attachment":
        data = gzip.compress(log) if draw(st.booleans()) else log
        payload = (
            f"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; {draw(filenames)}\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n".encode("utf-8", errors="surrogateescape")
            + body_bytes(data, "base64", broken)
        )
    else:
        payload = part
    top = f'Content-Type: multipart/mixed; boundary="{boundary}"\r\nMIME-Version: 1.0\r\n'.encode()
    return b"\r\n".join(headers) + b"\r\n" + top + f"\r\n--{boundary}\r\n".encode() + payload + closing.encode()


@pytest.fixture
def sender():
    return UserFactory()


@heavy(0.4)
@given(data=st.data())
def test_malformed_mail_is_answered_and_refusals_create_nothing(sender, recent, data):
    raw = data.draw(messages(sender, iptables_line(recent).encode() * 2))
    before = Submission.objects.count()
    outcome = receive_mail(raw)
    assert outcome.status in OUTCOMES, outcome
    created = Submission.objects.count() - before
    if outcome.status == "accepted":
        assert created == len(outcome.submissions) >= 1
        for submission in outcome.submissions:
            assert "\x00" not in submission.name and len(submission.name) <= 255
            ingested(submission)
    else:
        assert created == 0 and not outcome.submissions
    assert receive_mail(raw).status == "duplicate"  # and never processed twice
    tried("mail.malformed")


@heavy(0.4)
@given(data=st.binary(max_size=800))
def test_arbitrary_bytes_on_the_pipe_are_answered(sender, data, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    before = Submission.objects.count()
    call_command("ingest_mail")
    status = capsys.readouterr().out.split(":")[0].split()[0]
    assert status in OUTCOMES
    assert Submission.objects.count() == before  # no token, no known sender: nothing taken
    tried("mail.pipe.bytes")


@pytest.mark.django_db(transaction=True)
def test_the_worst_messages_through_a_real_pipe(recent):
    user = UserFactory()
    log = iptables_line(recent).encode()
    worst = [
        # NUL in the subject, the sender's name and an attachment's name; 8-bit raw headers.
        b"From: =?utf-8?q?N=00L?= <" + user.email.encode() + b">\r\nTo: " + user.submit_address.encode() + b"\r\n"
        b"Subject: =?utf-8?q?a=00b?= \xe9\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''fw%00.log\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(log)
        + b"--b1--\r\n",
        # A boundary that never comes, an unknown charset and broken quoted-printable.
        b"From: " + user.email.encode() + b"\r\nTo: " + user.submit_address.encode() + b"\r\n"
        b"Content-Type: multipart/mixed; boundary=nowhere\r\n\r\n--elsewhere\r\n"
        b"Content-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        + log
        + b"=ZZ=\r\n",
        b"\x00\xff\xfe garbage, not a message at all",
    ]
    said = []
    for raw in worst:
        result = subprocess.run(
            [sys.executable, "manage.py", "ingest_mail"],
            input=raw,
            cwd=ROOT,
            env=child_env(),
            capture_output=True,
            timeout=120,
        )
        assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr.decode()
        said.append(result.stdout.decode().splitlines()[0].split(":")[0])
    # NUL in the names once made the first a "temporary failure" (exit 75) the MTA would retry for ever.
    assert said == ["accepted", "rejected", "ignored"]  # the last has no sender to answer
    assert InboundMail.objects.count() == len(worst)
    names = sorted(Submission.objects.filter(user=user).values_list("name", flat=True))
    assert names == ["fw.log"]


def test_a_from_that_is_no_address_is_refused_without_a_reply():
    # Found by the fuzzer: RejectionNotice.sender (254 characters) refused it, and the
    # DataError made ingest_mail answer "temporary failure" for ever.
    outcome = receive_mail(b"From: " + b"x" * 300 + b"\r\nTo: submit@localhost\r\nSubject: logs\r\n\r\nbody\r\n")
    assert outcome.status == "rejected"
    assert not RejectionNotice.objects.exists() and not Submission.objects.exists()


def test_an_attachment_name_loses_its_path_and_a_subject_keeps_its_slashes(recent):
    user = UserFactory()
    attachments = [("../../etc/fw.log", b"x\n"), ("C:\\logs\\fw2.log", b"y\n")]
    raw = mail_message(user, subject="fw logs 11/22", body=iptables_line(recent), attachments=attachments)
    outcome = receive_mail(raw)
    assert sorted(s.name for s in outcome.submissions) == ["fw logs 11/22", "fw.log", "fw2.log"]


def test_a_sender_that_decodes_to_nul_is_looked_up_without_a_database_error(sender, recent):
    # Found by the fuzzer: the look-up of a verified address with NUL in it raised DataError,
    # which ingest_mail reports as a temporary failure (exit 75): retried for ever.
    raw = f"From: =??Q?=00\r\nTo: {sender.submit_address}\r\n\r\n{iptables_line(recent)}".encode()
    assert receive_mail(raw).status == "ignored"  # no sender left: as if there were no From
    assert not Submission.objects.exists()
