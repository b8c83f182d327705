"""The networks the portal knows by name, and the refresh that loads them.

Three sources, all offline:

- MISP's warning lists, shipped by the ``pymispwarninglists`` package: a
  curated few, each with why it is here (``MISP_LISTS``). The cloud
  providers' lists (amazon-aws, google-gcp, microsoft-azure) are left out on
  purpose, and Akamai's cloud is carved out of its CDN list (``CARVE_OUTS``):
  anyone can rent a VM there, and rented VMs are among the commonest
  attackers.
- The DNS root servers (``ROOT_SERVERS``).
- The portal's own reporter-facing networks (``PORTAL_OWN_NETWORKS``).

``known_networks_refresh()`` replaces every package and built-in row in one
transaction; rows admins added stay.
"""

import ipaddress
import json
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pymispwarninglists
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from pymispwarninglists import WarningList

from .models import KnownNetwork

NEVER = KnownNetwork.Kind.NEVER_LIST
SCANNER = KnownNetwork.Kind.SCANNER


class Pick(NamedTuple):
    kind: str
    name: str  # shown on pages beside the address
    why: str


# Keyed by the list's folder in the package (data/misp-warninglists/lists/<key>/list.json).
MISP_LISTS = {
    # Past the big operators' resolvers it names open resolvers anywhere: most of its 62k are on
    # consumer lines (routers answering DNS to the world). A listed address is never counted itself, but
    # speaks for no neighbour (selectors.known_network_sql); the operators' own networks are RESOLVERS.
    "public-dns-v4": Pick(
        NEVER, "Public DNS resolver", "its answers reach every firewall that asked, from port 53, and read as probes"
    ),
    "public-dns-v6": Pick(NEVER, "Public DNS resolver", "the same, over IPv6"),
    "cloudflare": Pick(
        NEVER, "Cloudflare", "proxy of millions of sites: the attacker is behind it, listing it blocks them all"
    ),
    "akamai": Pick(NEVER, "Akamai", "CDN edge shared by thousands of sites (its cloud compute is carved out below)"),
    "fastly": Pick(NEVER, "Fastly", "CDN edge shared by thousands of sites"),
    "stackpath": Pick(NEVER, "StackPath", "CDN edge shared by thousands of sites"),
    "shodan-scanning": Pick(SCANNER, "Shodan", "search engine of exposed services; publishes its crawlers"),
    "shodan-nt-scanning": Pick(SCANNER, "Shodan", "Shodan's crawlers as CIRCL's network telescope saw them"),
    "censys-scanning": Pick(SCANNER, "Censys", "research-born internet census; publishes its ranges and an opt-out"),
    "shadowserver": Pick(
        SCANNER, "Shadowserver", "non-profit that scans to tell network owners about their exposed services"
    ),
    "shadowserver-nt-scanning": Pick(SCANNER, "Shadowserver", "the same, as CIRCL's network telescope saw it"),
    "rapid7-nt-scanning": Pick(SCANNER, "Rapid7 Project Sonar", "published internet-wide research scans, opt-out"),
    "internet-census-nt-scanning": Pick(
        SCANNER, "Internet Census Group", "research scans from published ranges, opt-out"
    ),
    "onyphe-scanner": Pick(SCANNER, "ONYPHE", "cyber-defence search engine; publishes its ranges"),
    "onyphe-nt-scanning": Pick(SCANNER, "ONYPHE", "the same, as CIRCL's network telescope saw it"),
    "modat-scanner": Pick(SCANNER, "Modat", "internet scanning search engine; publishes its ranges"),
    "modat-nt-scanning": Pick(SCANNER, "Modat", "the same, as CIRCL's network telescope saw it"),
    "alphastrike-scanning": Pick(SCANNER, "Alpha Strike Labs", "security research scans from its own AS208843"),
    "alphastrike-research-nt-scanning": Pick(
        SCANNER, "Alpha Strike Labs", "the same, as CIRCL's network telescope saw it"
    ),
    "cybergreen-nt-scanning": Pick(SCANNER, "CyberGreen", "non-profit measuring the internet's exposure"),
}
# Not picked, though they look alike: scanners with no named operator or no published purpose
# (research-scanner-, shadowforce-, skipa-, probethenet-, cypex-, f6-, netsecscan-), scans a
# customer directs at any target (tenable-cloud-*), and hundreds of rented cloud /32s whose next
# tenant a label would shield (coalition-signals-intelligence-).

# Parts of a picked list that are not what the list is named for, with why.
CARVE_OUTS = {
    "akamai": {
        "172.232.0.0/13": "Akamai Connected Cloud (formerly Linode): VMs anyone can rent",
    },
}

# a. to m.root-servers.net: the root hints IANA publishes (named.root, root zone 2024110501), as
# root-servers.org lists them. Each letter is anycast from many sites; the addresses do not move.
ROOT_HINTS_VERSION = "2024110501"
ROOT_HINTS_SOURCE = "IANA root hints (named.root), root-servers.org"
ROOT_SERVERS = (
    ("a", "Verisign", "198.41.0.4", "2001:503:ba3e::2:30"),
    ("b", "USC-ISI", "170.247.170.2", "2801:1b8:10::b"),
    ("c", "Cogent", "192.33.4.12", "2001:500:2::c"),
    ("d", "University of Maryland", "199.7.91.13", "2001:500:2d::d"),
    ("e", "NASA Ames", "192.203.230.10", "2001:500:a8::e"),
    ("f", "ISC", "192.5.5.241", "2001:500:2f::f"),
    ("g", "US DoD NIC", "192.112.36.4", "2001:500:12::d0d"),
    ("h", "US Army Research Lab", "198.97.190.53", "2001:500:1::53"),
    ("i", "Netnod", "192.36.148.17", "2001:7fe::53"),
    ("j", "Verisign", "192.58.128.30", "2001:503:c27::2:30"),
    ("k", "RIPE NCC", "193.0.14.129", "2001:7fd::1"),
    ("l", "ICANN", "199.7.83.42", "2001:500:9f::42"),
    ("m", "WIDE Project", "202.12.27.33", "2001:dc3::35"),
)

# The big public resolvers' service networks, each as its operator documents its addresses: a
# block-list entry that covered one would break name resolution for whoever loads the list, so
# the whole network is never listed, not just the published address.
RESOLVERS_SOURCE = "the operators' published resolver addresses"
RESOLVERS = (
    ("Google Public DNS", ("8.8.8.0/24", "8.8.4.0/24", "2001:4860:4860::/48")),
    ("Cloudflare DNS", ("1.1.1.0/24", "1.0.0.0/24", "2606:4700:4700::/48")),
    ("Quad9", ("9.9.9.0/24", "149.112.112.0/24", "2620:fe::/48")),
    ("OpenDNS (Cisco Umbrella)", ("208.67.222.0/24", "208.67.220.0/24", "2620:119:35::/48", "2620:119:53::/48")),
    ("AdGuard DNS", ("94.140.14.0/24", "94.140.15.0/24", "2a10:50c0::/32")),
    ("CleanBrowsing", ("185.228.168.0/24", "185.228.169.0/24")),
    ("Yandex DNS", ("77.88.8.0/24",)),
    ("Level 3 / Lumen resolvers", ("4.2.2.0/24",)),
)

OWN_NETWORKS_SOURCE = "PORTAL_OWN_NETWORKS setting"

LISTS_DIR = Path(pymispwarninglists.__file__).parent / "data" / "misp-warninglists" / "lists"

COPY = (
    f"COPY {KnownNetwork._meta.db_table} (network, kind, name, origin, source, source_version, refreshed_at) FROM STDIN"
)


class Row(NamedTuple):
    network: str
    kind: str
    name: str
    origin: str
    source: str
    source_version: str


def misp_list(key: str) -> WarningList:
    with open(LISTS_DIR / key / "list.json", encoding="utf-8") as f:
        return WarningList(json.load(f))


def _minus(network, hole) -> list:
    if network.version != hole.version or not network.overlaps(hole):
        return [network]
    if network.subnet_of(hole):
        return []
    return list(network.address_exclude(hole))


def _carve(networks, holes):
    for network in networks:
        parts = [network]
        for hole in holes:
            parts = [part for piece in parts for part in _minus(piece, hole)]
        yield from parts


def canonical(entry: str) -> str:
    """One spelling per network (a single address without its /32 or /128,
    as PostgreSQL prints a cidr), so that two spellings of one network meet
    in a set. Raises ValueError for anything else, host bits set included."""
    entry = entry.strip()
    if "/" not in entry:
        return str(ipaddress.ip_address(entry))  # most entries; far cheaper to parse than a network
    network = ipaddress.ip_network(entry)
    return str(network.network_address if network.prefixlen == network.max_prefixlen else network)


def package_rows():
    for key, pick in MISP_LISTS.items():
        warning_list = misp_list(key)
        source = f"MISP warning list: {warning_list.name}"
        networks = {canonical(entry) for entry in warning_list.list}
        if holes := [ipaddress.ip_network(hole) for hole in CARVE_OUTS.get(key, ())]:
            networks = {str(part) for part in _carve(map(ipaddress.ip_network, networks), holes)}
        for network in networks:
            yield Row(network, pick.kind, pick.name, KnownNetwork.Origin.PACKAGE, source, str(warning_list.version))


def builtin_rows():
    for letter, operator, *addresses in ROOT_SERVERS:
        for address in addresses:
            yield Row(
                address,
                NEVER,
                f"{letter}.root-servers.net ({operator})",
                KnownNetwork.Origin.BUILTIN,
                ROOT_HINTS_SOURCE,
                ROOT_HINTS_VERSION,
            )
    for operator, networks in RESOLVERS:
        for network in networks:
            yield Row(network, NEVER, operator, KnownNetwork.Origin.BUILTIN, RESOLVERS_SOURCE, "")
    for network in own_networks():
        yield Row(network, NEVER, settings.SITE_NAME, KnownNetwork.Origin.BUILTIN, OWN_NETWORKS_SOURCE, "")


def own_networks() -> list[str]:
    networks = []
    for value in settings.PORTAL_OWN_NETWORKS:
        try:
            networks.append(canonical(value))
        except ValueError as e:
            raise ValueError(f"PORTAL_OWN_NETWORKS: {value!r} is not a network ({e})") from None
    return networks


def known_networks_refresh(*, using: str = DEFAULT_DB_ALIAS) -> Counter:
    """Replace every package and built-in known network with what the
    package and settings say now, in one transaction; admins' rows stay.
    Returns how many rows each source has."""
    rows = [*package_rows(), *builtin_rows()]
    now = timezone.now()
    table = KnownNetwork._meta.db_table
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        # Two refreshes at once would each delete the rows they can see and both insert theirs; readers
        # (the block list, pages) are not held up by this lock and see the old rows until the commit.
        cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(
            f"DELETE FROM {table} WHERE origin IN (%s, %s)",  # noqa: S608 (our table's name)
            [KnownNetwork.Origin.PACKAGE, KnownNetwork.Origin.BUILTIN],
        )
        with cursor.copy(COPY) as copy:
            for row in rows:
                copy.write_row((*row, now))
    return Counter(row.source for row in rows)
