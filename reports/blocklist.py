"""The daily block list (issue 8): the networks most worth blocking today.

What is listed, for the list of day D:

- The top ``SIZE`` IPv4 /24 networks over the ``WINDOW_DAYS`` whole UTC days
  before D (D-3 to D-1; D itself is not over), counting **independent
  reporters** only (incidents.trust): accounts that are verified, past
  probation, trusted and not suspended, with reporters on one network
  counted once. A network needs at least TRUST_MIN_NETWORKS of them.
- Ranked by independent reporters, then by **weight**: for each
  independent reporter, source and day, the most addresses the source
  reached on one port (a rollup row's addresses are distinct), counted up
  to TRUST_TARGETS_PER_SOURCE_DAY. So one reporter can never outweigh two, and
  no reporter can buy rank with invented targets or event counts (the
  ``count`` of a line is not read at all). Then the lower network address,
  so one set of rollups always gives one list.
- **Attacks** are the events independent reporters reported from the
  network in those days: shown, never ranked.
- Read from the SourceDay rollups only, which hold kept events: anything a
  false-positive rule filtered is not counted.
- Never listed: networks overlapping well-known infrastructure or research
  scanners (incidents.trust KnownNetwork), a network delisted after a review
  (until BLOCKLIST_DELIST_DAYS pass or new independent reporters see it), and
  a network new in the list with a sudden weight until an admin approves it
  (``reports.listings``).
- Sources inside the reserved ranges are not ranked: those ranges are
  listed whole anyway (``reserved.RESERVED``), after the ranked networks.
- Name, country and abuse address come from the stored contacts (admin
  table first, then cached RDAP, reports.contacts.known_contact); the build
  never asks a registry. A network is named by the contact of its source
  most independent reporters saw.
- Nothing about reporters or their addresses is listed, only counts.

A day's list is built once (``build``) and stored as a BlockList snapshot
with every file and its signature; requests serve the stored bytes.
"""

import base64
import ipaddress
import json
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date

from django.db import connection, transaction
from django.utils import timezone

from . import blocklist_formats, signing
from .blocklist_ranking import PREFIX, RANKED_SPARE, SIZE, Ranked, rank, window
from .contacts import known_contact
from .listings import admitted
from .models import BlockList
from .reserved import RESERVED

LOCK_KEY = 0x626C  # pg_advisory_xact_lock(LOCK_KEY, day): one build of a day at a time


@dataclass(frozen=True)
class BlockListEntry:
    """One line of the list. ``rank`` is None for a reserved range, whose
    counts are None too (they are listed whole, not counted)."""

    start: str
    end: str
    netblock: int  # the prefix length, as in DShield's block.txt: start/netblock is the network
    rank: int | None
    attacks: int | None
    targets: int | None  # the weight: capped targets (module docstring)
    reporters: int | None  # independent reporters
    name: str
    country: str
    abuse: str
    reserved: bool
    first_seen: str | None = None  # ISO times, by independent reporters in the window
    last_seen: str | None = None
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


def ranked_networks(day: date) -> list[BlockListEntry]:
    """The day's ranked entries, reviews applied: held and delisted networks
    give their place to the next ones."""
    first_day, last_day = window(day)
    ranked = rank(first_day, last_day, limit=SIZE + RANKED_SPARE)
    kept = admitted(day, ranked, SIZE)
    return [_entry(n, r) for n, r in enumerate(kept, start=1)]


def _entry(position: int, r: Ranked) -> BlockListEntry:
    network = ipaddress.IPv4Network(r.network)
    contact = known_contact(r.busiest, stale_ok=True)
    return BlockListEntry(
        start=str(network.network_address),
        end=str(network.broadcast_address),
        netblock=PREFIX,
        rank=position,
        attacks=r.events,
        targets=r.weight,
        reporters=r.reporters,
        name=contact.organisation if contact else "",
        country=contact.country if contact else "",
        abuse=(contact.working_email or "") if contact else "",
        reserved=False,
        first_seen=r.first_seen.astimezone(UTC).isoformat(),
        last_seen=r.last_seen.astimezone(UTC).isoformat(),
    )


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
