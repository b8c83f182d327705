"""The DShield submission format: one event per line, tab separated.

Fields, as the DShield client framework writes them::

    date and time [zone]  user id  count  source ip  source port  target ip  target port  protocol  [flags]
    2026-11-20 14:03:11 -05:00	0	3	203.0.113.5	51234	198.51.100.7	22	6	S

For ICMP the port columns carry the type and the code. ``???`` marks a port
the reporting client could not read. Flags use Snort's letters
``12UAPRSF``, where 1 and 2 are the two bits now called CWR and ECE.
"""

from __future__ import annotations

import re
from datetime import datetime

from .base import (
    LineError,
    ParseContext,
    ParsedEvent,
    Parser,
    ParseResult,
    Skipped,
    check_count,
    check_ip,
    check_port,
    parse_iso_time,
    protocol_name,
    tcp_flags,
)

_TIME = re.compile(
    r"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?)\s*(Z|UTC|GMT|[+-]\d\d:?\d\d)?",
    re.ASCII | re.IGNORECASE,
)
_LOOKS_LIKE = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[^\t]*\t\d+\t\d+\t[0-9A-Fa-f.:]+\t", re.ASCII)
_FLAG_LETTERS = {"1": "C", "2": "E", "U": "U", "A": "A", "P": "P", "R": "R", "S": "S", "F": "F", "C": "C", "E": "E"}
_UNKNOWN = {"", "???"}


class DShieldParser(Parser):
    name = "dshield"
    label = "DShield submission format (tab separated)"

    def matches(self, line: str) -> bool:
        return _LOOKS_LIKE.match(line) is not None

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParseResult | None:
        if line.lstrip().startswith("#"):
            return Skipped(lineno, "not a traffic record: comment")
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) not in (8, 9):
            raise LineError(f"expected 8 or 9 tab-separated fields, found {len(fields)}")
        when, user, count, source, sport, target, dport, proto = fields[:8]
        flags = fields[8] if len(fields) == 9 else ""

        if not user.isdigit():
            raise LineError(f"invalid user id {user!r}")
        if not count.isdigit() or int(count) < 1:
            raise LineError(f"invalid count {count!r}")
        if proto in _UNKNOWN:
            raise LineError("protocol is unknown ('???')")
        protocol = protocol_name(proto)
        sport_n, dport_n = _port(sport, "source"), _port(dport, "target")
        if protocol in ("icmp", "icmpv6") and ((sport_n or 0) > 255 or (dport_n or 0) > 255):
            raise LineError(f"invalid ICMP type/code {sport}/{dport}")
        return ParsedEvent(
            lineno,
            _time(when, ctx),
            check_ip(source),
            check_ip(target),
            protocol,
            sport_n,
            dport_n,
            _flags(flags) if protocol == "tcp" else "",
            check_count(int(count)),
        )


def _time(text: str, ctx: ParseContext) -> datetime:
    m = _TIME.fullmatch(text)
    if m is None:
        raise LineError(f"unreadable date and time {text!r} (expected YYYY-MM-DD HH:MM:SS and an optional zone)")
    stamp, zone = m.groups()
    if zone and zone.upper() in ("UTC", "GMT", "Z"):
        zone = "+00:00"
    return parse_iso_time(stamp + (zone or ""), ctx)


def _port(text: str, which: str) -> int | None:
    if text in _UNKNOWN:
        return None
    try:
        return check_port(text)
    except LineError:
        raise LineError(f"invalid {which} port {text!r}") from None


def _flags(text: str) -> str:
    letters = text.replace("*", "").replace(".", "").upper()
    if any(c not in _FLAG_LETTERS for c in letters):
        raise LineError(f"invalid TCP flags {text!r} (expected letters from 12UAPRSF)")
    return tcp_flags(_FLAG_LETTERS[c] for c in letters)


parser = DShieldParser()
