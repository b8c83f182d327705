"""Windows Defender Firewall log (pfirewall.log), W3C extended format.

The file starts with ``#Version``, ``#Software``, ``#Time Format`` and
``#Fields`` headers; the ``#Fields`` line names the space-separated columns,
which is why ``parse`` is overridden: a header seen once changes how every
later line is read. Windows 10 and later append a ``pid`` column; any extra
column is ignored. Missing values are written as ``-``.
"""

from __future__ import annotations

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
    check_ip,
    check_port,
    parse_iso_time,
    protocol_name,
    rejection,
    tcp_flags,
)

# The #Fields line Windows writes (Windows 10 and later add "pid" at the end);
# a file without one is read in this order.
DEFAULT_HEADER = (
    "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin "
    "icmptype icmpcode info path"
)
_REQUIRED = ("date", "time", "action", "protocol", "src-ip", "dst-ip")

# OPEN/CLOSE/OPEN-INBOUND are written when "log successful connections" is on.
_ALLOWED = frozenset({"ALLOW", "OPEN", "CLOSE", "OPEN-INBOUND"})

_DATA = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?:DROP|ALLOW|OPEN|CLOSE|OPEN-INBOUND|INFO-EVENTS-LOST) ")
_HEADER = re.compile(r"^#(?:Software: Microsoft Windows Firewall|Time Format: |Fields: date time action )")


class Layout(NamedTuple):
    """Column positions from a #Fields line; -1 for a column the file lacks."""

    date: int
    time: int
    action: int
    protocol: int
    src: int
    dst: int
    sport: int
    dport: int
    flags: int
    icmptype: int
    icmpcode: int
    needed: int  # a data line must have at least this many columns


def layout(names: list[str]) -> Layout:
    index = {name.lower(): i for i, name in enumerate(names)}
    missing = [name for name in _REQUIRED if name not in index]
    if missing:
        raise LineError(f"#Fields header lacks {', '.join(missing)}")
    required = [index[name] for name in _REQUIRED]
    optional = [index.get(name, -1) for name in ("src-port", "dst-port", "tcpflags", "icmptype", "icmpcode")]
    return Layout(*required, *optional, max(required) + 1)


DEFAULT_LAYOUT = layout(DEFAULT_HEADER[8:].split())


def _column(cols: list[str], i: int) -> str | None:
    if i < 0 or i >= len(cols) or cols[i] == "-":
        return None
    return cols[i]


def _number(text: str | None, what: str) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or int(text) > 255:
        raise LineError(f"invalid {what} {text!r}")
    return int(text)


class WindowsFirewallParser(Parser):
    name = "windows_firewall"
    line_independent = False  # #Fields and #Time Format headers change how later lines read
    label = "Windows Firewall log (pfirewall.log)"

    def matches(self, line: str) -> bool:
        line = line.lstrip("\ufeff")
        return _DATA.match(line) is not None or _HEADER.match(line) is not None

    def parse(self, lines: Iterable[str], ctx: ParseContext, start: int = 1) -> Iterator[ParseResult]:
        current, utc = DEFAULT_LAYOUT, False
        for lineno, raw in enumerate(lines, start=start):
            line = raw.rstrip("\r\n").lstrip("\ufeff")
            if not line.strip():
                continue
            try:
                if line.startswith("#"):
                    if line.startswith("#Fields:"):
                        current = layout(line[8:].split())
                    elif line.startswith("#Time Format:"):
                        utc = line[13:].strip().upper() == "UTC"
                    result = Skipped(lineno, "not a traffic record: header")
                else:
                    result = self._row(lineno, line, ctx, current, utc)
            except BAD_LINE as exc:
                result = rejection(lineno, line, exc)
            yield result

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParseResult | None:
        """One line on its own, read with the default Windows column order."""
        line = line.lstrip("\ufeff")
        if line.startswith("#"):
            return Skipped(lineno, "not a traffic record: header")
        return self._row(lineno, line, ctx, DEFAULT_LAYOUT, False)

    def _row(self, lineno: int, line: str, ctx: ParseContext, at: Layout, utc: bool) -> ParseResult:
        cols = line.split()
        if len(cols) < at.needed:
            raise LineError(f"expected at least {at.needed} space-separated fields, found {len(cols)}")
        action = cols[at.action].upper()
        if action != "DROP":
            if action in _ALLOWED:
                return Skipped(lineno, "allowed traffic")
            if action == "INFO-EVENTS-LOST":
                return Skipped(lineno, "not a traffic record: Windows noted that events were lost")
            raise LineError(f"unknown action {cols[at.action]!r}")
        # "#Time Format: Local" is what Windows writes; the zone is the submission's.
        when = parse_iso_time(f"{cols[at.date]} {cols[at.time]}{'+00:00' if utc else ''}", ctx)
        if cols[at.protocol] == "-":
            raise LineError("missing protocol")
        proto = protocol_name(cols[at.protocol])
        src, dst = check_ip(cols[at.src]), check_ip(cols[at.dst])
        if proto in ("icmp", "icmpv6"):
            sport = _number(_column(cols, at.icmptype), "ICMP type")
            dport = _number(_column(cols, at.icmpcode), "ICMP code")
        else:
            sport = check_port(_column(cols, at.sport))
            dport = check_port(_column(cols, at.dport))
        flags = _column(cols, at.flags) if proto == "tcp" else None
        return ParsedEvent(lineno, when, src, dst, proto, sport, dport, tcp_flags(flags) if flags else "")


parser = WindowsFirewallParser()
