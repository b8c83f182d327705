"""Logs by mail: one RFC 5322 message in, submissions out.

A message is accepted when it names a user's submission token (as the
plus-address of the submission box, or on the subject line) and comes from
one of that user's verified addresses. Logs may be in the body (any charset)
or in attachments (text, .gz, .zip); each becomes a Submission with channel
"mail" and flows through the same ingestion as an upload. The message's
ledger entry (InboundMail, by digest) is written in the same transaction as
its submissions, so a message seen again is never processed twice.

Replies: a polite rejection at most once a day per sender, and never to
automated mail (Auto-Submitted, bounces, mailing lists) or to ourselves, so
two robots cannot answer each other forever.
"""

import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parseaddr

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import EmailMessage as OutgoingMail
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal import outbox
from portal.mail_headers import header_address, header_text
from portal.models import OutboundMail, User

from .dshield_client import redact_subject, subject_options
from .models import InboundMail, RejectionNotice, Submission
from .services import SubmissionTooLarge, submission_create

TOKEN = re.compile(r"\b([0-9a-f]{16})\b")
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


@dataclass
class Outcome:
    status: str  # an InboundMail.Outcome, or "duplicate"
    reason: str = ""
    submissions: list = field(default_factory=list)


def receive_mail(raw: bytes, *, size: int | None = None) -> Outcome:
    """Process one message; safe to call again with the same bytes.

    ``size`` is the message's full size when ``raw`` holds only its header
    (an IMAP server's word for a message too large to fetch)."""
    size = len(raw) if size is None else size
    # Line endings differ with the road a message took (an IMAP server hands
    # back CRLF what was delivered with LF): they must not make it new again.
    digest = hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()
    if InboundMail.objects.filter(digest=digest).exists():
        return Outcome("duplicate", "already processed")
    if size > settings.MAIL_MAX_BYTES:
        headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
        limit = settings.MAIL_MAX_BYTES // (1024 * 1024)
        return _refuse(headers, digest, size, None, f"the message is larger than the {limit} MB limit")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    sender = _text(parseaddr(str(message.get("From", "")))[1]).lower()
    # Answers to abuse reports come first: bounces and auto-replies are exactly what they may be.
    from reports.responses import record, report_for

    report = report_for(message)
    if report is not None:
        with transaction.atomic():
            response = record(report, message)
            _ledger(
                message, digest, size, None, InboundMail.Outcome.RESPONSE, f"{response.kind} about {report.source_ip}"
            )
        return Outcome(InboundMail.Outcome.RESPONSE, response.kind)
    if _is_automated(message, sender):
        return _record(message, digest, len(raw), None, InboundMail.Outcome.IGNORED, "automated mail")
    user = _user_for(message, sender)
    if user is None:
        return _refuse(
            message, digest, len(raw), None, "it does not carry a valid submission token from a known sender"
        )
    try:
        logs = _logs(message)
    except _Refused as exc:
        return _refuse(message, digest, len(raw), user, str(exc))
    if not logs:
        return _refuse(message, digest, len(raw), user, "it holds no log lines in its text or attachments")
    # DShield-style clients say on the subject what the lines are and their
    # zone: "FORMAT DSHIELD USERID 123 TZ -05:00 ...".
    options = subject_options(str(message.get("Subject", "")))
    try:
        with transaction.atomic():
            submissions = [
                submission_create(
                    user=user,
                    channel=Submission.Channel.MAIL,
                    fileobj=io.BytesIO(data),
                    name=name,
                    declared_format=options.format,
                    timezone=options.timezone,
                    reply_to=sender,
                )
                for name, data in logs
            ]
            mail = _ledger(message, digest, len(raw), user, InboundMail.Outcome.ACCEPTED, "")
            mail.submissions.set(submissions)
    except SubmissionTooLarge as exc:
        return _refuse(message, digest, len(raw), user, str(exc))
    except IntegrityError:
        return Outcome("duplicate", "processed by another worker at the same time")
    return Outcome(InboundMail.Outcome.ACCEPTED, "", submissions)


class _Refused(ValueError):
    pass


def _is_automated(message, sender: str) -> bool:
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    if auto and auto != "no":
        return True
    if str(message.get("Precedence", "")).strip().lower() in ("bulk", "junk", "list"):
        return True
    if message.get_content_type() == "multipart/report" or str(message.get("Return-Path", "")).strip() == "<>":
        return True  # delivery status notifications
    local = sender.split("@")[0]
    if local in ("mailer-daemon", "postmaster") or not sender:
        return True
    ours = {settings.DEFAULT_FROM_EMAIL.lower(), settings.SERVER_EMAIL.lower(), settings.MAIL_SUBMIT_ADDRESS.lower()}
    submit_local, _, submit_domain = settings.MAIL_SUBMIT_ADDRESS.lower().partition("@")
    return sender in ours or (local.startswith(submit_local + "+") and sender.endswith("@" + submit_domain))


def _user_for(message, sender: str) -> User | None:
    submit_local, _, submit_domain = settings.MAIL_SUBMIT_ADDRESS.lower().partition("@")
    candidates = []
    for _, address in getaddresses([str(v) for h in RECIPIENT_HEADERS for v in message.get_all(h, [])]):
        local, _, domain = address.lower().partition("@")
        if domain == submit_domain and local.startswith(submit_local + "+"):
            candidates.append(local.split("+", 1)[1])
    candidates += TOKEN.findall(str(message.get("Subject", "")).lower())
    for token in candidates:
        user = User.objects.filter(submit_token=token, is_active=True).first()
        if user and EmailAddress.objects.filter(user=user, email__iexact=sender, verified=True).exists():
            return user
    return None


def _logs(message: EmailMessage) -> list[tuple[str, bytes]]:
    """(name, bytes) for every log in the message: text bodies and attachments."""
    logs, saw_html = [], False
    subject = str(message.get("Subject", "")).strip() or "mailed log"
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if filename or part.get_content_disposition() == "attachment":
            data = part.get_payload(decode=True) or b""
            if len(data) > settings.MAIL_MAX_ATTACHMENT_BYTES:
                limit = settings.MAIL_MAX_ATTACHMENT_BYTES // (1024 * 1024)
                raise _Refused(f"the attachment {filename or ''} is larger than the {limit} MB limit")
            if data.strip():
                # The name only, as for an upload: a sender may write "../../x" or "C:\\logs\\fw.log".
                name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
                logs.append((name or subject, data))
        elif part.get_content_type() == "text/plain":
            try:
                text = part.get_content()
            except (LookupError, UnicodeDecodeError):
                # An unknown or wrong charset: keep the bytes; ingestion replaces what it cannot decode.
                text = (part.get_payload(decode=True) or b"").decode("utf-8", errors="replace")
            if text.strip():
                logs.append((subject, text.encode("utf-8")))
        elif part.get_content_type() == "text/html":
            saw_html = True
    if not logs and saw_html:
        raise _Refused("it is HTML only; send the log as plain text or as an attachment")
    return logs


def _text(value) -> str:
    """A header as PostgreSQL can store it: encoded words may decode to NUL, and
    raw 8-bit bytes come out of the parser as lone surrogates."""
    return str(value).replace("\x00", "").encode("utf-8", errors="replace").decode("utf-8")


def _ledger(message, digest, size, user, outcome, reason) -> InboundMail:
    return InboundMail.objects.create(
        digest=digest,
        message_id=_text(message.get("Message-ID", ""))[:255],
        sender=_text(parseaddr(str(message.get("From", "")))[1])[:254],
        subject=_text(redact_subject(str(message.get("Subject", ""))))[:255],
        size=size,
        user=user,
        outcome=outcome,
        reason=reason[:255],
    )


def _record(message, digest, size, user, outcome, reason) -> Outcome:
    try:
        _ledger(message, digest, size, user, outcome, reason)
    except IntegrityError:
        return Outcome("duplicate", "already processed")
    return Outcome(outcome, reason)


def _refuse(message, digest, size, user, reason: str) -> Outcome:
    outcome = _record(message, digest, size, user, InboundMail.Outcome.REJECTED, reason)
    if outcome.status == "duplicate":
        return outcome
    sender = _text(parseaddr(str(message.get("From", "")))[1]).lower()
    # Only to something that can be an address (RFC 5321 caps it at 254): a From
    # of garbage cannot be answered, nor stored in RejectionNotice.sender.
    if "@" in sender and len(sender) <= 254 and not _is_automated(message, sender):
        _reply_once_a_day(message, sender, reason)
    return outcome


def _reply_once_a_day(message, sender: str, reason: str) -> None:
    subject = header_text(message.get("Subject", ""), limit=150)
    body = (
        "Hello,\n\n"
        f"The message you sent to {settings.MAIL_SUBMIT_ADDRESS} could not be taken: {reason}.\n\n"
        "To submit logs by mail, send them from an address you have verified on your account, "
        "to the submission address shown on your profile page:\n"
        f"{settings.SITE_URL}/profile/\n\n"
        "This notice is sent at most once a day.\n"
        f"-- {settings.SITE_NAME}\n"
    )
    try:
        # The day's notice and its mail commit together: told once, never zero times.
        with transaction.atomic():
            RejectionNotice.objects.create(sender=sender, day=timezone.now().date())
            _send(
                sender,
                f"Not accepted: {subject}" if subject else "Not accepted",
                body,
                OutboundMail.Kind.REPLY,
                message.get("Message-ID"),
            )
    except IntegrityError:
        return  # already told today


def _send(to: str, subject: str, body: str, kind: str, in_reply_to=None) -> None:
    to = header_address(to)
    if to is None:
        return  # nowhere safe to answer: a forged or broken sender address
    headers = {"Auto-Submitted": "auto-replied"}
    if in_reply_to:
        headers["In-Reply-To"] = header_text(in_reply_to, limit=998)
    outbox.queue(OutgoingMail(subject=header_text(subject), body=body, to=[to], headers=headers), kind)


def confirm(submission: Submission) -> bool:
    """Tell the sender of a mailed log what became of it, once: the claim
    (``confirmed_at``) and the mail are committed together."""
    if submission.channel != Submission.Channel.MAIL or not submission.reply_to or not submission.is_finished:
        return False
    if not submission.user.mail_confirmations:
        return False
    if submission.status == Submission.Status.FAILED:
        summary = f"It could not be processed: {submission.error}. Nothing from it was stored."
    else:
        summary = (
            f"Lines read: {submission.lines}\nAccepted: {submission.accepted}\nDuplicates: {submission.duplicate}\n"
            f"Filtered: {submission.filtered}\nAllowed traffic: {submission.allowed}\n"
            f"Not traffic records: {submission.not_traffic}\nRejected or unrecognised: {submission.rejected}"
        )
        if submission.mostly_rejected:
            summary += "\n\nMost lines were rejected or not recognised: most of this log was not stored."
    body = (
        f"Hello,\n\nYour log \u201c{submission.name}\u201d was received.\n\n{summary}\n\n"
        f"Details, including the rejected lines and why: {settings.SITE_URL}{submission.get_absolute_url()}\n\n"
        f"You can turn these confirmations off on your profile: {settings.SITE_URL}/profile/\n"
        f"-- {settings.SITE_NAME}\n"
    )
    with transaction.atomic():
        claimed = Submission.objects.filter(pk=submission.pk, confirmed_at=None).update(confirmed_at=timezone.now())
        if not claimed:
            return False
        _send(
            submission.reply_to,
            f"Log received: {submission.accepted} events accepted",
            body,
            OutboundMail.Kind.CONFIRMATION,
        )
    return True


def confirm_finished(older_than_minutes: int = 5) -> int:
    """Confirm the mailed logs that finished without a confirmation: their
    task was lost between the ingest's commit and ``confirm`` (the sweep)."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    finished = Submission.objects.filter(
        channel=Submission.Channel.MAIL,
        status__in=[Submission.Status.DONE, Submission.Status.FAILED],
        confirmed_at=None,
        finished_at__lt=cutoff,
        user__mail_confirmations=True,
    ).exclude(reply_to="")
    return sum(confirm(s) for s in finished.select_related("user"))
