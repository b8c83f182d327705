"""Look-ups by key: a port's history, an address, a network. Each is a few
index range reads: PortDay by (protocol, target_port, day), SourceDay by
(source_ip, day). Network owners come from what is stored (the admin table or
a cached RDAP answer), never from a live look-up.

What an address's page says is k-anonymous (reports.public.anonymity): the
address is described once at least k independent reporters saw it in the
window, and then only by what at least k saw."""

import ipaddress
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from incidents.trust.selectors import Known, known_network, known_networks_overlapping, public_k

from .anonymity import counted_rows, seen_span, to_hour
from .front import HISTORY_DAYS, PUBLIC_PORT_DAY, port_name
from .labels import most_specific

SUBNET_ADDRESSES_SHOWN = 256
FORWARDS_SHOWN = 10


def history_span(days: int, today: date | None = None) -> tuple[date, date]:
    """The first and last day of a ``days``-day history ending today (UTC)."""
    today = today or timezone.now().date()
    return today - timedelta(days=days - 1), today


@dataclass
class PortDayFigures:
    day: date
    events: int
    sources: int
    reporters: int
    counting: bool  # events came in after the last count of sources and reporters


@dataclass
class PortHistory:
    protocol: str
    port: int
    days: list[PortDayFigures]  # every day of the window, oldest first; days without reports are zeros

    @property
    def name(self) -> str:
        return port_name(self.protocol, self.port)

    @property
    def events(self) -> int:
        return sum(d.events for d in self.days)

    @property
    def counting(self) -> bool:
        return any(d.counting for d in self.days)


PORT_HISTORY = f"""
SELECT day, events, sources, reporters, counting FROM {PUBLIC_PORT_DAY} p
WHERE protocol = %(protocol)s AND target_port = %(port)s AND day >= %(first)s AND day <= %(last)s
"""  # noqa: S608 (no input in the text)


def port_history(protocol: str, port: int, days: int = HISTORY_DAYS) -> PortHistory:
    """One port's last ``days`` days: events, sources and independent
    reporters a day, where at least k saw the port (else zeros)."""
    first, last = history_span(days)
    with connection.cursor() as cur:
        cur.execute(PORT_HISTORY, {"protocol": protocol, "port": port, "first": first, "last": last, "k": public_k()})
        by_day = {row[0]: row for row in cur.fetchall()}
    span = [first + timedelta(days=n) for n in range(days)]
    return PortHistory(
        protocol,
        port,
        [PortDayFigures(*by_day[d]) if d in by_day else PortDayFigures(d, 0, 0, 0, False) for d in span],
    )


@dataclass
class PortCount:
    protocol: str
    port: int
    events: int
    reporters: int

    @property
    def name(self) -> str:
        return port_name(self.protocol, self.port)


@dataclass
class Forwarded:
    """A report of this address to its network's abuse desk: when, and to which
    organisation; nothing else about the contact."""

    sent_at: datetime
    organisation: str


@dataclass
class IpSummary:
    """What public pages say of one address. Below k independent reporters
    in the window (none included, so that "nobody" and "one" look alike)
    ``shown`` is False and nothing of what they saw is said: no figures, no
    ports, no times."""

    ip: str
    days: int  # the window of events, reporters, ports and daily figures
    k: int
    shown: bool
    events: int | None  # on the ports shown
    reporters: int | None  # independent reporters, on any port
    ports: list[PortCount]  # those at least k independent reporters saw it on, the most reporters first
    daily: list[tuple[date, int, int]]  # (day, events, reporters), days at least k saw it on those ports
    first_seen: datetime | None  # when k independent reporters had seen it, to the hour
    last_seen: datetime | None  # the last sighting among the k latest, to the hour
    network: str | None  # the owner's organisation, or its netblock
    netblock: str | None
    country: str | None
    forwarded: list[Forwarded]  # newest first
    subnet: str  # the /24 (IPv4) or /64 (IPv6) the address is in
    known: Known | None = None  # a research scanner or well-known infrastructure

    @property
    def subnet_address(self) -> str:
        return self.subnet.split("/")[0]

    @property
    def subnet_prefix(self) -> int:
        return int(self.subnet.split("/")[1])


# The window's rows of reporters who count, each with its independence group
# (grp); then the ports at least k groups saw it on (kept); one pass over
# kept for three answers: by port, by day and in all (GROUPING tells them
# apart: 1 by port, 6 by day, 7 all), with the groups on any port and the
# k-th group's first and last sighting in the same round trip. Reads the
# covering (source_ip, day) index, and the standings by key.
IP_FIGURES = f"""
WITH counted AS MATERIALIZED ({counted_rows("s.source_ip = %(ip)s AND s.day >= %(since)s")}),
kept AS (
    SELECT * FROM counted WHERE (protocol, target_port) IN (
        SELECT protocol, target_port FROM counted GROUP BY protocol, target_port HAVING count(DISTINCT grp) >= %(k)s
    )
), groups AS (
    SELECT min(first_seen) AS first_seen, max(last_seen) AS last_seen FROM kept GROUP BY grp
)
SELECT GROUPING(protocol, target_port, day), protocol, target_port, day, sum(events), count(DISTINCT grp),
       (SELECT count(DISTINCT grp) FROM counted),
       (SELECT first_seen FROM groups ORDER BY first_seen OFFSET %(k)s - 1 LIMIT 1),
       (SELECT last_seen FROM groups ORDER BY last_seen DESC OFFSET %(k)s - 1 LIMIT 1)
FROM kept
GROUP BY GROUPING SETS ((protocol, target_port), (day), ())
"""  # noqa: S608 (no input in the text)


def subnet_of(ip: str) -> str:
    address = ipaddress.ip_address(ip)
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _figures(ip: str, since: date, k: int):
    """(independent reporters, events, ports, daily, first seen, last seen) of ``ip`` since ``since``."""
    with connection.cursor() as cur:
        cur.execute(IP_FIGURES, {"ip": ip, "since": since, "k": k})
        rows = cur.fetchall()
    # The grand total's row is there even when nothing was kept, and every row carries the scalars.
    reporters, first_seen, last_seen = rows[0][6:]
    ports, daily, events = [], [], 0
    for grouping, proto, port, day, n_events, n_reporters, *_ in rows:
        if grouping == 1:
            ports.append(PortCount(proto, port, n_events, n_reporters))
        elif grouping == 6 and n_reporters >= k:
            daily.append((day, n_events, n_reporters))
        elif grouping == 7:
            events = n_events or 0
    ports.sort(key=lambda p: (-p.reporters, -p.events, p.protocol, p.port))
    return reporters, events, ports, sorted(daily), *seen_span(first_seen, last_seen)


def ip_summary(ip: str, days: int = HISTORY_DAYS) -> IpSummary:
    """What the portal tells anyone of one source address. ``ip`` must be valid."""
    from ..contacts import known_contact
    from ..models import AbuseReport

    ip = str(ipaddress.ip_address(ip))
    since, _ = history_span(days)
    k = public_k()
    reporters, events, ports, daily, first_seen, last_seen = _figures(ip, since, k)
    shown = reporters >= k
    contact = known_contact(ip)
    sent = (
        AbuseReport.objects.filter(
            source_ip=ip, state__in=[AbuseReport.State.SENT, AbuseReport.State.IN_BULK], sent_at__isnull=False
        )
        .select_related("contact")
        .order_by("-sent_at")[:FORWARDS_SHOWN]
    )
    netblock = str(contact.netblock) if contact and contact.netblock else None
    forwarded = [Forwarded(to_hour(r.sent_at), r.contact.organisation or "the network's abuse desk") for r in sent]
    return IpSummary(
        ip=ip,
        days=days,
        k=k,
        shown=shown,
        events=events if shown else None,
        reporters=reporters if shown else None,
        ports=ports if shown else [],
        daily=daily if shown else [],
        first_seen=first_seen if shown else None,
        last_seen=last_seen if shown else None,
        network=(contact.organisation or netblock or f"AS{contact.asn}") if contact else None,
        netblock=netblock,
        country=(contact.country or None) if contact else None,
        # A mail goes out as the log that completes its case comes in: its time would tell that upload's.
        forwarded=forwarded if shown else [],
        subnet=subnet_of(ip),
        known=known_network(ip),
    )


@dataclass
class SubnetAddress:
    ip: str
    events: int  # on the ports shown for it
    reporters: int  # independent, on any port
    ports: int  # ports at least k independent reporters saw it on
    first_seen: datetime | None  # when k had seen it, to the hour; None when no port is shown
    last_seen: datetime | None
    known: Known | None = None


@dataclass
class SubnetSummary:
    network: str
    days: int
    k: int
    addresses: list[SubnetAddress]  # those at least k saw, by address, at most SUBNET_ADDRESSES_SHOWN
    address_count: int  # all such addresses in the network
    events: int
    reporters: int  # distinct independent reporters of those addresses
    known: list[Known]  # the known networks overlapping this one

    @property
    def truncated(self) -> bool:
        return self.address_count > len(self.addresses)


# The rule of an address's page, for every address of the network at once:
# an address is listed once k independent reporters saw it (shown), with its
# ports at least k saw (kept). "<<=" on the (source_ip, day) index is a range
# read from the network's first address to its last.
SUBNET_ROWS = f"""
WITH counted AS MATERIALIZED ({counted_rows("s.source_ip <<= %(network)s::inet AND s.day >= %(since)s")}),
shown AS (
    SELECT source_ip, count(DISTINCT grp) AS reporters FROM counted
    GROUP BY source_ip HAVING count(DISTINCT grp) >= %(k)s
), kept AS (
    SELECT * FROM counted WHERE (source_ip, protocol, target_port) IN (
        SELECT source_ip, protocol, target_port FROM counted
        GROUP BY source_ip, protocol, target_port HAVING count(DISTINCT grp) >= %(k)s
    )
)
"""  # noqa: S608 (no input in the text)
SUBNET_ADDRESSES = f"""{SUBNET_ROWS},
groups AS (
    SELECT source_ip, min(first_seen) AS first_seen, max(last_seen) AS last_seen FROM kept GROUP BY source_ip, grp
)
SELECT host(a.source_ip), coalesce(p.events, 0), a.reporters, coalesce(p.ports, 0), g.first_seen, g.last_seen
FROM shown a
LEFT JOIN (
    SELECT source_ip, sum(events) AS events, count(DISTINCT (protocol, target_port)) AS ports
    FROM kept GROUP BY source_ip
) p USING (source_ip)
LEFT JOIN (
    SELECT source_ip, (array_agg(first_seen ORDER BY first_seen))[%(k)s] AS first_seen,
           (array_agg(last_seen ORDER BY last_seen DESC))[%(k)s] AS last_seen
    FROM groups GROUP BY source_ip
) g USING (source_ip)
ORDER BY a.source_ip LIMIT %(limit)s OFFSET %(offset)s
"""  # noqa: S608 (no input in the text)
SUBNET_TOTALS = f"""{SUBNET_ROWS}
SELECT (SELECT count(*) FROM shown), (SELECT coalesce(sum(events), 0) FROM kept),
       (SELECT count(DISTINCT grp) FROM counted WHERE source_ip IN (SELECT source_ip FROM shown))
"""  # noqa: S608 (no input in the text)


def _subnet_params(network: str, days: int) -> dict:
    since, _ = history_span(days)
    return {"network": str(ipaddress.ip_network(network, strict=False)), "since": since, "k": public_k()}


def subnet_addresses(
    network: str, days: int = HISTORY_DAYS, limit: int = SUBNET_ADDRESSES_SHOWN, offset: int = 0, known=None
) -> list[SubnetAddress]:
    """One window of a network's addresses at least k independent reporters
    saw, by address (the API pages through them), labelled from ``known``
    (read when not given)."""
    params = _subnet_params(network, days)
    with connection.cursor() as cur:
        cur.execute(SUBNET_ADDRESSES, {**params, "limit": limit, "offset": offset})
        rows = cur.fetchall()
    if known is None:
        known = known_networks_overlapping([params["network"]])
    return [
        SubnetAddress(ip, events, reporters, ports, *seen_span(first, last), most_specific(ip, known))
        for ip, events, reporters, ports, first, last in rows
    ]


def subnet_totals(network: str, days: int = HISTORY_DAYS) -> tuple[int, int, int]:
    """A network's addresses at least k independent reporters saw over the
    last ``days`` days, their events shown and their independent reporters."""
    with connection.cursor() as cur:
        cur.execute(SUBNET_TOTALS, _subnet_params(network, days))
        return cur.fetchone()


def subnet_summary(network: str, days: int = HISTORY_DAYS) -> SubnetSummary:
    """The addresses of one network at least k independent reporters saw over the last ``days`` days."""
    network = str(ipaddress.ip_network(network, strict=False))
    count, events, reporters = subnet_totals(network, days)
    known = known_networks_overlapping([network])
    addresses = subnet_addresses(network, days, known=known)
    return SubnetSummary(network, days, public_k(), addresses, count, events, reporters, known)
