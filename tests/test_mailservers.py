"""The mail-server harness itself: a real Dovecot over IMAP and a real aiosmtpd over SMTP."""

import imaplib

import pytest
from django.core.mail import send_mail


def raw_mail(subject: str, body: str = "Hello.") -> bytes:
    return (
        f"From: sender@example.org\r\nTo: submit@example.org\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '-')}@example.org>\r\n\r\n{body}\r\n"
    ).encode()


def test_imap_delivers_and_reads_back_with_flags(imap_server):
    first, second = raw_mail("first"), raw_mail("second", "Second body.")

    uid1 = imap_server.deliver(first)
    uid2 = imap_server.deliver(second, flags=["\\Flagged"])

    assert imap_server.messages() == [(uid1, frozenset(), first), (uid2, frozenset({"\\Flagged"}), second)]
    assert uid1 < uid2


@pytest.mark.parametrize("run", [1, 2])
def test_imap_each_test_starts_with_an_empty_mailbox(imap_server, run):
    assert imap_server.messages() == []
    assert imap_server.folders() == ["INBOX"]

    imap_server.deliver(raw_mail(f"run {run}"))
    imap_server.deliver(raw_mail(f"archived {run}"), folder="Archive/2024")

    assert len(imap_server.messages()) == 1
    assert [m.raw for m in imap_server.messages("Archive/2024")] == [raw_mail(f"archived {run}")]
    assert imap_server.folders() == ["Archive", "Archive/2024", "INBOX"]


def test_imap_seen_flag_set_by_a_client_is_visible(imap_server):
    uid = imap_server.deliver(raw_mail("to be read"))
    assert imap_server.messages()[0].flags == frozenset()  # reading it back does not mark it \Seen

    with imap_server.connect() as client:
        client.select("INBOX")
        typ, _ = client.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
        assert typ == "OK"

    assert imap_server.messages() == [(uid, frozenset({"\\Seen"}), raw_mail("to be read"))]


def test_imap_refuses_a_wrong_password(imap_server):
    client = imaplib.IMAP4(imap_server.host, imap_server.port, timeout=10)
    try:
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            client.login(imap_server.user, "not-the-password")
    finally:
        client.shutdown()


def test_django_send_mail_arrives_at_the_smtp_server(smtp_mail_settings, smtp_server):
    sent = send_mail("Report ready", "Your report is ready.", "portal@example.org", ["analyst@example.org"])

    assert sent == 1
    [mail] = smtp_server.wait_for(1, timeout=10)
    assert mail.mail_from == "portal@example.org"
    assert mail.recipients == ["analyst@example.org"]
    assert mail.message["Subject"] == "Report ready"
    assert mail.message["To"] == "analyst@example.org"
    assert mail.message.get_content().strip() == "Your report is ready."


def test_imap_reset_ends_open_sessions_and_empties_the_mailbox(dovecot_service, imap_server):
    imap_server.deliver(raw_mail("left behind"))
    leaked = imap_server.connect()  # as a test that forgets to log out would leave it
    leaked.select("INBOX")

    dovecot_service.reset()

    assert imap_server.messages() == []
    with pytest.raises((imaplib.IMAP4.abort, OSError)):
        leaked.noop()
    leaked.shutdown()


def test_imap_gives_messages_back_with_crlf_line_endings(imap_server):
    imap_server.deliver(b"From: job@example.org\nSubject: bare LF\n\nline 1\nline 2\n")

    [(_, _, raw)] = imap_server.messages()

    assert raw == b"From: job@example.org\r\nSubject: bare LF\r\n\r\nline 1\r\nline 2\r\n"
