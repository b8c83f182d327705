"""MikroTik RouterOS firewall log lines (rules with ``log=yes``).

RouterOS writes::

    [topics] [log-prefix] chain: in:IFACE out:IFACE, [connection-state:X] [src-mac MAC,]
        proto TCP (SYN), 203.0.113.5:51234->198.51.100.7:22, [NAT (...)->...,] len 60

as received by a syslog server (``Nov 22 10:00:01 router firewall,info ...``,
ISO stamps, or the chain as syslog tag with ``bsd-syslog``) or as printed or
saved by the router itself (``jan/15 14:30:01``, ``jan/15/2026 14:30:01``,
``2026-01-15 14:30:01``). ICMP shows ``(type 8, code 0)`` and no ports; IPv6
shows ``[addr]:port`` or ``addr.port``.

RouterOS does not log the rule's action, so the log prefix decides: a prefix
naming a drop, reject, block or deny is an event, one naming accept or allow
is skipped, and a line without any prefix is taken as an event because people
log their drop rules. A prefix that names neither is rejected with a reason:
the line may be a drop, so the user must see it, and which rule to rename.
"""

from __future__ import annotations

import re
from datetime import datetime

from .base import (
    MONTHS,
    LineError,
    ParseContext,
    ParsedEvent,
    Parser,
    ParseResult,
    Skipped,
    check_ip,
    check_port,
    parse_iso_time,
    protocol_name,
    tcp_flags,
)

_HINT = re.compile(r": in:.* out:.*\bproto ")
_HEAD = re.compile(
    r"""\s*(?:<\d{1,3}>(?:1\ )?)?
    (?:
      (?:(?P<mon>[A-Z][a-z]{2})\ +(?P<day>\d{1,2})\ +(?P<hms>\d\d:\d\d:\d\d)(?:\.\d+)?
        |(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(?P<off>Z|[+-]\d\d:?\d\d)?)
      (?P<syslog>\ +)
     |(?P<rmon>[a-z]{3})/(?P<rday>\d\d)(?:/(?P<ryear>\d{4}))?\ (?P<rhms>\d\d:\d\d:\d\d)\ +
     |(?P<date>\d{4}-\d\d-\d\d)\ (?P<dhms>\d\d:\d\d:\d\d)\ +
     |(?P<bare>\d\d:\d\d:\d\d)\ +
    )?
    """,
    re.X | re.ASCII,
)
_CHAIN = re.compile(r"(\S+): in:")
_TOPICS = re.compile(r"[a-z]+(?:,[a-z]+)+$")
_KNOWN_CHAINS = ("prerouting", "postrouting", "forward", "input", "output", "srcnat", "dstnat")
_PACKET = re.compile(
    r"\bproto (?P<proto>[\w-]+)(?: \((?P<detail>[^)]*)\))?, (?P<src>[0-9A-Fa-f.:\[\]]+)->(?P<dst>[0-9A-Fa-f.:\[\]]+)",
    re.ASCII,
)
_ICMP_DETAIL = re.compile(r"type (\d+), code (\d+)")
_FLAG_LETTERS = {"FIN": "F", "SYN": "S", "RST": "R", "PSH": "P", "ACK": "A", "URG": "U", "ECE": "E", "CWR": "C"}

_BLOCK_WORDS = ("drop", "reject", "block", "deny", "denied", "tarpit")
_ALLOW_WORDS = ("accept", "allow", "permit")


class MikrotikParser(Parser):
    name = "mikrotik"
    label = "MikroTik RouterOS firewall log"

    def matches(self, line: str) -> bool:
        return "->" in line and _HINT.search(line) is not None

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParseResult | None:
        chain = _CHAIN.search(line)
        packet = _PACKET.search(line, chain.end()) if chain else None
        if packet is None:
            return Skipped(lineno, "not a traffic record: not a firewall line")
        head = _HEAD.match(line)
        prefix = _prefix(line[head.end() : chain.start()], chain.group(1), bool(head["syslog"]))
        skip = _verdict(prefix)
        if skip:
            return Skipped(lineno, skip)
        when = _time(head, ctx)

        proto = protocol_name(packet["proto"])
        detail = packet["detail"] or ""
        source, sport = _endpoint(packet["src"], "source")
        target, dport = _endpoint(packet["dst"], "target")
        flags = ""
        if proto in ("icmp", "icmpv6"):
            icmp = _ICMP_DETAIL.search(detail)
            sport, dport = (int(icmp[1]), int(icmp[2])) if icmp else (None, None)
        elif proto == "tcp":
            flags = tcp_flags(_FLAG_LETTERS[w] for w in re.split(r"[,\s]+", detail.upper()) if w in _FLAG_LETTERS)
        return ParsedEvent(lineno, when, source, target, proto, sport, dport, flags)


def _prefix(before_chain: str, chain: str, has_host: bool) -> str:
    """The rule's log prefix, without host, topics and chain name."""
    words = before_chain.split()
    if has_host and words and not _TOPICS.match(words[0]):
        words = words[1:]  # a syslog server puts the router's name first
    if words and _TOPICS.match(words[0]):
        words = words[1:]
    # RouterOS 6 glues the prefix to the chain name ("DROP_WANinput:").
    lowered = chain.lower()
    for known in _KNOWN_CHAINS:
        if lowered.endswith(known) and len(chain) > len(known):
            words.append(chain[: -len(known)])
            break
    return " ".join(words)


def _verdict(prefix: str) -> str | None:
    lowered = prefix.lower()
    if not lowered or any(w in lowered for w in _BLOCK_WORDS):
        return None
    if any(w in lowered for w in _ALLOW_WORDS):
        return "allowed traffic"
    raise LineError(f"log prefix {prefix!r} does not say drop, reject, block or deny")


def _time(head: re.Match, ctx: ParseContext) -> datetime:
    if head["mon"]:
        return ctx.syslog_time(head["mon"], head["day"], head["hms"])
    if head["iso"]:
        return parse_iso_time(head["iso"] + (head["off"] or ""), ctx)
    if head["rmon"]:
        if not head["ryear"]:
            return ctx.syslog_time(head["rmon"], head["rday"], head["rhms"])
        mon = MONTHS.get(head["rmon"])
        hour, minute, second = (int(x) for x in head["rhms"].split(":"))
        try:
            value = datetime(int(head["ryear"]), mon or 0, int(head["rday"]), hour, minute, second)
        except ValueError:
            raise LineError(f"unreadable time stamp {head.group(0).strip()!r}") from None
        return ctx.naive_time(value)
    if head["date"]:
        return parse_iso_time(f"{head['date']} {head['dhms']}", ctx)
    if head["bare"]:
        raise LineError("time stamp has no date (RouterOS prints today's entries with the time only)")
    raise LineError("no time stamp at the start of the line")


def _endpoint(text: str, which: str) -> tuple[str, int | None]:
    """``1.2.3.4:80``, ``1.2.3.4``, ``[2001:db8::1]:80``, ``2001:db8::1.80`` or ``2001:db8::1``."""
    if text.startswith("["):
        address, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else None
    elif text.count(":") == 1:
        address, port = text.split(":")
    elif ":" in text and "." in text:
        try:
            return check_ip(text), None  # an IPv4-mapped address, no port
        except LineError:
            address, _, port = text.rpartition(".")
    else:
        address, port = text, None
    try:
        number = check_port(port)
    except LineError:
        raise LineError(f"invalid {which} port {port!r}") from None
    return check_ip(address), number


parser = MikrotikParser()
