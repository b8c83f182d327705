"""Palo Alto Networks PAN-OS traffic logs in CSV form: syslog-forwarded
(a syslog header, then the CSV record) or exported from the web interface
(a header row, then one record per line).

Positions follow PAN-OS "Traffic Log Fields" (9.1 to 11.x): FUTURE_USE,
Receive Time, Serial Number, Type, Threat/Content Type, FUTURE_USE, Generated
Time, Source Address, Destination Address, ... Repeat Count (23), Source Port
(24), Destination Port (25), ... Protocol (29), Action (30). An exported file's
header row is read by column name instead, so reordered exports still parse.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from .base import (
    BAD_LINE,
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
    rejection,
)

# FUTURE_USE, Receive Time, Serial Number, Type: where the record starts after
# whatever syslog header the forwarding path added. Naming the log types keeps
# other CSV logs that happen to hold a time in the second column from matching.
_RECORD = re.compile(
    r"(?:^|(?<=[\s>]))[^,\s]*,\d{4}/\d\d/\d\d \d\d:\d\d:\d\d,[^,]*,"
    r"(?:TRAFFIC|THREAT|SYSTEM|CONFIG|HIPMATCH|HIP-MATCH|GLOBALPROTECT|USERID|DECRYPTION|AUTHENTICATION"
    r"|CORRELATION|TUNNEL|GTP|SCTP|IPTAG|AUDIT),"
)
# An export's header row; older releases and Panorama may leave out "Domain".
_HEADER = re.compile(r'^\ufeff?"?(?:(?:Domain|FUTURE_USE)"?,"?)?Receive Time"?,', re.IGNORECASE)


class Columns(NamedTuple):
    kind: int
    generated: int
    received: int
    src: int
    dst: int
    repeat: int
    sport: int
    dport: int
    proto: int
    action: int
    needed: int


DEFAULT_COLUMNS = Columns(3, 6, 1, 7, 8, 23, 24, 25, 29, 30, 31)

# Names used by the CSV export across PAN-OS releases (lower-cased).
_NAMES = {
    "kind": ("type",),
    "generated": ("generate time", "generated time", "time generated"),
    "received": ("receive time", "time received"),
    "src": ("source address", "source ip", "source"),
    "dst": ("destination address", "destination ip", "destination"),
    "repeat": ("repeat count",),
    "sport": ("source port",),
    "dport": ("destination port",),
    "proto": ("ip protocol", "protocol"),
    "action": ("action",),
}

# "allow" is the only action that lets a session through; the rest are the
# documented drop/deny/reset variants.
_BLOCK_PREFIXES = ("deny", "drop", "reset", "block")


def columns_from_header(cells: list[str]) -> Columns:
    index = {}
    for i, cell in enumerate(cells):
        index.setdefault(cell.strip().lower(), i)
    found = {}
    for field, names in _NAMES.items():
        position = next((index[n] for n in names if n in index), None)
        if position is None and field != "received":
            raise LineError(f"CSV header has no {names[0]!r} column")
        found[field] = -1 if position is None else position
    return Columns(**found, needed=max(found.values()) + 1)


def _split(text: str) -> list[str]:
    # Quotes only appear around values holding commas (country names, rules).
    return next(csv.reader([text])) if '"' in text else text.split(",")


def _event(lineno: int, cells: list[str], at: Columns, ctx: ParseContext) -> ParseResult:
    if len(cells) < at.needed:
        raise LineError(f"a traffic record has at least {at.needed} fields, this line has {len(cells)}")
    kind = cells[at.kind].strip().upper()
    if kind != "TRAFFIC":
        return Skipped(lineno, f"not a traffic log ({kind or 'no type'})")
    action = cells[at.action].strip().lower()
    if action == "allow":
        return Skipped(lineno, "allowed traffic")
    if not action.startswith(_BLOCK_PREFIXES):
        raise LineError(f"unknown action {action!r}")
    stamp = cells[at.generated].strip() or (cells[at.received].strip() if at.received >= 0 else "")
    if not stamp:
        raise LineError("no generated or receive time")
    # The firewall writes its own local time without a zone.
    when = parse_iso_time(stamp.replace("/", "-"), ctx)
    proto = protocol_name(cells[at.proto])
    if proto in ("icmp", "icmpv6"):
        sport = dport = None  # PAN-OS logs 0/0 here, not the ICMP type and code
    else:
        sport, dport = check_port(cells[at.sport].strip()), check_port(cells[at.dport].strip())
    repeat = cells[at.repeat].strip()
    if repeat and not repeat.isdigit():
        raise LineError(f"invalid repeat count {repeat!r}")
    return ParsedEvent(
        lineno,
        when,
        check_ip(cells[at.src].strip()),
        check_ip(cells[at.dst].strip()),
        proto,
        sport,
        dport,
        "",  # the Flags column holds session flags, not TCP flags
        check_count(int(repeat)) if repeat and int(repeat) > 0 else 1,
    )


class PaloAltoParser(Parser):
    name = "paloalto"
    line_independent = False  # an export's header row sets the column layout of later lines
    label = "Palo Alto Networks PAN-OS traffic log (CSV)"

    def matches(self, line: str) -> bool:
        return _HEADER.match(line) is not None or _RECORD.search(line) is not None

    def parse(self, lines: Iterable[str], ctx: ParseContext, start: int = 1) -> Iterator[ParseResult]:
        at = None  # column layout from an export's header row
        for lineno, raw in enumerate(lines, start=start):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            try:
                if _HEADER.match(line):
                    at = columns_from_header(_split(line.lstrip("\ufeff")))
                    result = Skipped(lineno, "header")
                elif at is not None:
                    result = _event(lineno, _split(line), at, ctx)
                else:
                    result = self.parse_line(lineno, line, ctx)
            except BAD_LINE as exc:
                result = rejection(lineno, line, exc)
            yield result

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParseResult | None:
        if _HEADER.match(line):
            return Skipped(lineno, "header")
        m = _RECORD.search(line)
        if m is None:
            raise LineError("not a PAN-OS log record (no receive time, serial number and type)")
        return _event(lineno, _split(line[m.start() :]), DEFAULT_COLUMNS, ctx)


parser = PaloAltoParser()
