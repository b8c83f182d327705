"""Suricata EVE JSON (eve.json): one JSON object per line.

Only ``alert`` and ``drop`` records describe an attack; the many other event
types (flow, dns, http, tls, stats, fileinfo, anomaly, ...) are skipped.
Layout sources: the Suricata user guide "Eve JSON Format", ``etc/schema.json``
(timestamp ``2017-04-07T22:24:37.251547+0100``) and ``output-json-drop.c``
(per-packet TCP flags as booleans in the ``drop`` object).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

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

try:
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is a declared dependency
    from json import loads as _loads

_FRACTION = re.compile(r"\.\d+")
_FLAG_KEYS = {"fin": "F", "syn": "S", "rst": "R", "psh": "P", "ack": "A", "urg": "U", "ecn": "E", "cwr": "C"}
_FLAG_BITS = tuple(enumerate("FSRPAUEC"))
_PORT_PROTOCOLS = frozenset({"tcp", "udp", "sctp"})
_ICMP_PROTOCOLS = frozenset({"icmp", "icmpv6"})
# Enough to pair an alert with the drop record of the same packet, which
# Suricata writes within a few lines of each other.
_PAIR_WINDOW = 4096


def _port(value: object) -> int | None:
    # str() so that a list or object where a number belongs is a rejection, not a crash.
    return None if value is None else check_port(str(value))


def _flags_from_hex(text: str) -> str:
    try:
        bits = int(text, 16)
    except ValueError:
        raise LineError(f"unreadable tcp_flags {text!r}") from None
    return "".join(letter for bit, letter in _FLAG_BITS if bits >> bit & 1)


def _flags(record: dict, event_type: str) -> str:
    # The drop record describes the dropped packet itself; a tcp object, when
    # a record carries one, sums up the flow so far.
    if event_type == "drop":
        detail = record.get("drop")
        if isinstance(detail, dict):
            return tcp_flags(letter for key, letter in _FLAG_KEYS.items() if detail.get(key) is True)
    detail = record.get("tcp")
    if not isinstance(detail, dict):
        return ""
    if "tcp_flags" in detail:
        return _flags_from_hex(str(detail["tcp_flags"]))
    return tcp_flags(letter for key, letter in _FLAG_KEYS.items() if detail.get(key) is True)


class SuricataEveParser(Parser):
    name = "suricata_eve"
    line_independent = False  # an alert and the drop record after it are paired into one event
    label = "Suricata EVE JSON (eve.json)"

    def matches(self, line: str) -> bool:
        return line.lstrip().startswith("{") and '"event_type"' in line and '"timestamp"' in line

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParsedEvent | Skipped | None:
        return self._parse(lineno, line, ctx, None)

    def parse(self, lines: Iterable[str], ctx: ParseContext, start: int = 1) -> Iterator[ParseResult]:
        # In IPS mode with drop logging on, one dropped packet gives a
        # "blocked" alert and a drop record; it is one attack, reported once.
        dropped: dict[tuple, tuple[str, int]] = {}
        for lineno, raw in enumerate(lines, start=start):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            try:
                yield self._parse(lineno, line, ctx, dropped)
            except BAD_LINE as exc:
                yield rejection(lineno, line, exc)

    def _parse(
        self, lineno: int, line: str, ctx: ParseContext, dropped: dict[tuple, tuple[str, int]] | None
    ) -> ParsedEvent | Skipped:
        try:
            record = _loads(line)
        except ValueError as exc:
            raise LineError(f"malformed JSON ({exc})") from None
        if not isinstance(record, dict):
            raise LineError("not a JSON object")
        event_type = record.get("event_type")
        if not isinstance(event_type, str):
            raise LineError("no event_type: not a Suricata eve.json record")
        if event_type not in ("alert", "drop"):
            return Skipped(lineno, "not a traffic record: not an alert")
        stamp = record.get("timestamp")
        if not isinstance(stamp, str):
            raise LineError("missing timestamp")
        src, dst = record.get("src_ip"), record.get("dest_ip")
        if not src or not dst:
            return Skipped(lineno, "not a traffic record: alert without IP addresses")
        proto = str(record.get("proto") or "")
        if proto[:6].lower() == "proto:":
            proto = proto[6:]
        protocol = protocol_name(proto)
        if protocol in _PORT_PROTOCOLS:
            sport, dport = _port(record.get("src_port")), _port(record.get("dest_port"))
        elif protocol in _ICMP_PROTOCOLS:
            sport, dport = _port(record.get("icmp_type")), _port(record.get("icmp_code"))
        else:
            sport = dport = None
        event = ParsedEvent(
            lineno=lineno,
            # Sub-second precision only defeats the time-stamp cache.
            time=parse_iso_time(_FRACTION.sub("", stamp, count=1), ctx),
            source_ip=check_ip(str(src)),
            target_ip=check_ip(str(dst)),
            protocol=protocol,
            source_port=sport,
            target_port=dport,
            tcp_flags=_flags(record, event_type) if protocol == "tcp" else "",
        )
        if dropped is not None:
            duplicate_of = _pair(dropped, record, event_type, stamp, event, lineno)
            if duplicate_of:
                return Skipped(lineno, "not a traffic record: second record of a dropped packet (counted once)")
        return event


def _pair(dropped: dict, record: dict, event_type: str, stamp: str, event: ParsedEvent, lineno: int) -> int:
    """Line number of the other record of a dropped packet, or 0."""
    if event_type == "drop":
        kind, other = "drop", "blocked"
    else:
        alert = record.get("alert")
        if not isinstance(alert, dict) or alert.get("action") != "blocked":
            return 0
        kind, other = "blocked", "drop"
    key = (stamp, event.source_ip, event.source_port, event.target_ip, event.target_port, event.protocol)
    seen = dropped.get(key)
    if seen is not None and seen[0] == other:
        return seen[1]
    dropped[key] = (kind, lineno)
    if len(dropped) > _PAIR_WINDOW:
        del dropped[next(iter(dropped))]
    return 0


parser = SuricataEveParser()
