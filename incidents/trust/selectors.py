"""Reading trust: who counts, as whom, and which networks are known.

Public queries are SQL over the rollups; they take their trust clauses from
here, so the rule "count independent reporters, never list known
infrastructure" is written once:

    SELECT count(DISTINCT t.grp) ...
    FROM incidents_source_day s {counting_join("s")}
    WHERE NOT {known_network_sql("s.source_ip")}
"""

import functools
import hashlib
import ipaddress
import operator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from .models import KnownNetwork, ReporterStanding

STANDINGS = ReporterStanding._meta.db_table
KNOWN = KnownNetwork._meta.db_table


def counting_join(rollup: str, alias: str = "t") -> str:
    """A JOIN keeping only the rows of reporters who count; ``{alias}.grp``
    is the reporter's independence group, to be counted DISTINCT."""
    return (
        f"JOIN (SELECT reporter_id, grp FROM {STANDINGS} WHERE counts) {alias} "  # noqa: S608 (names, not input)
        f"ON {alias}.reporter_id = {rollup}.reporter_id"
    )


UNLISTABLE = (KnownNetwork.Kind.NEVER_LIST, KnownNetwork.Kind.SCANNER)


# A published list's single address (an open resolver on a home line) is that address only; a
# network, or an address an admin or the portal itself names, speaks for the /24 it lies in.
_SPEAKS_FOR_NETWORK = (
    "(masklen(k.network) < CASE family(k.network) WHEN 4 THEN 32 ELSE 128 END OR k.origin <> 'package')"
)


def known_network_sql(column: str, kinds: tuple[str, ...] = UNLISTABLE, *, network: bool = False) -> str:
    """True where ``column`` overlaps a known network of ``kinds`` (by
    default every network that is never listed nor mailed about:
    infrastructure and research scanners). For an address column, any known
    row containing it. With ``network`` (a /24 column) only the rows that
    speak for a network. Uses known_network_gist."""
    kinds_sql = ", ".join(f"'{k}'" for k in kinds)  # our own constants, never input
    extra = f" AND {_SPEAKS_FOR_NETWORK}" if network else ""
    return f"EXISTS (SELECT 1 FROM {KNOWN} k WHERE k.network && {column} AND k.kind IN ({kinds_sql}){extra})"  # noqa: S608


def known_address_sql(column: str) -> str:
    """True where the address ``column`` is itself a known single address.
    Written as IN over the whole table so that PostgreSQL hashes it once and
    probes the hash per row: over a million rollup rows that is a fraction
    of a second, where a probe of the GiST index per row took a minute."""
    return f"({column}::cidr IN (SELECT k.network FROM {KNOWN} k))"  # noqa: S608


def counting_groups(reporter_ids) -> int:
    """How many independent reporters the given accounts are."""
    return (
        ReporterStanding.objects.filter(reporter_id__in=list(reporter_ids), counts=True)
        .values("group")
        .distinct()
        .count()
    )


def counts(reporter_id: int) -> bool:
    return ReporterStanding.objects.filter(reporter_id=reporter_id, counts=True).exists()


@dataclass(frozen=True)
class Known:
    network: str
    kind: str
    name: str
    source: str
    origin: str = ""

    @property
    def is_scanner(self) -> bool:
        return self.kind == KnownNetwork.Kind.SCANNER

    @property
    def speaks_for_network(self) -> bool:
        """_SPEAKS_FOR_NETWORK, for one row in hand."""
        net = ipaddress.ip_network(self.network)
        return net.prefixlen < net.max_prefixlen or self.origin != KnownNetwork.Origin.PACKAGE


def _most_specific(found: list[Known]) -> Known | None:
    """The longest prefix; infrastructure before a scanner where two are as long."""
    return min(found, key=lambda k: (-ipaddress.ip_network(k.network).prefixlen, k.is_scanner), default=None)


def known_network(address: str, *, network: bool = False) -> Known | None:
    """The most specific known network overlapping ``address`` (an address,
    or a network: then also the known networks inside it); None when none is
    known. With ``network``, only rows that speak for a network."""
    found = known_networks_overlapping([address])
    return _most_specific([k for k in found if k.speaks_for_network] if network else found)


def known_for_listing(address: str, network: str) -> Known | None:
    """The known network that keeps ``address`` or its block-list network
    off the list: one containing the address itself, or one that speaks for
    the network (a published list's single address speaks only for itself)."""
    ip = ipaddress.ip_network(address, strict=False)

    def keeps_off(known: Known) -> bool:
        inside = ipaddress.ip_network(known.network)
        itself = ip.prefixlen == ip.max_prefixlen and ip.version == inside.version and ip.subnet_of(inside)
        return itself or known.speaks_for_network

    return _most_specific([k for k in known_networks_overlapping([network]) if keeps_off(k)])


def public_k() -> int:
    return settings.PUBLIC_K_REPORTERS


def known_networks_overlapping(networks) -> list[Known]:
    """Every known network overlapping one of ``networks`` (addresses or
    networks): one read for a page that labels many addresses."""
    networks = list(networks)
    if not networks:
        return []
    overlaps = functools.reduce(operator.or_, (Q(network__net_overlaps=n) for n in networks))
    rows = KnownNetwork.objects.filter(overlaps).values_list("network", "kind", "name", "source", "origin")
    return [Known(str(n), *rest) for n, *rest in rows]


def counting_fingerprint() -> str:
    """A digest of who counts and as which group: it changes exactly when a
    figure drawn through ``counting_join`` may change without new events."""
    rows = ReporterStanding.objects.filter(counts=True).order_by("reporter_id").values_list("reporter_id", "group")
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()
