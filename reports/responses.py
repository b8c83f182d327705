"""Answers to abuse reports. Each report's mail carries a Reply-To tagged with
its token (abuse-replies+TOKEN@…); whatever comes back there through the mail
intake is attached to its report and classified. A bounce marks the address
as failing and releases the report, so the next run tries the next address."""

import re
from email.utils import getaddresses, parseaddr

from django.conf import settings

from .models import AbuseReport, AbuseResponse

BOUNCE_SUBJECT = re.compile(
    r"^(undeliver|undelivered mail|delivery status notification|mail delivery (failed|failure)|returned mail|"
    r"failure notice|delivery failure)",
    re.I,
)
AUTOMATED_SUBJECT = re.compile(
    r"(automatic reply|auto.?reply|out of (the )?office|\bticket\b|\[#?\w*\d+\]|\bcase\b|\backnowledg|"
    r"we have received|has been received|received your)",
    re.I,
)


def report_for(message) -> AbuseReport | None:
    """The report a message answers, from its tagged recipient address."""
    local, _, domain = settings.FIGHTBACK_REPLY_ADDRESS.lower().partition("@")
    headers = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
    for _, address in getaddresses([str(v) for h in headers for v in message.get_all(h, [])]):
        a_local, _, a_domain = address.lower().partition("@")
        if a_domain == domain and a_local.startswith(local + "+"):
            report = AbuseReport.objects.filter(token=address.split("@")[0].split("+", 1)[1]).first()
            if report:
                return report
    return None


def classify(message) -> str:
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    subject = str(message.get("Subject", ""))
    content_types = {part.get_content_type() for part in message.walk()}
    if (
        "message/delivery-status" in content_types
        or message.get_content_type() == "multipart/report"
        or str(message.get("Return-Path", "")).strip() == "<>"
        or sender.split("@")[0] in ("mailer-daemon", "postmaster")
        or BOUNCE_SUBJECT.search(subject)
    ):
        return AbuseResponse.Kind.BOUNCE
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    if (
        (auto and auto != "no")
        or precedence in ("auto_reply", "bulk", "junk", "list")
        or message.get("X-Autoreply")
        or message.get("X-Autorespond")
        or AUTOMATED_SUBJECT.search(subject)
    ):
        return AbuseResponse.Kind.AUTOMATED
    return AbuseResponse.Kind.HUMAN


def record(report: AbuseReport, message) -> AbuseResponse:
    kind = classify(message)
    body = message.get_body(preferencelist=("plain", "html"))
    try:
        text = body.get_content() if body is not None else ""
    except (LookupError, UnicodeDecodeError):
        text = ""
    response = AbuseResponse.objects.create(
        report=report,
        kind=kind,
        sender=parseaddr(str(message.get("From", "")))[1][:254],
        subject=str(message.get("Subject", ""))[:255],
        excerpt=text[:2000],
    )
    if kind == AbuseResponse.Kind.BOUNCE and report.sent_to:
        contact = report.contact
        if report.sent_to.lower() not in {e.lower() for e in contact.failing_emails}:
            contact.failing_emails = [*contact.failing_emails, report.sent_to]
            contact.save(update_fields=["failing_emails"])
        report.state = AbuseReport.State.FAILED
        report.save(update_fields=["state"])
    return response
