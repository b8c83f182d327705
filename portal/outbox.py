"""The outbox: every mail that matters leaves the portal through one table.

Queueing. ``queue`` stores a mail, fully rendered and with its Message-ID
and Date fixed, as an OutboundMail row in the caller's transaction: the one
that also writes the AbuseReport, BulkReport, DigestSent, confirmation or
rejection notice the mail belongs to. Both commit or neither does, so a
crash can no longer leave a record that says "sent" without its mail, or a
mail without its record. After the commit a task delivers the row
(``deliver_mail``); the beat sweep (``deliver_outbox``, every minute)
delivers any row whose task was lost: a broker that was down or lost its
queue, a worker killed before it ran the task.

Delivery. ``deliver`` takes one row at a time with SELECT ... FOR UPDATE SKIP
LOCKED, so any number of workers and sweeps share the queue and none sends a
row another is sending. While the row is locked it opens the SMTP
connection, checks once more over the same transaction that the database is
still there (a PostgreSQL that died while SMTP connected would make the mark
below impossible), hands the message over, sets ``sent_at`` and commits at
once. A worker killed at any point before the server's final reply drops
both connections: the SMTP server never completes the transaction, and
PostgreSQL rolls the claim back, so the next delivery sends the row.

The one window. SMTP and PostgreSQL cannot commit together. If the server
has answered 250 to the end of DATA (it now owns the message) and the worker
or PostgreSQL dies before the ``sent_at`` update commits, the row is still
unsent and the next delivery sends it again. We keep that window to the
message transfer and its reply plus one UPDATE and COMMIT on an open
connection, nothing else; and a resend is the same message: the same
Message-ID and Date, the same text, so receivers that suppress duplicates by
Message-ID (most ticket systems and mail stores) show it once.

A failed delivery (server down, refused) is retried with backoff up to
MAX_ATTEMPTS times; the row, with its last error, stays in the admin.
"""

import base64
import logging
from datetime import timedelta
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboundMail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12  # with the backoff below: about two days of trying
SWEEP_BATCH = 500


def _domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def queue(message: EmailMessage, kind: str) -> OutboundMail:
    """Store ``message`` for delivery once the surrounding transaction commits."""
    headers = dict(message.extra_headers)
    # Fixed now, not at sending: every attempt sends the very same message.
    headers.setdefault("Message-ID", make_msgid(domain=_domain()))
    headers.setdefault("Date", formatdate())
    content = {
        "subject": message.subject,
        "body": message.body,
        "content_subtype": message.content_subtype,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": headers,
        "alternatives": [list(a) for a in getattr(message, "alternatives", [])],
        "attachments": [_attachment(a) for a in message.attachments],
    }
    row = OutboundMail.objects.create(
        kind=kind,
        message_id=headers["Message-ID"],
        recipients=message.recipients(),
        subject=message.subject[:255],
        content=content,
    )
    # robust: the rows are committed whatever the broker does; a lost task is the sweep's.
    transaction.on_commit(lambda: _deliver_soon(row.pk), robust=True)
    return row


def _attachment(attachment) -> dict:
    name, data, mimetype = attachment
    if isinstance(data, bytes):
        return {"name": name, "base64": base64.b64encode(data).decode(), "mimetype": mimetype}
    return {"name": name, "text": data, "mimetype": mimetype}


def _deliver_soon(mail_id: int) -> None:
    from .tasks import deliver_mail

    deliver_mail.delay(mail_id)


def message_for(row: OutboundMail, connection=None) -> EmailMessage:
    """The stored mail as Django sends it."""
    c = row.content
    message = EmailMultiAlternatives(
        subject=c["subject"],
        body=c["body"],
        from_email=c["from_email"],
        to=c["to"],
        cc=c["cc"],
        bcc=c["bcc"],
        reply_to=c["reply_to"],
        headers=c["headers"],
        alternatives=[tuple(a) for a in c["alternatives"]],
        connection=connection,
    )
    message.content_subtype = c["content_subtype"]
    for a in c["attachments"]:
        data = base64.b64decode(a["base64"]) if "base64" in a else a["text"]
        message.attach(a["name"], data, a["mimetype"])
    return message


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2**attempts, 360))


def deliver(mail_id: int | None = None, limit: int = SWEEP_BATCH) -> int:
    """Deliver unsent mail (only ``mail_id``, when given); return how many went out."""
    sent = 0
    for _ in range(limit):
        outcome = _deliver_one(mail_id)
        if outcome is None:
            break
        sent += outcome == "sent"
        if mail_id is not None:
            break
    return sent


def _deliver_one(mail_id: int | None) -> str | None:
    """Claim, send and mark one row: "sent", "failed", or None when none is due."""
    connection = get_connection(fail_silently=False)
    try:
        with transaction.atomic():
            due = OutboundMail.objects.select_for_update(skip_locked=True).filter(
                sent_at=None, next_attempt_at__lte=timezone.now(), attempts__lt=MAX_ATTEMPTS
            )
            if mail_id is not None:
                due = due.filter(pk=mail_id)
            row = due.order_by("next_attempt_at", "pk").first()
            if row is None:
                return None
            message = message_for(row, connection)
            try:
                connection.open()
                smtp = getattr(connection, "connection", None)  # the smtplib client, for the SMTP backend
                if smtp is not None:
                    # Finish the handshake first, so that after the check below
                    # only the message itself is left to send.
                    smtp.ehlo_or_helo_if_needed()
                # The claim must still be ours when the message goes: one round
                # trip on the claiming transaction (raises if PostgreSQL is gone).
                OutboundMail.objects.filter(pk=row.pk).values_list("pk", flat=True).get()
                connection.send_messages([message])
            except OSError as exc:  # smtplib's errors are OSErrors
                error = exc
            else:
                # From the server's 250 to this commit is the one window (see above).
                OutboundMail.objects.filter(pk=row.pk).update(sent_at=timezone.now(), attempts=F("attempts") + 1)
                return "sent"
    finally:
        connection.close()
    log.warning("mail %s (%s) not delivered: %s", row.pk, row.message_id, error)
    OutboundMail.objects.filter(pk=row.pk).update(
        attempts=F("attempts") + 1,
        last_error=str(error)[:1000],
        next_attempt_at=timezone.now() + backoff(row.attempts + 1),
    )
    return "failed"
