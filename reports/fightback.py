"""FightBack: telling the network that owns an attacking source, politely.

The rules, all of which must hold for a source to be reported (DESIGN.md,
"Rules the portal keeps"), are the WHERE and HAVING clauses of CANDIDATES
and the checks in ``plan``:

1. it was seen on a suspicious port (SuspiciousPort, kept by admins);
2. by at least FIGHTBACK_MIN_REPORTERS independent reporters (never fewer
   than TRUST_MIN_NETWORKS): reporters who count, one per independence
   group (incidents.trust); what others sent adds nothing, not even attempts;
3. at least one of those who count opted in to forwarding;
4. in the last FIGHTBACK_WINDOW_HOURS (older events are not reported), and
   not filtered (filtered events never reach the rollups read here);
5. it is not in a known network (well-known infrastructure, research
   scanners), whoever claims to have seen it;
6. nothing was reported to that contact about that source in the last
   FIGHTBACK_QUIET_DAYS days; a contact that asked not to be contacted is not.

``plan`` says what a run would do without doing it (the admin's dry run);
``run`` does it. Each report is created under a database lock on
(contact, source), so two runs at once still create, and send, one. The
first report to a contact waits for an admin (TRUST_REVIEW_FIRST_CONTACT):
``approve`` sends it the usual way, ``reject`` keeps it from being sent.
"""

import ipaddress
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, models, transaction
from django.utils import timezone

from incidents.models import Event, SourceDay
from incidents.trust.selectors import counting_join, known_network_sql
from portal import outbox
from portal.mail_headers import header_address
from portal.models import OutboundMail

from . import contacts
from .models import AbuseReport, NetworkContact

LOCK_NAMESPACE = 7003

# Every figure is over the rows of reporters who count (the inner join on
# standings, a small table); the known-network test uses known_network_gist.
CANDIDATES = f"""
SELECT host(s.source_ip), count(DISTINCT t.grp), sum(s.events),
       array_agg(DISTINCT s.protocol || '/' || s.target_port),
       min(s.first_seen), max(s.last_seen),
       array_agg(DISTINCT s.reporter_id) FILTER (WHERE u.forwarding_opt_in)
FROM incidents_source_day s
JOIN reports_suspiciousport p ON p.protocol = s.protocol AND p.port = s.target_port
{counting_join("s")}
JOIN portal_user u ON u.id = s.reporter_id
WHERE s.day >= %(since_day)s AND s.last_seen >= %(since)s AND NOT {known_network_sql("s.source_ip")}
GROUP BY s.source_ip
HAVING count(DISTINCT t.grp) >= %(min_reporters)s AND bool_or(u.forwarding_opt_in)
ORDER BY count(DISTINCT t.grp) DESC, sum(s.events) DESC
LIMIT %(limit)s
"""  # noqa: S608 (table names and our own clauses, no input)


def min_reporters() -> int:
    """Independent reporters a source needs before its network is told."""
    return max(settings.FIGHTBACK_MIN_REPORTERS, settings.TRUST_MIN_NETWORKS)


def counting_reporters(source_ip: str, since) -> models.QuerySet:
    """The ids of the reporters who count and saw ``source_ip`` since the day ``since``."""
    return (
        SourceDay.objects.filter(source_ip=source_ip, day__gte=since, reporter__standing__counts=True)
        .values_list("reporter_id", flat=True)
        .distinct()
    )


@dataclass
class Candidate:
    source_ip: str
    reporters: int
    events: int
    ports: list[str]
    first_seen: datetime
    last_seen: datetime
    opted_in: list[int]


class Action(models.TextChoices):
    SEND = "send", "Send"
    REVIEW = "review", "First mail to this contact: an admin approves it first"
    AWAITING_APPROVAL = "awaiting approval", "Waiting for an admin's approval"
    LOOKUP = "lookup", "Look up the contact first"
    NO_WORKING_ADDRESS = "no working address", "Every abuse address bounced"
    DO_NOT_CONTACT = "do not contact", "The contact asked not to be contacted"
    REPORTED_RECENTLY = "reported recently", "Reported to this contact in the quiet period"
    BULK = "bulk", "Goes in the contact's bulk summary"


# What a run creates a report for.
CREATES = (Action.SEND, Action.REVIEW)


@dataclass
class Decision:
    candidate: Candidate
    action: Action
    contact: NetworkContact | None = None


def candidates(now: datetime | None = None, limit: int | None = None) -> list[Candidate]:
    now = now or timezone.now()
    since = now - timedelta(hours=settings.FIGHTBACK_WINDOW_HOURS)
    params = {
        "since": since,
        "since_day": since.date(),
        "min_reporters": min_reporters(),
        "limit": limit or settings.FIGHTBACK_PER_RUN,
    }
    with connection.cursor() as cur:
        cur.execute(CANDIDATES, params)
        return [Candidate(*row) for row in cur.fetchall()]


def _recent_report(contact: NetworkContact, source_ip: str, now: datetime) -> AbuseReport | None:
    """The report that holds the quiet period: any but a failed one (a
    rejected one too, or the next run would ask the admin again)."""
    quiet = now - timedelta(days=settings.FIGHTBACK_QUIET_DAYS)
    return (
        AbuseReport.objects.filter(contact=contact, source_ip=source_ip, created_at__gte=quiet)
        .exclude(state=AbuseReport.State.FAILED)
        .order_by("-created_at")
        .first()
    )


def first_contact(contact: NetworkContact) -> bool:
    """Nothing has gone to this contact yet, in a mail or a bulk summary."""
    return not AbuseReport.objects.filter(contact=contact, state__in=AbuseReport.CONTACTED).exists()


def decide(candidate: Candidate, now: datetime) -> Decision:
    contact = contacts.known_contact(candidate.source_ip)
    if contact is None or not contact.abuse_emails:
        return Decision(candidate, Action.LOOKUP, contact)
    if contact.working_email is None:
        return Decision(candidate, Action.NO_WORKING_ADDRESS, contact)
    if contact.preference == NetworkContact.Preference.DO_NOT_CONTACT:
        return Decision(candidate, Action.DO_NOT_CONTACT, contact)
    recent = _recent_report(contact, candidate.source_ip, now)
    if recent is not None and recent.state == AbuseReport.State.AWAITING_APPROVAL:
        return Decision(candidate, Action.AWAITING_APPROVAL, contact)
    if recent is not None:
        return Decision(candidate, Action.REPORTED_RECENTLY, contact)
    if contact.preference == NetworkContact.Preference.BULK:
        return Decision(candidate, Action.BULK, contact)
    if settings.TRUST_REVIEW_FIRST_CONTACT and first_contact(contact):
        return Decision(candidate, Action.REVIEW, contact)
    return Decision(candidate, Action.SEND, contact)


def plan(now: datetime | None = None) -> list[Decision]:
    """What the next run would do, changing nothing."""
    now = now or timezone.now()
    return [decide(c, now) for c in candidates(now)]


def run(now: datetime | None = None) -> list[AbuseReport]:
    """Create the reports this run should send and queue their mail; a
    first contact's report is created to wait for an admin instead."""
    now = now or timezone.now()
    created = []
    for candidate in candidates(now):
        decision = decide(candidate, now)
        if decision.action == Action.LOOKUP:
            from .tasks import resolve_contact

            transaction.on_commit(lambda ip=candidate.source_ip: resolve_contact.delay(ip))
            continue
        if decision.action not in CREATES:
            continue
        report = _create_once(decision, now)
        if report is not None:
            created.append(report)
    return created


def _create_once(decision: Decision, now: datetime) -> AbuseReport | None:
    contact, candidate = decision.contact, decision.candidate
    key = zlib.crc32(f"{contact.pk}|{candidate.source_ip}".encode())
    with transaction.atomic(), connection.cursor() as cur:
        # Serialises runs on this (contact, source): the check below and the
        # insert are one step for the database, whatever runs at once.
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, key - 2**31])
        if _recent_report(contact, candidate.source_ip, now) is not None:
            return None
        review = decision.action == Action.REVIEW
        report = AbuseReport.objects.create(
            source_ip=candidate.source_ip,
            contact=contact,
            state=AbuseReport.State.AWAITING_APPROVAL if review else AbuseReport.State.QUEUED,
            events=candidate.events,
            reporters=candidate.reporters,
            first_event=candidate.first_seen,
            last_event=candidate.last_seen,
        )
        if not review:
            _send_after_commit(report.pk)
    return report


def _send_after_commit(report_id: int) -> None:
    from .tasks import send_abuse_report

    transaction.on_commit(lambda: send_abuse_report.delay(report_id))


def approve(reports: models.QuerySet, *, by) -> int:
    """An admin approves reports awaiting approval: each is queued and sent
    through ``send``, as any other. Others are left as they are."""
    with transaction.atomic():
        waiting = AbuseReport.objects.filter(pk__in=reports.values("pk"), state=AbuseReport.State.AWAITING_APPROVAL)
        ids = list(waiting.select_for_update().values_list("pk", flat=True))
        AbuseReport.objects.filter(pk__in=ids).update(
            state=AbuseReport.State.QUEUED, reviewed_by=by, reviewed_at=timezone.now()
        )
        for pk in ids:
            _send_after_commit(pk)
    return len(ids)


def reject(reports: models.QuerySet, *, by) -> int:
    """An admin rejects reports awaiting approval: never sent, and the quiet
    period holds, so the source is not put to the admin again at once."""
    return AbuseReport.objects.filter(pk__in=reports.values("pk"), state=AbuseReport.State.AWAITING_APPROVAL).update(
        state=AbuseReport.State.REJECTED, reviewed_by=by, reviewed_at=timezone.now()
    )


def send_stalled(older_than_minutes: int = 10) -> int:
    """Send the reports still queued long after they were made: their
    send task was lost (a broker that lost its queue, say). ``send`` does
    nothing to a report that is no longer queued, so a late task is harmless."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    stalled = AbuseReport.objects.filter(state=AbuseReport.State.QUEUED, created_at__lt=cutoff)
    return sum(send(pk) for pk in stalled.values_list("pk", flat=True))


IPV6_LONGEST_MASK = 32  # a /48 is usually one site, so one reporter


def mask(address: str, octets: int | None = None) -> str:
    """The destination as the mail shows it: lower octets zeroed (IPv6: all
    but the first FIGHTBACK_MASK_IPV6_PREFIX bits, at most 32), so the abuse
    desk learns the network, not the reporter."""
    octets = settings.FIGHTBACK_MASK_OCTETS if octets is None else octets
    ip = ipaddress.ip_address(address)
    keep = 32 - 8 * octets if ip.version == 4 else min(settings.FIGHTBACK_MASK_IPV6_PREFIX, IPV6_LONGEST_MASK)
    return str(ipaddress.ip_network(f"{ip}/{keep}", strict=False).network_address)


def sample_lines(report: AbuseReport, limit: int = 10) -> list[str]:
    """A few of the reported events of reporters who count, newest first,
    destinations masked. Read per reporter through the event table's key,
    never by a scan."""
    since = timezone.now() - timedelta(hours=settings.FIGHTBACK_WINDOW_HOURS)
    reporters = counting_reporters(str(report.source_ip), since.date())[:5]
    events = []
    for reporter in reporters:
        events += Event.objects.filter(
            reporter_id=reporter, time__gte=since, source_ip=str(report.source_ip), filter_reason=""
        ).order_by("-time")[:3]
    events.sort(key=lambda e: e.time, reverse=True)
    lines = []
    for e in events[:limit]:
        flags = f"  flags {e.tcp_flags}" if e.tcp_flags else ""
        lines.append(
            f"{e.time.astimezone(UTC):%Y-%m-%d %H:%M:%S}  {e.protocol}  "
            f"{_endpoint(str(report.source_ip), e.source_port)} -> {_endpoint(mask(str(e.target_ip)), e.target_port)}"
            f"{flags}"
        )
    return lines


def _endpoint(address: str, port: int | None) -> str:
    """address:port, an IPv6 address in brackets (RFC 5952) so the port cannot be read as part of it."""
    if port is None:
        return address
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def compose(report: AbuseReport) -> EmailMessage:
    """The mail: one source, plain text, no attachments, times in UTC."""
    source = str(report.source_ip)
    owner = report.contact.organisation or "your network"
    ports = ", ".join(sorted(_ports(report)))
    first = report.first_event.astimezone(UTC)
    last = report.last_event.astimezone(UTC)
    samples = "\n".join(sample_lines(report)) or "(no sample available)"
    body = (
        "Hello,\n\n"
        f"We run {settings.SITE_NAME}, a community service where people who operate firewalls share the "
        f"connection attempts their firewalls blocked. Your network is listed as responsible for {source} "
        f"({owner}).\n\n"
        f"Between {first:%Y-%m-%d %H:%M} and {last:%Y-%m-%d %H:%M} UTC, {report.reporters} independent reporters "
        f"saw this address try to connect to their systems ({report.events} attempts in all), on: {ports}.\n\n"
        "This often means the machine is infected or misconfigured, and its owner may not know. We would be "
        "grateful if you could look into it. If it is a scanner that is meant to do this, please tell us and we "
        "will not report it again.\n\n"
        "A sample of the attempts (times in UTC, destination addresses masked):\n\n"
        f"{samples}\n\n"
        "The live record of this address, including anything reported after this mail:\n"
        f"{settings.SITE_URL}/r/{report.token}/\n\n"
        f"Replies to this message reach us and are read. We send you at most one report about this address in "
        f"{settings.FIGHTBACK_QUIET_DAYS} days.\n\n"
        f"-- \n{settings.SITE_NAME}\n{settings.SITE_URL}\n"
    )
    local, _, domain = settings.FIGHTBACK_REPLY_ADDRESS.partition("@")
    return EmailMessage(
        subject=f"Security issue - Source IP: {source}",
        body=body,
        to=[report.sent_to or report.contact.working_email],
        reply_to=[f"{local}+{report.token}@{domain}"],
        headers={"Auto-Submitted": "auto-generated"},
    )


def _ports(report: AbuseReport) -> set[str]:
    since = (report.first_event or timezone.now()).date()
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT DISTINCT s.protocol || '/' || s.target_port FROM incidents_source_day s
               JOIN reports_suspiciousport p ON p.protocol = s.protocol AND p.port = s.target_port
               {counting_join("s")}
               WHERE s.source_ip = %s AND s.day >= %s""",  # noqa: S608 (our own clause)
            [str(report.source_ip), since],
        )
        return {row[0] for row in cur.fetchall()}


def send(report_id: int) -> bool:
    """Queue one report's mail and the opted-in reporters' notices; once.

    The mails go into the outbox in the transaction that marks the report
    sent, so the report is "sent" exactly when its mail is on its way;
    ``sent_at`` is that moment (the outbox row records the delivery)."""
    with transaction.atomic():
        report = AbuseReport.objects.select_for_update().select_related("contact").get(pk=report_id)
        if report.state != AbuseReport.State.QUEUED:
            return False
        # An address from RDAP or the admin with a line break in it must fail this report, not the run.
        report.sent_to = header_address(report.contact.working_email) or ""
        if not report.sent_to:
            report.state = AbuseReport.State.FAILED
            report.save(update_fields=["state", "sent_to"])
            return False
        outbox.queue(compose(report), OutboundMail.Kind.ABUSE)
        report.state = AbuseReport.State.SENT
        report.sent_at = timezone.now()
        report.save(update_fields=["state", "sent_at", "sent_to"])
        _notify_reporters(report)
    return True


def _notify_reporters(report: AbuseReport) -> None:
    from portal.models import User

    # Only those the report counted: the notice carries the record's link, and so its reply address.
    ids = counting_reporters(str(report.source_ip), (report.first_event or timezone.now()).date())
    for user in User.objects.filter(pk__in=ids, forwarding_opt_in=True, is_active=True).order_by("pk"):
        notice = EmailMessage(
            subject=f"We reported {report.source_ip} to its network",
            body=(
                f"Hello,\n\nA source that hit you, {report.source_ip}, was seen by {report.reporters} independent "
                f"reporters on suspicious ports, and you chose to forward such sources. We have sent one report to the "
                f"abuse desk of {report.contact.organisation or 'its network'}; your own addresses were masked.\n\n"
                f"The live record of this source: {settings.SITE_URL}/r/{report.token}/\n\n"
                f"You can turn forwarding off on your profile: {settings.SITE_URL}/profile/\n"
                f"-- \n{settings.SITE_NAME}\n"
            ),
            to=[user.email],
            headers={"Auto-Submitted": "auto-generated"},
        )
        outbox.queue(notice, OutboundMail.Kind.NOTICE)
