"""The block list's published files, rendered from its entries.

Every file is a pure function of the day and the entries (no clock, no
random order), so rebuilding an unchanged list gives the same bytes and the
same ETag. The rule files carry no text from third parties: a network's
name comes from a registry, and a rule file is run as root, so they hold
only addresses and our own words.
"""

import json
import unicodedata
from datetime import date

from django.conf import settings
from django.urls import reverse

TEXT_NAME = "block.txt"
JSON_NAME = "block.json"
IPTABLES_NAME = "iptables.rules"
NFTABLES_NAME = "nftables.nft"
KEY_NAME = "signing-key.pem"

CHAIN = "PORTAL-BLOCKLIST"
NFT_TABLE = "portal_blocklist"
FIELDS = ("start", "end", "netblock", "attacks", "name", "country", "abuse")


def url(name: str = "") -> str:
    return settings.SITE_URL + reverse("blocklist") + name


def definition(first_day: date, last_day: date, size: int) -> list[str]:
    """What the list is, in the words every file's header repeats."""
    return [
        f"The {size} IPv4 /24 networks seen by the most independent reporters",
        f"from {first_day} to {last_day} (whole UTC days), then the reserved ranges",
        "commonly spoofed as sources (RFC 6890 special-purpose space, multicast, class E).",
        "Independent reporters: verified accounts past probation, trusted, not suspended;",
        f"reporters on one network count once; a network needs {settings.TRUST_MIN_NETWORKS} of them.",
        "Ties: more targets (the most addresses a reporter saw a source reach on one port on a day,",
        f"counted up to {settings.TRUST_TARGETS_PER_SOURCE_DAY}), then the lower address. Attacks: events those",
        "reporters saw from the network in those days, never ranked; events filtered as",
        "false positives are not counted. Well-known infrastructure and research scanners",
        "are never listed. Every listing is explained, and can be appealed, on the",
        "portal's IP and subnet pages.",
        "Block on Internet-facing interfaces only: the reserved ranges include the private",
        "networks (RFC 1918, RFC 6598) you may use inside.",
    ]


def _clean(value) -> str:
    """A field for a tab-delimited line: no tabs, line breaks or other
    control characters can come through from a registry's answer."""
    if value is None:
        return ""
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in str(value))
    return " ".join(text.split())


def _header(day: date, first_day: date, last_day: date, size: int, name: str) -> list[str]:
    return [
        f"{settings.SITE_NAME} block list for {day}",
        url(),
        "",
        *definition(first_day, last_day, size),
        "",
        f"Signature: {url(name)}.sig (ECDSA P-256, SHA-256)",
        f"Key: {url(KEY_NAME)}",
        f"  openssl dgst -sha256 -verify {KEY_NAME} -signature {name}.sig {name}",
    ]


def _comment(lines: list[str]) -> str:
    return "".join(f"#   {line}".rstrip() + "\n" for line in ["", *lines, ""])


def render_text(day, first_day, last_day, entries, size) -> str:
    header = _header(day, first_day, last_day, size, TEXT_NAME)
    header += [
        "",
        "Fields, tab-delimited: start, end, netblock (prefix length: start/netblock is the",
        "network, as in DShield's block.txt), attacks (empty for a reserved range), name,",
        "country, abuse (the network's abuse address).",
        "\t".join(FIELDS),
    ]
    rows = [
        "\t".join(_clean(v) for v in (e.start, e.end, e.netblock, e.attacks, e.name, e.country, e.abuse)) + "\n"
        for e in entries
    ]
    return _comment(header) + "".join(rows)


def render_json(day, first_day, last_day, entries, size) -> str:
    document = {
        "day": day.isoformat(),
        "first_day": first_day.isoformat(),
        "last_day": last_day.isoformat(),
        "url": url(),
        "definition": " ".join(definition(first_day, last_day, size)),
        "entries": [
            {
                "rank": e.rank,
                "start": e.start,
                "end": e.end,
                "netblock": e.netblock,
                "cidr": e.cidr,
                "attacks": e.attacks,
                "targets": e.targets,
                "reporters": e.reporters,
                "name": e.name,
                "country": e.country,
                "abuse": e.abuse,
                "reserved": e.reserved,
                "first_seen": e.first_seen,
                "last_seen": e.last_seen,
                "explained": None if e.reserved else settings.SITE_URL + reverse("public-subnet", args=[e.start, 24]),
            }
            for e in entries
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _rule_comment(entry) -> str:
    # Only our own words: see the module's docstring.
    return "reserved" if entry.reserved else f"rank {entry.rank}"


def render_iptables(day, first_day, last_day, entries, size) -> str:
    header = _header(day, first_day, last_day, size, IPTABLES_NAME)
    header += [
        "",
        f"Load (creates or empties the chain {CHAIN}, touches nothing else):",
        f"  iptables-restore --noflush < {IPTABLES_NAME}",
        "Then, once, send what arrives from the Internet through it (eth0: your outside interface):",
        f"  iptables -I INPUT -i eth0 -j {CHAIN}",
        f"  iptables -I FORWARD -i eth0 -j {CHAIN}",
    ]
    # With --noflush, declaring an existing chain empties it (iptables-legacy
    # and iptables-nft alike); the explicit -F keeps older iptables-nft honest.
    lines = ["*filter", f":{CHAIN} - [0:0]", f"-F {CHAIN}"]
    lines += [f'-A {CHAIN} -s {e.cidr} -m comment --comment "{_rule_comment(e)}" -j DROP' for e in entries]
    lines.append("COMMIT")
    return _comment(header) + "".join(line + "\n" for line in lines)


def _elements(entries) -> str:
    return "{\n" + ",\n".join(f"\t{e.cidr}" for e in entries) + "\n}"


HOOKS = ("input", "forward")
# Before the usual filter chains (priority 0): a drop is final in any base chain,
# and this way a listed source costs the rest of the ruleset nothing.
_BASE_CHAIN = "type filter hook {hook} priority filter - 5; policy accept;"


def _declare(head: str, *body: str) -> list[str]:
    """An empty set or chain, declared inside the table: on the first load it
    is created, on later ones the declaration is a no-op."""
    return [f"\t{head} {{", *(f"\t\t{line}" for line in body), "\t}"]


def render_nftables(day, first_day, last_day, entries, size) -> str:
    t = f"inet {NFT_TABLE}"
    header = _header(day, first_day, last_day, size, NFTABLES_NAME)
    header += [
        "",
        f"Load: nft -f {NFTABLES_NAME}   (one transaction: all of it or nothing)",
        f"The table {NFT_TABLE} is created on first load; each load empties and refills",
        "its sets and chains. Ranked networks are dropped on every interface; reserved",
        "ranges only on the interfaces you name once in the set internet_interfaces",
        "(loads keep it), because they include the private networks used inside:",
        f'  nft add element {t} internet_interfaces {{ "eth0" }}',
    ]
    ranked = [e for e in entries if not e.reserved]
    reserved = [e for e in entries if e.reserved]
    lines = [
        f"table {t} {{",
        *_declare("set networks", "type ipv4_addr", "flags interval"),
        *_declare("set reserved", "type ipv4_addr", "flags interval"),
        *_declare("set internet_interfaces", "type ifname"),
        *(line for hook in HOOKS for line in _declare(f"chain {hook}", _BASE_CHAIN.format(hook=hook))),
        "}",
        f"flush chain {t} input",
        f"flush chain {t} forward",
        f"flush set {t} networks",
        f"flush set {t} reserved",
    ]
    # An empty element list is a syntax error: a day without reports adds none.
    if ranked:
        lines.append(f"add element {t} networks {_elements(ranked)}")
    if reserved:
        lines.append(f"add element {t} reserved {_elements(reserved)}")
    for hook in HOOKS:
        lines.append(f"add rule {t} {hook} ip saddr @networks drop")
        lines.append(f"add rule {t} {hook} iifname @internet_interfaces ip saddr @reserved drop")
    return _comment(header) + "".join(line + "\n" for line in lines)


RENDERERS = {
    TEXT_NAME: render_text,
    JSON_NAME: render_json,
    IPTABLES_NAME: render_iptables,
    NFTABLES_NAME: render_nftables,
}


def render_all(day, first_day, last_day, entries, size) -> dict[str, str]:
    return {name: render(day, first_day, last_day, entries, size) for name, render in RENDERERS.items()}
