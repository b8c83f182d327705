"""The daily block list (issue 8): the networks most worth blocking today.

What is listed, for the list of day D:

- The top ``SIZE`` IPv4 /24 networks by **distinct targets** over the
  ``WINDOW_DAYS`` whole UTC days before D (D-3 to D-1; D itself is not over).
  A target is one reporter's one address: the distinct (reporter, target
  address) pairs the network's sources reached. Pairs, not bare addresses,
  because reporters' addresses are not distinct across reporters (many sit
  behind 192.168.1.1), and a source that hits one reporter's whole range
  is no more widespread than one hitting several reporters' single hosts.
  The rollups keep at most SourceDay.TARGETS_KEPT addresses per reporter,
  source, port and day, so for a sweeping network the count is a lower
  bound: it still ranks sweepers above everything else, which is the point.
  Ties are broken by distinct reporters, then attacks, then the lower
  network address, so one set of rollups always gives one list.
- **Attacks** are the events reported from the network in those days.
- Read from the SourceDay rollups only, which hold kept events: anything a
  false-positive rule filtered is not counted.
- Sources inside the reserved ranges are not ranked: those ranges are
  listed whole anyway (``reserved.RESERVED``), after the ranked networks.
- Name, country and abuse address come from the stored contacts (admin
  table first, then cached RDAP, reports.contacts.known_contact); the build
  never asks a registry. A network is named by the contact of its busiest
  source, since a registry's blocks can be smaller than a /24.
- Nothing about reporters or their addresses is listed, only counts.

A day's list is built once (``build``) and stored as a BlockList snapshot
with every file and its signature; requests serve the stored bytes.
"""

import base64
import ipaddress
import json
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from . import blocklist_formats, signing
from .contacts import known_contact
from .models import BlockList
from .reserved import RESERVED

SIZE = 20
WINDOW_DAYS = 3
PREFIX = 24
LOCK_KEY = 0x626C  # pg_advisory_xact_lock(LOCK_KEY, day): one build of a day at a time

# Exact distinct pairs need every address unnested, so they are counted only
# for networks that can still make the list: a network's count lies between
# the sum over its reporters of their largest row (different reporters' pairs
# never coincide) and the sum of all its rows; a network whose upper bound is
# below the SIZE-th largest lower bound is beaten by SIZE networks for sure.
RANKING = """
WITH counted AS (
    SELECT network(set_masklen(s.source_ip, %(prefix)s)) AS net, s.source_ip, s.reporter_id, s.events, s.target_ips,
           greatest(cardinality(s.target_ips), 1) AS width
    FROM incidents_source_day s
    WHERE s.day >= %(first_day)s AND s.day <= %(last_day)s
      AND family(s.source_ip) = 4
      AND NOT s.source_ip <<= ANY(%(reserved)s::cidr[])
),
per_reporter AS (
    SELECT net, reporter_id, sum(width) AS most, max(width) AS least, sum(events) AS events
    FROM counted GROUP BY net, reporter_id
),
totals AS (
    SELECT net, sum(most) AS most, sum(least) AS least, sum(events) AS events, count(*) AS reporters
    FROM per_reporter GROUP BY net
),
candidates AS (
    SELECT net, reporters, events FROM totals
    WHERE most >= (SELECT coalesce(min(least), 0)
                   FROM (SELECT least FROM totals ORDER BY least DESC LIMIT %(size)s) AS top)
),
targets AS (
    -- A row without addresses still counts as one target of its reporter.
    SELECT net, count(*) AS targets
    FROM (SELECT DISTINCT c.net, c.reporter_id, t.ip
          FROM counted c JOIN candidates USING (net)
          LEFT JOIN LATERAL unnest(c.target_ips) AS t (ip) ON true) AS pairs
    GROUP BY net
),
ranked AS (
    SELECT net, targets, reporters, events
    FROM targets JOIN candidates USING (net)
    ORDER BY targets DESC, reporters DESC, events DESC, net
    LIMIT %(size)s
),
busiest AS (
    SELECT DISTINCT ON (net) net, host(source_ip) AS source
    FROM (SELECT c.net, c.source_ip, sum(c.events) AS events
          FROM counted c JOIN ranked USING (net) GROUP BY c.net, c.source_ip) AS per_source
    ORDER BY net, events DESC, source_ip
)
SELECT host(net), targets, reporters, events, source
FROM ranked JOIN busiest USING (net)
ORDER BY targets DESC, reporters DESC, events DESC, net
"""


@dataclass(frozen=True)
class BlockListEntry:
    """One line of the list. ``rank`` is None for a reserved range, whose
    counts are None too (they are listed whole, not counted)."""

    start: str
    end: str
    netblock: int  # the prefix length, as in DShield's block.txt: start/netblock is the network
    rank: int | None
    attacks: int | None
    targets: int | None
    reporters: int | None
    name: str
    country: str
    abuse: str
    reserved: bool
    day: date | None = None  # the list's day, set when read back from a snapshot

    @property
    def cidr(self) -> str:
        return f"{self.start}/{self.netblock}"

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.cidr)

    def stored(self) -> dict:
        data = asdict(self)
        del data["day"]
        return data


def window(day: date) -> tuple[date, date]:
    """First and last whole UTC day counted by the list of ``day``."""
    return day - timedelta(days=WINDOW_DAYS), day - timedelta(days=1)


def ranked_networks(day: date) -> list[BlockListEntry]:
    first_day, last_day = window(day)
    params = {
        "prefix": PREFIX,
        "first_day": first_day,
        "last_day": last_day,
        "reserved": [r.cidr for r in RESERVED],
        "size": SIZE,
    }
    with connection.cursor() as cur:
        cur.execute(RANKING, params)
        rows = cur.fetchall()
    entries = []
    for rank, (start, targets, reporters, events, busiest) in enumerate(rows, start=1):
        network = ipaddress.IPv4Network(f"{start}/{PREFIX}")
        contact = known_contact(busiest, stale_ok=True)
        entries.append(
            BlockListEntry(
                start=str(network.network_address),
                end=str(network.broadcast_address),
                netblock=PREFIX,
                rank=rank,
                attacks=int(events),
                targets=targets,
                reporters=reporters,
                name=contact.organisation if contact else "",
                country=contact.country if contact else "",
                abuse=(contact.working_email or "") if contact else "",
                reserved=False,
            )
        )
    return entries


def reserved_entries() -> list[BlockListEntry]:
    entries = []
    for r in RESERVED:
        network = ipaddress.IPv4Network(r.cidr)
        entries.append(
            BlockListEntry(
                start=str(network.network_address),
                end=str(network.broadcast_address),
                netblock=network.prefixlen,
                rank=None,
                attacks=None,
                targets=None,
                reporters=None,
                name=f"reserved: {r.name} ({r.rfc})",
                country="",
                abuse="",
                reserved=True,
            )
        )
    return entries


def entries_for(day: date) -> list[BlockListEntry]:
    return ranked_networks(day) + reserved_entries()


# --------------------------------------------------------------------- snapshots


def build(day: date | None = None, *, rebuild: bool = False) -> BlockList:
    """The stored list of ``day`` (today, UTC, by default), built and signed
    if there is none. Building a day again returns the stored list untouched;
    ``rebuild`` recomputes it (late logs, a new key) and replaces it only if a
    file or the key changed, so an unchanged list keeps its ETag and dates."""
    day = day or timezone.now().astimezone(UTC).date()
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_KEY, day.toordinal()])
        existing = BlockList.objects.filter(day=day).first()
        if existing and not rebuild:
            return existing
        first_day, last_day = window(day)
        entries = entries_for(day)
        files = blocklist_formats.render_all(day, first_day, last_day, entries, SIZE)
        key = signing.load_key()
        public_key = signing.public_pem(key)
        if existing and existing.files == files and existing.public_key == public_key:
            return existing
        signatures = {name: _b64(signing.sign(key, text.encode())) for name, text in files.items()}
        snapshot, _ = BlockList.objects.update_or_create(
            day=day,
            defaults={
                "first_day": first_day,
                "last_day": last_day,
                "entries": [e.stored() for e in entries],
                "files": files,
                "signatures": signatures,
                "public_key": public_key,
                "built_at": timezone.now(),
            },
        )
        return snapshot


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def current_blocklist() -> BlockList:
    """Today's list, built now if the scheduled build has not run yet: what
    the published URLs serve."""
    today = timezone.now().astimezone(UTC).date()
    return BlockList.objects.filter(day=today).first() or build(today)


def snapshot_entries(snapshot: BlockList) -> list[BlockListEntry]:
    names = {f.name for f in fields(BlockListEntry)} - {"day"}
    return [BlockListEntry(**{k: v for k, v in e.items() if k in names}, day=snapshot.day) for e in snapshot.entries]


# --------------------------------------------------------------------- for other pages and the API


def blocklist_entry(ip: str) -> BlockListEntry | None:
    """The newest stored list's netblock containing ``ip`` (a ranked network
    or a reserved range), with its rank and attacks; None when the address
    is not listed, is not an address, or there is no list yet. Never builds."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    # Only what the look-up needs: the stored files and signatures are far larger.
    snapshot = BlockList.objects.only("day", "entries").order_by("-day").first()
    if snapshot is None or address.version != 4:
        return None
    return next((e for e in snapshot_entries(snapshot) if address in e.network), None)


def blocklist_document(snapshot: BlockList) -> dict:
    """A stored list as the document its block.json holds (day, window,
    definition, entries): the very one its signature covers."""
    return json.loads(snapshot.files[blocklist_formats.JSON_NAME])


def latest_blocklist() -> dict | None:
    """The newest stored list's document; None before the first build."""
    snapshot = BlockList.objects.order_by("-day").first()
    return blocklist_document(snapshot) if snapshot else None
