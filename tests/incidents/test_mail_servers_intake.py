"""Mail intake against real servers on loopback: Dovecot for the mailbox,
aiosmtpd for the replies, and the ingest_mail command as an MTA pipe."""

import subprocess
import sys

import pytest

from incidents.mail_intake import receive_mail
from incidents.mailbox import poll
from incidents.models import InboundMail, Submission
from portal import outbox
from tests.factories import UserFactory
from tests.incidents.conftest import iptables_line
from tests.incidents.conftest import mail_message as message
from tests.processes import ROOT, child_env

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(imap_server, settings):
    settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_SSL = imap_server.host, imap_server.port, False
    settings.IMAP_USER, settings.IMAP_PASSWORD = imap_server.user, imap_server.password
    return imap_server


def seen(imap_server):
    return ["\\Seen" in str(flags) for _, flags, _ in imap_server.messages()]


def test_polling_takes_logs_and_marks_mail_processed(mailbox, recent, smtp_mail_settings, smtp_server):
    user = UserFactory()
    mailbox.deliver(message(user, body=iptables_line(recent)))
    mailbox.deliver(message(user, sender="stranger@elsewhere.example", body=iptables_line(recent)))
    assert poll() == 2
    assert Submission.objects.filter(user=user, channel="mail").count() == 1
    assert seen(mailbox) == [True, True]
    assert outbox.deliver() == 1
    smtp_server.wait_for(1, timeout=10)
    (reply,) = smtp_server.messages
    assert reply.recipients == ["stranger@elsewhere.example"]
    assert b"Auto-Submitted: auto-replied" in reply.content
    assert poll() == 0  # nothing left unseen


def test_a_crash_before_the_flag_loses_nothing_and_repeats_nothing(mailbox, recent):
    user = UserFactory()
    raw = message(user, body=iptables_line(recent))
    mailbox.deliver(raw)
    receive_mail(raw)  # stored, then the poller "died" before flagging the message
    assert seen(mailbox) == [False]
    assert poll() == 1
    assert seen(mailbox) == [True]
    assert Submission.objects.filter(user=user).count() == 1
    assert InboundMail.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_ingest_mail_reads_one_message_from_a_pipe(recent):
    user = UserFactory()
    result = subprocess.run(
        [sys.executable, "manage.py", "ingest_mail"],
        input=message(user, body=iptables_line(recent)),
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().startswith("accepted")
    assert Submission.objects.get(user=user).channel == "mail"
