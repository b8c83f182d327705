"""What the personal report reads. Every "how many others saw it" number
comes from the rollups (SourceDay, PortDay, FilteredDay), never from a scan of
events; only a user's own lines are read from the event table, by key."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from incidents.trust.models import KnownNetwork
from incidents.trust.selectors import KNOWN, STANDINGS, counting_join

WINDOWS = (1, 3, 7, 30)


def port_label(port: int) -> str:
    """Rollups keep -1 for protocols without ports (ICMP); readers see a dash."""
    return "\u2014" if port == -1 else str(port)


def window_start(days: int, today: date | None = None) -> date:
    today = today or timezone.now().date()
    return today - timedelta(days=days - 1)


def window_start_time(days: int) -> datetime:
    """The window's first moment, for queries on event time (which the
    event table's key can use, unlike a cast to date)."""
    return datetime.combine(window_start(days), time.min, tzinfo=UTC)


@dataclass
class SourceRow:
    source_ip: str
    events: int
    ports: list[int]
    first_seen: datetime
    last_seen: datetime
    others_same_ports: int  # independent reporters besides the user's own group
    others_any_port: int
    portal_first_seen: datetime
    portal_last_seen: datetime
    network_owner: str | None = None  # where known: an admin contact or an RDAP answer
    country: str | None = None
    forwarded_at: datetime | None = None  # last report to the network's abuse desk
    known: str | None = None  # KnownNetwork.Kind: well-known infrastructure or a research scanner

    @property
    def label(self) -> str:
        # Known networks are never "widespread", whatever the count: the label
        # would read as a call to act that the portal never makes on them.
        if self.known == KnownNetwork.Kind.NEVER_LIST:
            return "well-known infrastructure"
        if self.known == KnownNetwork.Kind.SCANNER:
            return "research scanner"
        if self.others_same_ports == 0:
            return "seen only by you"
        if self.others_same_ports < settings.REPORT_WIDESPREAD_REPORTERS:
            return "seen by a few"
        return "widespread"

    @property
    def low_confidence(self) -> bool:
        # A single packet from a source nobody else saw is often a wrong
        # number (a mistyped address, a stale DNS entry): shown, but marked.
        return self.events == 1 and self.others_any_port == 0

    @property
    def port_list(self) -> str:
        return ", ".join(port_label(p) for p in self.ports)


# "Others" are independent reporters (incidents.trust): groups of reporters
# who count, the user's own group left out, so that neither accounts of no
# standing nor the user's colleagues on one network make a source look
# widespread. The user's own rows are all theirs to see, whatever the standing.
PERSONAL_SOURCES = f"""
WITH own AS (
    SELECT grp FROM {STANDINGS} WHERE reporter_id = %(user)s
), mine AS (
    SELECT source_ip, sum(events) AS events, array_agg(DISTINCT target_port ORDER BY target_port) AS ports,
           min(first_seen) AS first_seen, max(last_seen) AS last_seen
    FROM incidents_source_day
    WHERE reporter_id = %(user)s AND day >= %(since)s AND day < %(end)s
    GROUP BY source_ip
    ORDER BY sum(events) DESC, source_ip
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT host(m.source_ip), m.events, m.ports, m.first_seen, m.last_seen,
       o.same_ports, o.any_port, w.first_seen, w.last_seen, n.organisation, n.country, f.sent_at, k.kind
FROM mine m
CROSS JOIN LATERAL (
    SELECT count(DISTINCT t.grp) FILTER (WHERE s.target_port = ANY (m.ports)) AS same_ports,
           count(DISTINCT t.grp) AS any_port
    FROM incidents_source_day s {counting_join("s")}
    WHERE s.source_ip = m.source_ip AND s.day >= %(since)s AND s.day < %(end)s AND s.reporter_id <> %(user)s
      AND t.grp IS DISTINCT FROM (SELECT grp FROM own)
) o
CROSS JOIN LATERAL (
    -- Portal-wide to the hour, and only once k saw it (the user and k-1 independent others):
    -- else the user's own, since one other's times would say when that one looked. Read from
    -- the covering index alone; rows of accounts that do not count only add their own times.
    SELECT CASE WHEN o.any_port + 1 >= %(k)s THEN date_trunc('hour', min(s.first_seen)) ELSE m.first_seen END
               AS first_seen,
           CASE WHEN o.any_port + 1 >= %(k)s THEN date_trunc('hour', max(s.last_seen)) ELSE m.last_seen END
               AS last_seen
    FROM incidents_source_day s WHERE s.source_ip = m.source_ip
) w
LEFT JOIN LATERAL (
    SELECT nullif(c.organisation, '') AS organisation, nullif(c.country, '') AS country
    FROM reports_networkcontact c
    WHERE c.netblock >>= m.source_ip
    ORDER BY c.source = 'admin' DESC, masklen(c.netblock) DESC LIMIT 1
) n ON true
LEFT JOIN LATERAL (
    SELECT max(r.sent_at) AS sent_at FROM reports_abusereport r
    WHERE r.source_ip = m.source_ip AND r.state IN ('sent', 'bulk')
) f ON true
LEFT JOIN LATERAL (
    SELECT k.kind FROM {KNOWN} k WHERE k.network >>= m.source_ip
    ORDER BY masklen(k.network) DESC, k.kind LIMIT 1
) k ON true
ORDER BY m.events DESC, m.source_ip
"""  # noqa: S608 (table names, not input)

SOURCE_COUNT = """
SELECT count(DISTINCT source_ip), coalesce(sum(events), 0)
FROM incidents_source_day WHERE reporter_id = %(user)s AND day >= %(since)s AND day < %(end)s
"""


def window_days(days: int) -> tuple[date, date]:
    """A window of the last ``days`` UTC days as [first, end)."""
    return window_start(days), timezone.now().date() + timedelta(days=1)


def sources_between(user, first: date, end: date, *, limit: int = 50, offset: int = 0) -> list[SourceRow]:
    """The sources that hit ``user`` on the UTC days [first, end), with how
    many other reporters saw each on those days: the report's, and the
    digest's, central number."""
    params = {
        "user": user.pk,
        "since": first,
        "end": end,
        "limit": limit,
        "offset": offset,
        "k": settings.PUBLIC_K_REPORTERS,
    }
    with connection.cursor() as cur:
        cur.execute(PERSONAL_SOURCES, params)
        return [SourceRow(*row) for row in cur.fetchall()]


def totals_between(user, first: date, end: date) -> tuple[int, int]:
    """(distinct sources, events) on the UTC days [first, end)."""
    with connection.cursor() as cur:
        cur.execute(SOURCE_COUNT, {"user": user.pk, "since": first, "end": end})
        return tuple(cur.fetchone())


def personal_sources(user, days: int, *, limit: int = 50, offset: int = 0) -> list[SourceRow]:
    return sources_between(user, *window_days(days), limit=limit, offset=offset)


def personal_totals(user, days: int) -> tuple[int, int]:
    """(distinct sources, events) in the window."""
    return totals_between(user, *window_days(days))


@dataclass
class SourceDetail:
    my_ports: list[tuple]  # (protocol, port, events, first_seen, last_seen)
    my_lines: list  # Event rows, newest first
    portal_days: list[tuple]  # (day, events, reporters)
    portal_ports: list[tuple]  # (protocol, port, events, reporters)
    portal_first_seen: datetime | None
    portal_last_seen: datetime | None
    reporters: int


def source_detail(user, source_ip: str, days: int, *, lines: int = 200) -> SourceDetail:
    from incidents.models import Event

    from .public.lookups import ip_summary

    since = window_start(days)
    params = {"user": user.pk, "source": source_ip, "since": since, "chart_since": window_start(30)}
    with connection.cursor() as cur:
        cur.execute(
            """SELECT protocol, target_port, sum(events), min(first_seen), max(last_seen)
               FROM incidents_source_day
               WHERE reporter_id = %(user)s AND source_ip = %(source)s AND day >= %(since)s
               GROUP BY protocol, target_port ORDER BY sum(events) DESC""",
            params,
        )
        my_ports = cur.fetchall()
    my_lines = list(
        Event.objects.filter(reporter=user, source_ip=source_ip, time__gte=window_start_time(days)).order_by("-time")[
            :lines
        ]
    )
    # What the portal says of the source is what it says to anyone (reports.public): from
    # independent reporters, k-anonymous, to the hour. Any account can name any source in
    # a log of its own, so its report must not become a way to learn what others watch.
    public = ip_summary(source_ip, days=30)
    portal_ports = [(p.protocol, p.port, p.events, p.reporters) for p in public.ports]
    return SourceDetail(
        my_ports, my_lines, public.daily, portal_ports, public.first_seen, public.last_seen, public.reporters or 0
    )


def port_comparison(user, days: int, limit: int = 25) -> list[tuple]:
    """(protocol, port, my events, my sources, portal events, my share %)."""
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH mine AS (
                SELECT protocol, target_port, sum(events) AS events, count(DISTINCT source_ip) AS sources
                FROM incidents_source_day WHERE reporter_id = %(user)s AND day >= %(since)s
                GROUP BY protocol, target_port ORDER BY sum(events) DESC LIMIT %(limit)s
            )
            SELECT m.protocol, m.target_port, m.events, m.sources, p.events
            FROM mine m CROSS JOIN LATERAL (
                SELECT coalesce(sum(events), 0) AS events FROM incidents_port_day d
                WHERE d.day >= %(since)s AND d.protocol = m.protocol AND d.target_port = m.target_port
            ) p
            ORDER BY m.events DESC
            """,
            {"user": user.pk, "since": window_start(days), "limit": limit},
        )
        return cur.fetchall()


def portal_top_ports(days: int, limit: int = 10) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(
            """SELECT protocol, target_port, sum(events) FROM incidents_port_day WHERE day >= %(since)s
               GROUP BY protocol, target_port ORDER BY sum(events) DESC LIMIT %(limit)s""",
            {"since": window_start(days), "limit": limit},
        )
        return cur.fetchall()


def filtered_summary(user, days: int) -> list[tuple[str, int]]:
    """(reason code, events) for what was filtered from this user's logs."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT reason, sum(events) FROM incidents_filtered_day
               WHERE reporter_id = %(user)s AND day >= %(since)s GROUP BY reason ORDER BY sum(events) DESC""",
            {"user": user.pk, "since": window_start(days)},
        )
        return cur.fetchall()


def recent_filtered_events(user, days: int, limit: int = 100):
    from incidents.models import Event

    return list(
        Event.objects.filter(reporter=user, time__gte=window_start_time(days))
        .exclude(filter_reason="")
        .order_by("-time")[:limit]
    )


def reason_texts(codes) -> dict[str, str]:
    """What each stored filter code means to a reader: built-in codes from
    the catalogue, ``rule:<id>`` from the rule's own wording."""
    from incidents.filters import REASONS
    from incidents.models import FilterRule

    codes = set(codes)
    texts = {code: REASONS[code] for code in codes if code in REASONS}
    rule_ids = [int(c.split(":", 1)[1]) for c in codes if c.startswith("rule:") and c[5:].isdigit()]
    for rule in FilterRule.objects.filter(pk__in=rule_ids):
        texts[rule.code] = rule.reason
    for code in codes - texts.keys():
        texts[code] = "a rule that has since been removed" if code.startswith("rule:") else code
    return texts


@dataclass
class AbuseRecord:
    """The public live record behind an abuse report's coded link: only
    portal-wide aggregates, never a reporter, a target or a per-reporter count."""

    source_ip: str
    network: str  # the contact's organisation, or its netblock / ASN
    country: str
    sent_at: datetime | None  # None: the mail has not gone out (yet)
    reported_events: int  # what the mail said
    reported_reporters: int
    reported_first: datetime | None
    reported_last: datetime | None
    days: list[tuple]  # (day, events, reporters) over RECORD_DAYS, days with data
    ports: list[tuple]  # (protocol, port, events, reporters) over RECORD_DAYS, at most RECORD_PORTS
    port_count: int  # all (protocol, port) pairs in the window
    events: int  # over RECORD_DAYS
    reporters: int  # distinct, over RECORD_DAYS
    first_seen: datetime | None  # portal-wide, all time
    last_seen: datetime | None
    since_events: int = 0  # after sent_at; a lower bound unless since_events_exact
    since_events_exact: bool = True
    since_reporters: int = 0
    since_last: datetime | None = None


RECORD_DAYS = 30
RECORD_PORTS = 50

# Events after the report, from the rollups alone (the event table has no
# index on the source). A rollup row covers one reporter's day on one port:
# rows first seen after sent_at are wholly after it; rows last seen after it
# but first seen before it straddle the sending, and only "at least one of
# their events" is known to be after it. Reporters and the last sighting are
# exact either way.
RECORD_SINCE = f"""
SELECT coalesce(sum(events) FILTER (WHERE first_seen > %(sent)s), 0),
       count(*) FILTER (WHERE first_seen <= %(sent)s),
       count(DISTINCT t.grp),
       max(last_seen)
FROM incidents_source_day s {counting_join("s")}
WHERE s.source_ip = %(source)s AND day >= %(sent_day)s AND last_seen > %(sent)s
"""  # noqa: S608 (our own clauses)


RECORD_DAYS_SQL = f"""
SELECT day, sum(events), count(DISTINCT t.grp) FROM incidents_source_day s {counting_join("s")}
WHERE s.source_ip = %(source)s AND day >= %(since)s GROUP BY day ORDER BY day
"""  # noqa: S608 (our own clauses)
RECORD_PORTS_SQL = f"""
SELECT protocol, target_port, sum(events), count(DISTINCT t.grp), count(*) OVER ()
FROM incidents_source_day s {counting_join("s")} WHERE s.source_ip = %(source)s AND day >= %(since)s
GROUP BY protocol, target_port
ORDER BY count(DISTINCT t.grp) DESC, sum(events) DESC, protocol, target_port
LIMIT %(limit)s
"""  # noqa: S608 (our own clauses)
RECORD_TOTALS_SQL = f"""
SELECT coalesce(sum(events), 0), count(DISTINCT t.grp) FROM incidents_source_day s {counting_join("s")}
WHERE s.source_ip = %(source)s AND day >= %(since)s
"""  # noqa: S608 (our own clauses)
RECORD_SPAN_SQL = f"""
SELECT min(first_seen), max(last_seen) FROM incidents_source_day s {counting_join("s")}
WHERE s.source_ip = %(source)s
"""  # noqa: S608 (our own clauses)


def abuse_record(report) -> AbuseRecord:
    """The live record of ``report``'s source, as its abuse desk may see it."""
    contact = report.contact
    source = str(report.source_ip)
    params = {"source": source, "since": window_start(RECORD_DAYS), "limit": RECORD_PORTS}
    with connection.cursor() as cur:
        cur.execute(RECORD_DAYS_SQL, params)
        days = cur.fetchall()
        cur.execute(RECORD_PORTS_SQL, params)
        port_rows = cur.fetchall()
        cur.execute(RECORD_TOTALS_SQL, params)
        events, reporters = cur.fetchone()
        cur.execute(RECORD_SPAN_SQL, params)
        first_seen, last_seen = cur.fetchone()
        since = (0, 0, 0, None)
        if report.sent_at is not None:
            sent = report.sent_at
            cur.execute(RECORD_SINCE, {"source": source, "sent": sent, "sent_day": sent.astimezone(UTC).date()})
            since = cur.fetchone()
    since_whole, straddling, since_reporters, since_last = since
    scope = str(contact.netblock) if contact.netblock else f"AS{contact.asn}"
    return AbuseRecord(
        source_ip=source,
        network=contact.organisation or scope,
        country=contact.country,
        sent_at=report.sent_at,
        reported_events=report.events,
        reported_reporters=report.reporters,
        reported_first=report.first_event,
        reported_last=report.last_event,
        days=days,
        ports=[row[:4] for row in port_rows],
        port_count=port_rows[0][4] if port_rows else 0,
        events=events,
        reporters=reporters,
        first_seen=first_seen,
        last_seen=last_seen,
        # Each straddling row saw at least one event after the report.
        since_events=since_whole + straddling,
        since_events_exact=straddling == 0,
        since_reporters=since_reporters,
        since_last=since_last,
    )
