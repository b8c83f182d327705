"""The outbox: stored with its transaction, delivered once, resent as the same message."""

import threading

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction

from portal import outbox
from portal.models import OutboundMail

pytestmark = pytest.mark.django_db


def a_mail(subject="Hello") -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject,
        body="Plain text.\n",
        to=["someone@example.net"],
        reply_to=["replies@example.org"],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative("<p>Plain text.</p>", "text/html")
    message.attach("list.csv", "a,b\r\n1,2\r\n", "text/csv")
    message.attach("blob.bin", b"\x00\xff", "application/octet-stream")
    return message


def test_stored_whole_and_delivered_once_as_it_was():
    row = outbox.queue(a_mail(), OutboundMail.Kind.DIGEST)
    assert mail.outbox == []
    assert outbox.deliver() == 1
    assert outbox.deliver() == 0
    (sent,) = mail.outbox
    assert (sent.subject, sent.body, sent.to, sent.reply_to) == (
        "Hello",
        "Plain text.\n",
        ["someone@example.net"],
        ["replies@example.org"],
    )
    assert sent.alternatives[0][:2] == ("<p>Plain text.</p>", "text/html")
    assert [tuple(a) for a in sent.attachments] == [
        ("list.csv", "a,b\r\n1,2\r\n", "text/csv"),
        ("blob.bin", b"\x00\xff", "application/octet-stream"),
    ]
    row.refresh_from_db()
    assert sent.extra_headers["Message-ID"] == row.message_id and row.message_id.endswith("@localhost>")
    assert sent.message()["Message-ID"] == row.message_id  # what goes on the wire
    assert row.sent_at is not None and row.attempts == 1


def test_a_rolled_back_transaction_leaves_no_mail():
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.queue(a_mail(), OutboundMail.Kind.DIGEST)
        raise RuntimeError("the record it belongs to failed")
    assert not OutboundMail.objects.exists()


def test_every_attempt_sends_the_same_message(smtp_server, smtp_mail_settings):
    row = outbox.queue(a_mail(), OutboundMail.Kind.BULK)
    assert outbox.deliver() == 1
    OutboundMail.objects.filter(pk=row.pk).update(sent_at=None)  # as if the mark had not committed
    assert outbox.deliver() == 1
    first, second = smtp_server.wait_for(2)
    for header in ("Message-ID", "Date", "Subject"):
        assert first.message[header] == second.message[header]
    assert first.message["Message-ID"] == row.message_id


@pytest.mark.django_db(transaction=True)
def test_deliveries_at_once_share_the_queue_and_send_each_once(smtp_server, smtp_mail_settings):
    rows = [outbox.queue(a_mail(f"mail {i}"), OutboundMail.Kind.NOTICE) for i in range(12)]
    barrier = threading.Barrier(3)
    sent = []

    def deliver():
        try:
            barrier.wait()
            sent.append(outbox.deliver())
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(sent) == len(rows)
    received = smtp_server.wait_for(len(rows))
    assert sorted(m.message["Message-ID"] for m in received) == sorted(r.message_id for r in rows)


def test_a_failed_delivery_waits_and_is_tried_again(settings):
    from tests.mailservers import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    row = outbox.queue(a_mail(), OutboundMail.Kind.ABUSE)
    assert outbox.deliver() == 0  # nothing listens there
    row.refresh_from_db()
    assert (row.sent_at, row.attempts) == (None, 1) and row.last_error
    assert row.next_attempt_at > row.created_at
    assert outbox.deliver() == 0  # not yet due again: no busy loop on a broken server
    row.refresh_from_db()
    assert row.attempts == 1
