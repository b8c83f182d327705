"""Bulk arrangements: one periodic summary for a large network instead of one
mail per source (NetworkContact.Preference.BULK, fightback action "bulk").

A period is a whole UTC day (daily) or a whole ISO week, Monday to Sunday
UTC (weekly). It starts where the last summary ended (``covered_until``) or,
the first time, at the start of the last full period before now. Each period
is summarised once: its BulkReport row is inserted in the transaction that
puts its mail in the outbox (portal.outbox delivers it after the commit),
and the unique (arrangement, period_start) constraint turns a second
run, or a run at the same time, into a no-op.

Sources are read from the SourceDay rollups only, never from events. The
rollups count whole UTC days, which is why periods are whole days. As in an
individual mail, only independent reporters are counted (reporters who
count, one per independence group, incidents.trust), and sources in known
networks (infrastructure, research scanners) are never listed.

Formats (``render``): TEXT puts a table in the body; CSV and XARF put a
summary in the body and the list in an attachment (text/csv, or
application/json), because abuse desks feed these to their ticket systems.
An individual FightBack mail never has attachments; a bulk one is asked for
by its recipient, in the format they chose. Targets are never listed.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from incidents.trust.selectors import counting_join, known_network_sql
from portal import outbox
from portal.mail_headers import header_addresses, header_text
from portal.models import OutboundMail

from .bulk_formats import RENDERERS, Row, render_csv, render_text, render_xarf
from .models import AbuseReport, BulkArrangement, BulkReport

CATCH_UP_PERIODS = 60  # a run summarises at most this many overdue periods per arrangement

QUALIFYING = f"""
SELECT host(s.source_ip), min(s.first_seen), max(s.last_seen),
       array_agg(DISTINCT s.protocol || '/' || s.target_port),
       count(DISTINCT t.grp), sum(s.events)
FROM incidents_source_day s
JOIN reports_suspiciousport p ON p.protocol = s.protocol AND p.port = s.target_port
{counting_join("s")}
WHERE s.day >= %(start_day)s AND s.day < %(end_day)s
  AND (s.source_ip <<= ANY(%(netblocks)s::cidr[])
       OR EXISTS (SELECT 1 FROM reports_networkcontact c
                  WHERE c.netblock >>= s.source_ip AND c.asn = ANY(%(asns)s::bigint[])))
  AND NOT {known_network_sql("s.source_ip")}
GROUP BY s.source_ip
HAVING count(DISTINCT t.grp) >= %(threshold)s
ORDER BY s.source_ip
"""  # noqa: S608 (table names and our own clauses, no input)


# --------------------------------------------------------------------- periods


def _day_start(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(UTC).date(), time.min, tzinfo=UTC)


def period_length(cadence: str) -> timedelta:
    return timedelta(days=7) if cadence == BulkArrangement.Cadence.WEEKLY else timedelta(days=1)


def last_full_period_end(cadence: str, now: datetime) -> datetime:
    """The end of the last full period before ``now``: today's or this ISO
    week's Monday 00:00 UTC."""
    start = _day_start(now)
    if cadence == BulkArrangement.Cadence.WEEKLY:
        start -= timedelta(days=start.weekday())
    return start


def next_period(arrangement: BulkArrangement, now: datetime) -> tuple[datetime, datetime] | None:
    """(start, end) of the arrangement's next period if it is due, else None."""
    length = period_length(arrangement.cadence)
    ready = last_full_period_end(arrangement.cadence, now)
    start = arrangement.covered_until or ready - length
    end = start + length
    return (start, end) if end <= ready else None


def due(now: datetime | None = None) -> list[tuple[BulkArrangement, datetime, datetime]]:
    """Active arrangements whose next period is over: (arrangement, start, end)."""
    now = now or timezone.now()
    found = []
    for arrangement in BulkArrangement.objects.filter(active=True).select_related("contact"):
        period = next_period(arrangement, now)
        if period:
            found.append((arrangement, *period))
    return found


# --------------------------------------------------------------------- sources


def scope(arrangement: BulkArrangement) -> tuple[list[str], list[int]]:
    """The networks and ASNs covered: the arrangement's own, and the contact's
    (sources its contact resolution gives are covered too)."""
    contact = arrangement.contact
    netblocks = list(arrangement.netblocks) + ([str(contact.netblock)] if contact.netblock else [])
    asns = list(arrangement.asns) + ([contact.asn] if contact.asn else [])
    return netblocks, asns


def qualifying_sources(arrangement: BulkArrangement, start: datetime, end: datetime) -> list[Row]:
    """Sources in the arrangement's networks seen on a suspicious port in
    [start, end) by at least ``threshold`` independent reporters, by address."""
    netblocks, asns = scope(arrangement)
    params = {
        "start_day": start.astimezone(UTC).date(),
        "end_day": end.astimezone(UTC).date(),
        "netblocks": netblocks,
        "asns": asns,
        "threshold": arrangement.effective_threshold,
    }
    with connection.cursor() as cur:
        cur.execute(QUALIFYING, params)
        return [
            Row(ip, first, last, sorted(ports, key=_port_key), reporters, int(events))
            for ip, first, last, ports, reporters, events in cur.fetchall()
        ]


def _port_key(port: str) -> tuple[str, int]:
    protocol, _, number = port.partition("/")
    return protocol, int(number)


def attach_reports(arrangement: BulkArrangement, rows: list[Row], now: datetime, sent_to: str = "") -> None:
    """Give each row the AbuseReport behind its coded link: one sent to this
    contact about the source in the last FIGHTBACK_QUIET_DAYS, or a new one
    in state "bulk", sent now."""
    quiet = now - timedelta(days=settings.FIGHTBACK_QUIET_DAYS)
    contact = arrangement.contact
    for row in rows:
        report = (
            AbuseReport.objects.filter(contact=contact, source_ip=row.source_ip, created_at__gte=quiet)
            .exclude(state=AbuseReport.State.FAILED)
            .order_by("-created_at")
            .first()
        )
        if report is None:
            report = AbuseReport.objects.create(
                source_ip=row.source_ip,
                contact=contact,
                state=AbuseReport.State.IN_BULK,
                sent_at=now,
                sent_to=sent_to,
                events=row.events,
                reporters=row.reporters,
                first_event=row.first_seen,
                last_event=row.last_seen,
            )
        row.token = report.token


def known_tokens(arrangement: BulkArrangement, rows: list[Row]) -> None:
    """For a preview, a download or a resend: the coded link of the newest
    report to this contact about each source (they all lead to the same live
    record); none yet leaves the link empty."""
    reports = (
        AbuseReport.objects.filter(contact=arrangement.contact, source_ip__in=[r.source_ip for r in rows])
        .exclude(state=AbuseReport.State.FAILED)
        .order_by("created_at")
    )
    tokens = {str(r.source_ip): r.token for r in reports}
    for row in rows:
        row.token = tokens.get(row.source_ip, "")


def period_label(arrangement: BulkArrangement, start: datetime, end: datetime) -> str:
    first, last = start.astimezone(UTC).date(), (end - timedelta(seconds=1)).astimezone(UTC).date()
    whole_week = first.isoweekday() == 1 and end - start == timedelta(days=7)
    if arrangement.cadence == BulkArrangement.Cadence.WEEKLY and whole_week:
        year, week, _ = first.isocalendar()
        return f"week {year}-W{week:02d} ({first} to {last})"
    return str(first) if first == last else f"{first} to {last}"


def subject(arrangement: BulkArrangement, rows: list[Row], start: datetime, end: datetime) -> str:
    owner = arrangement.contact.organisation or str(arrangement.contact)
    noun = "source" if len(rows) == 1 else "sources"
    return header_text(
        f"Bulk security report for {owner}: {len(rows)} {noun}, {period_label(arrangement, start, end)}", limit=300
    )


def render_body(arrangement: BulkArrangement, rows: list[Row], start: datetime, end: datetime) -> str:
    """The mail's text: an introduction, then the table (TEXT) or a summary
    of the attachment (CSV, XARF)."""
    owner = arrangement.contact.organisation or "your network"
    cadence = arrangement.get_cadence_display().lower()
    events = sum(r.events for r in rows)
    intro = (
        "Hello,\n\n"
        f"This is the {cadence} summary {settings.SITE_NAME} sends {owner} under your bulk arrangement: the "
        f"sources in your networks that at least {arrangement.effective_threshold} independent reporters saw trying to "
        "connect to ports where such attempts matter (remote shells, file sharing, databases, remote desktops) "
        f"between {start.astimezone(UTC):%Y-%m-%d %H:%M} and {end.astimezone(UTC):%Y-%m-%d %H:%M} UTC.\n\n"
        f"{len(rows)} sources, {events} attempts in all. Each link leads to the live record of the source, "
        "including anything reported after this mail. Destination addresses are never listed.\n\n"
    )
    if arrangement.format == BulkArrangement.Format.TEXT:
        middle = render_text(rows)
    else:
        name = attachment_name(arrangement, start)
        by_port: dict[str, int] = {}
        for r in rows:
            for p in r.ports:
                by_port[p] = by_port.get(p, 0) + 1
        ports = ", ".join(f"{p} ({n})" for p, n in sorted(by_port.items(), key=lambda i: (-i[1], _port_key(i[0]))))
        middle = f"The list is attached as {name}. Sources by port: {ports}.\n"
    return (
        f"{intro}{middle}\n"
        "Replies to this message reach us and are read. To change the format, the period or the addresses, "
        "just reply.\n\n"
        f"-- \n{settings.SITE_NAME}\n{settings.SITE_URL}\n"
    )


def attachment_name(arrangement: BulkArrangement, start: datetime) -> str:
    extension = "csv" if arrangement.format == BulkArrangement.Format.CSV else "json"
    return f"bulk-{start.astimezone(UTC):%Y-%m-%d}.{extension}"


def recipients(arrangement: BulkArrangement) -> list[str]:
    if arrangement.recipients:
        return header_addresses(arrangement.recipients)
    email = arrangement.contact.working_email
    return header_addresses([email]) if email else []


def compose(arrangement: BulkArrangement, rows: list[Row], start: datetime, end: datetime, body: str | None = None):
    message = EmailMessage(
        subject=subject(arrangement, rows, start, end),
        body=render_body(arrangement, rows, start, end) if body is None else body,
        to=recipients(arrangement),
        reply_to=[settings.FIGHTBACK_REPLY_ADDRESS],
        headers={"Auto-Submitted": "auto-generated"},
    )
    if arrangement.format == BulkArrangement.Format.CSV:
        message.attach(attachment_name(arrangement, start), render_csv(rows), "text/csv")
    elif arrangement.format == BulkArrangement.Format.XARF:
        message.attach(attachment_name(arrangement, start), render_xarf(rows), "application/json")
    return message


# --------------------------------------------------------------------- running


@dataclass
class Preview:
    arrangement: BulkArrangement
    start: datetime
    end: datetime
    rows: list[Row]
    subject: str
    body: str
    to: list[str]


def preview(arrangement: BulkArrangement, now: datetime | None = None) -> Preview | None:
    """What the next summary would say, changing nothing (links not made yet
    show empty). None while no period is due."""
    now = now or timezone.now()
    period = next_period(arrangement, now)
    if period is None:
        length = period_length(arrangement.cadence)
        start = arrangement.covered_until or last_full_period_end(arrangement.cadence, now) - length
        period = (start, start + length)
    start, end = period
    rows = qualifying_sources(arrangement, start, end)
    known_tokens(arrangement, rows)
    return Preview(
        arrangement,
        start,
        end,
        rows,
        subject(arrangement, rows, start, end),
        render_body(arrangement, rows, start, end),
        recipients(arrangement) if arrangement.send_mail else [],
    )


def summarise(arrangement: BulkArrangement, start: datetime, end: datetime, now: datetime | None = None):
    """Summarise one period once: the BulkReport row, the AbuseReports behind
    the links and the mail, in one transaction. None if already done."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            bulk = BulkReport.objects.create(arrangement=arrangement, period_start=start, period_end=end)
            rows = qualifying_sources(arrangement, start, end)
            to = recipients(arrangement) if arrangement.send_mail else []
            attach_reports(arrangement, rows, now, sent_to=to[0] if to else "")
            bulk.sources = len(rows)
            if rows:
                bulk.body = render_body(arrangement, rows, start, end)
                if to:
                    outbox.queue(compose(arrangement, rows, start, end, bulk.body), OutboundMail.Kind.BULK)
                    bulk.sent_at = now
            bulk.save(update_fields=["sources", "body", "sent_at"])
            BulkArrangement.objects.filter(pk=arrangement.pk).update(covered_until=end)
            arrangement.covered_until = end
    except IntegrityError:
        # Another run made this period's row first: it sends, not this one.
        return None
    return bulk


def run(now: datetime | None = None) -> list[BulkReport]:
    """Summarise every due period (catching up on missed ones)."""
    now = now or timezone.now()
    made = []
    for arrangement, start, end in due(now):
        for _ in range(CATCH_UP_PERIODS):
            bulk = summarise(arrangement, start, end, now)
            if bulk is None:
                break
            made.append(bulk)
            period = next_period(arrangement, now)
            if period is None:
                break
            start, end = period
    return made


def resend(bulk: BulkReport) -> bool:
    """Mail a stored summary again, as it was (same period, same body)."""
    arrangement = bulk.arrangement
    if not bulk.body or not recipients(arrangement):
        return False
    rows = qualifying_sources(arrangement, bulk.period_start, bulk.period_end)
    known_tokens(arrangement, rows)
    # A resend is asked for: a new message (new Message-ID), not a repeat of the first.
    outbox.queue(compose(arrangement, rows, bulk.period_start, bulk.period_end, bulk.body), OutboundMail.Kind.BULK)
    return True


def download(bulk: BulkReport, extension: str) -> str:
    """A stored summary in a format, re-rendered from the rollups for its
    period, with the links it carried."""
    arrangement = bulk.arrangement
    rows = qualifying_sources(arrangement, bulk.period_start, bulk.period_end)
    known_tokens(arrangement, rows)
    return RENDERERS[extension](rows)
