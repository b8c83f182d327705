"""Look-ups by key: a port's history, an address, a network. Each is a few
index range reads: PortDay by (protocol, target_port, day), SourceDay by
(source_ip, day). Network owners come from what is stored (the admin table or
a cached RDAP answer), never from a live look-up."""

import ipaddress
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from .front import HISTORY_DAYS, port_name

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


def port_history(protocol: str, port: int, days: int = HISTORY_DAYS) -> PortHistory:
    """One port's last ``days`` days: events, sources and reporters a day."""
    first, last = history_span(days)
    with connection.cursor() as cur:
        cur.execute(
            """SELECT day, events, sources, reporters, counted_events <> events FROM incidents_port_day
               WHERE protocol = %(protocol)s AND target_port = %(port)s AND day >= %(first)s AND day <= %(last)s""",
            {"protocol": protocol, "port": port, "first": first, "last": last},
        )
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
    ip: str
    days: int  # the window of events, reporters, ports and daily figures
    events: int
    reporters: int
    ports: list[PortCount]  # the most reporters first
    daily: list[tuple[date, int, int]]  # (day, events, reporters), days with reports
    first_seen: datetime | None  # by any reporter, over everything the portal keeps
    last_seen: datetime | None
    network: str | None  # the owner's organisation, or its netblock
    netblock: str | None
    country: str | None
    forwarded: list[Forwarded]  # newest first
    subnet: str  # the /24 (IPv4) or /64 (IPv6) the address is in

    @property
    def reported(self) -> bool:
        return self.first_seen is not None

    @property
    def subnet_address(self) -> str:
        return self.subnet.split("/")[0]

    @property
    def subnet_prefix(self) -> int:
        return int(self.subnet.split("/")[1])


# One pass over the address's rows in the window for three answers: by port,
# by day and in all (GROUPING tells them apart: 1 by port, 6 by day, 7 all);
# and, in the same round trip, its first and last sighting over everything
# kept. Every column is in the covering index: index-only reads.
IP_FIGURES = """
SELECT GROUPING(protocol, target_port, day), protocol, target_port, day, sum(events), count(DISTINCT reporter_id),
       (SELECT min(first_seen) FROM incidents_source_day WHERE source_ip = %(ip)s),
       (SELECT max(last_seen) FROM incidents_source_day WHERE source_ip = %(ip)s)
FROM incidents_source_day
WHERE source_ip = %(ip)s AND day >= %(since)s
GROUP BY GROUPING SETS ((protocol, target_port), (day), ())
"""


def subnet_of(ip: str) -> str:
    address = ipaddress.ip_address(ip)
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def ip_summary(ip: str, days: int = HISTORY_DAYS) -> IpSummary:
    """What the portal knows of one source address. ``ip`` must be valid."""
    from ..contacts import known_contact
    from ..models import AbuseReport

    ip = str(ipaddress.ip_address(ip))
    since, _ = history_span(days)
    ports, daily, events, reporters = [], [], 0, 0
    with connection.cursor() as cur:
        cur.execute(IP_FIGURES, {"ip": ip, "since": since})
        rows = cur.fetchall()
    # Every row carries them, and the grand total's row is there even when the window is empty.
    first_seen, last_seen = rows[0][6:] if rows else (None, None)
    for grouping, proto, port, day, n_events, n_reporters, _, _ in rows:
        if grouping == 1:
            ports.append(PortCount(proto, port, n_events, n_reporters))
        elif grouping == 6:
            daily.append((day, n_events, n_reporters))
        else:
            events, reporters = n_events or 0, n_reporters
    ports.sort(key=lambda p: (-p.reporters, -p.events, p.protocol, p.port))
    daily.sort()
    contact = known_contact(ip)
    sent = (
        AbuseReport.objects.filter(
            source_ip=ip, state__in=[AbuseReport.State.SENT, AbuseReport.State.IN_BULK], sent_at__isnull=False
        )
        .select_related("contact")
        .order_by("-sent_at")[:FORWARDS_SHOWN]
    )
    netblock = str(contact.netblock) if contact and contact.netblock else None
    return IpSummary(
        ip=ip,
        days=days,
        events=events,
        reporters=reporters,
        ports=ports,
        daily=daily,
        first_seen=first_seen,
        last_seen=last_seen,
        network=(contact.organisation or netblock or f"AS{contact.asn}") if contact else None,
        netblock=netblock,
        country=(contact.country or None) if contact else None,
        forwarded=[Forwarded(r.sent_at, r.contact.organisation or "the network's abuse desk") for r in sent],
        subnet=subnet_of(ip),
    )


@dataclass
class SubnetAddress:
    ip: str
    events: int
    reporters: int
    ports: int
    first_seen: datetime
    last_seen: datetime


@dataclass
class SubnetSummary:
    network: str
    days: int
    addresses: list[SubnetAddress]  # by address, at most SUBNET_ADDRESSES_SHOWN
    address_count: int  # all reported addresses in the network
    events: int
    reporters: int  # distinct over the whole network

    @property
    def truncated(self) -> bool:
        return self.address_count > len(self.addresses)


# "<<=" on the (source_ip, day) index is a range read from the network's
# first address to its last.
SUBNET_ADDRESSES = """
SELECT host(source_ip), sum(events), count(DISTINCT reporter_id), count(DISTINCT (protocol, target_port)),
       min(first_seen), max(last_seen)
FROM incidents_source_day
WHERE source_ip <<= %(network)s::inet AND day >= %(since)s
GROUP BY source_ip ORDER BY source_ip LIMIT %(limit)s OFFSET %(offset)s
"""
SUBNET_TOTALS = """
SELECT count(DISTINCT source_ip), coalesce(sum(events), 0), count(DISTINCT reporter_id)
FROM incidents_source_day WHERE source_ip <<= %(network)s::inet AND day >= %(since)s
"""


def subnet_addresses(
    network: str, days: int = HISTORY_DAYS, limit: int = SUBNET_ADDRESSES_SHOWN, offset: int = 0
) -> list[SubnetAddress]:
    """One window of a network's reported addresses, by address (the API pages through them)."""
    since, _ = history_span(days)
    params = {"network": str(ipaddress.ip_network(network, strict=False)), "since": since}
    with connection.cursor() as cur:
        cur.execute(SUBNET_ADDRESSES, {**params, "limit": limit, "offset": offset})
        return [SubnetAddress(*row) for row in cur.fetchall()]


def subnet_totals(network: str, days: int = HISTORY_DAYS) -> tuple[int, int, int]:
    """A network's reported addresses, events and distinct reporters over the last ``days`` days."""
    since, _ = history_span(days)
    with connection.cursor() as cur:
        cur.execute(SUBNET_TOTALS, {"network": str(ipaddress.ip_network(network, strict=False)), "since": since})
        return cur.fetchone()


def subnet_summary(network: str, days: int = HISTORY_DAYS) -> SubnetSummary:
    """The reported addresses of one network over the last ``days`` days."""
    network = str(ipaddress.ip_network(network, strict=False))
    count, events, reporters = subnet_totals(network, days)
    return SubnetSummary(network, days, subnet_addresses(network, days), count, events, reporters)
