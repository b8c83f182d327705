"""Palo Alto Networks PAN-OS traffic and threat logs in CSV form:
syslog-forwarded (a syslog header, then the CSV record) or exported from the
web interface (a header row, then one record per line).

Positions follow PAN-OS "Syslog Field Descriptions" (9.1 to 11.x), where the
Traffic and Threat formats share their first 31 fields: FUTURE_USE, Receive
Time, Serial Number, Type (3), Threat/Content Type (4), FUTURE_USE, Generated
Time (6), Source Address (7), Destination Address (8), ... Repeat Count (23),
Source Port (24), Destination Port (25), ... Protocol (29), Action (30).
Releases add fields only at the end, so records of any length from 31 fields
on read alike. An exported file's header row is read by column name instead,
so reordered exports still parse.

A traffic record's Action is allow, deny, drop, drop-icmp, reset-client,
reset-server or reset-both; all but allow block the session. A threat
record is about a connection when its subtype is scan (zone protection
reconnaissance), vulnerability or spyware; its Action "alert" means
"detected but not blocked" and "allow" a flood alert, while drop, deny,
reset-*, block-*, random-drop and sinkhole block it. Other threat subtypes
(url, virus, file, wildfire, data, flood) and other log types are not
traffic records.
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
    subtype: int
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


DEFAULT_COLUMNS = Columns(3, 4, 6, 1, 7, 8, 23, 24, 25, 29, 30, 31)

# Names used by the CSV export across PAN-OS releases (lower-cased).
_NAMES = {
    "kind": ("type",),
    "subtype": ("threat/content type", "content/threat type", "subtype", "sub type"),
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
_THREAT_BLOCK_PREFIXES = (*_BLOCK_PREFIXES, "random-drop", "sinkhole")
_THREAT_PASSES = frozenset({"alert", "allow"})
_CONNECTION_THREATS = frozenset({"scan", "vulnerability", "spyware"})
# Columns a header row may leave out.
_OPTIONAL = frozenset({"received", "subtype"})


def columns_from_header(cells: list[str]) -> Columns:
    index = {}
    for i, cell in enumerate(cells):
        index.setdefault(cell.strip().lower(), i)
    found = {}
    for field, names in _NAMES.items():
        position = next((index[n] for n in names if n in index), None)
        if position is None and field not in _OPTIONAL:
            raise LineError(f"CSV header has no {names[0]!r} column")
        found[field] = -1 if position is None else position
    return Columns(**found, needed=max(found.values()) + 1)


def _split(text: str) -> list[str]:
    # Quotes only appear around values holding commas (country names, rules).
    return next(csv.reader([text])) if '"' in text else text.split(",")


def _event(lineno: int, cells: list[str], at: Columns, ctx: ParseContext) -> ParseResult:
    kind = cells[at.kind].strip().upper() if at.kind < len(cells) else ""
    if kind == "THREAT":
        subtype = cells[at.subtype].strip().lower() if 0 <= at.subtype < len(cells) else ""
        if subtype not in _CONNECTION_THREATS:
            return Skipped(lineno, f"not a traffic record: threat log ({subtype or 'no subtype'})")
    elif kind != "TRAFFIC":
        return Skipped(lineno, f"not a traffic record: {kind.lower() or 'untyped'} log")
    if len(cells) < at.needed:
        raise LineError(f"a {kind.lower()} record has at least {at.needed} fields, this line has {len(cells)}")
    action = cells[at.action].strip().lower()
    if kind == "TRAFFIC":
        if action == "allow":
            return Skipped(lineno, "allowed traffic")
        if not action.startswith(_BLOCK_PREFIXES):
            raise LineError(f"unknown action {action!r}")
    elif action in _THREAT_PASSES:
        return Skipped(lineno, f"allowed traffic: {subtype} {action}")
    elif not action.startswith(_THREAT_BLOCK_PREFIXES):
        raise LineError(f"unknown {subtype} action {action!r}")
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
        if kind == "THREAT" and subtype == "scan":
            # A reconnaissance log sums up many probes; 0 there is no port the scanner used.
            sport, dport = sport or None, dport or None
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
    label = "Palo Alto Networks PAN-OS traffic and threat logs (CSV)"

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
                    result = Skipped(lineno, "not a traffic record: header")
                elif at is not None:
                    result = _event(lineno, _split(line), at, ctx)
                else:
                    result = self.parse_line(lineno, line, ctx)
            except BAD_LINE as exc:
                result = rejection(lineno, line, exc)
            yield result

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParseResult | None:
        if _HEADER.match(line):
            return Skipped(lineno, "not a traffic record: header")
        m = _RECORD.search(line)
        if m is None:
            raise LineError("not a PAN-OS log record (no receive time, serial number and type)")
        return _event(lineno, _split(line[m.start() :]), DEFAULT_COLUMNS, ctx)


parser = PaloAltoParser()
