"""FortiGate (FortiOS) traffic logs in key=value form, as sent by syslog or
downloaded from the GUI.

Field names and the meaning of ``action`` follow the FortiOS Log Message
Reference: in a traffic log ``deny`` means blocked by policy, while every
other action (accept, close, timeout, client-rst, ...) describes how an allowed
session ended. UTM, event and other log types are skipped.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .base import (
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
)

# Quoted values may hold spaces, "=" and backslash-escaped quotes (unrolled for speed).
_KV = re.compile(r'(\w+)=("[^"\\]*(?:\\.[^"\\]*)*"|\S*)')
_MATCH = re.compile(r'(?:^|[\s>])logid="?\d{10}"?\s')
# tz is "+0100" on current FortiOS; older releases and FortiAnalyzer write "UTC+2:00".
_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d\d)$")
# "blocked"/"dropped"/"reject" come from FortiOS variants and third-party exports.
_DENY = frozenset({"deny", "denied", "block", "blocked", "drop", "dropped", "reject", "rejected"})
# Unnamed ICMP services are logged as "icmp/TYPE/CODE" (or icmp6/...).
_ICMP_SERVICE = re.compile(r"^icmp6?/(\d+)/(\d+)$")


def _fields(line: str) -> dict[str, str]:
    # Some FortiOS versions repeat a key (tz); reversed() keeps the first one.
    return dict(reversed(_KV.findall(line)))


def _value(kv: dict[str, str], key: str) -> str | None:
    value = kv.get(key)
    if value is not None and value[:1] == '"':
        value = value[1:-1]
    return value or None


def _epoch(text: str) -> datetime:
    # eventtime is seconds on FortiOS 6.0 and nanoseconds from 6.2 on;
    # milli- and microseconds appear in re-exported logs.
    value = int(text)
    for digits, scale in ((11, 1), (14, 1_000), (17, 1_000_000), (20, 1_000_000_000)):
        if len(text) < digits:
            try:
                return datetime.fromtimestamp(value // scale, UTC)
            except (OverflowError, OSError, ValueError):
                break
    raise LineError(f"unreadable eventtime {text!r}")


def _time(kv: dict[str, str], ctx: ParseContext) -> datetime:
    eventtime = _value(kv, "eventtime")
    if eventtime and eventtime.isdigit():
        return _epoch(eventtime)
    date, time = _value(kv, "date"), _value(kv, "time")
    if not date or not time:
        raise LineError("no eventtime= or date= and time= fields")
    offset = ""
    m = _OFFSET.match(_value(kv, "tz") or "")
    if m:  # zone names such as "CEST" are ambiguous; those fall back to the submission's zone
        offset = f"{m[1]}{int(m[2]):02d}:{m[3]}"
    return parse_iso_time(f"{date}T{time}{offset}", ctx)


def _icmp_number(text: str | None, what: str) -> int | None:
    if text is None:
        return None
    try:
        value = int(text, 16) if text[:2].lower() == "0x" else int(text)
    except ValueError:
        raise LineError(f"invalid {what} {text!r}") from None
    if not 0 <= value <= 255:
        raise LineError(f"invalid {what} {text!r}")
    return value


class FortiGateParser(Parser):
    name = "fortigate"
    label = "FortiGate traffic log (key=value)"

    def matches(self, line: str) -> bool:
        return " type=" in line and _MATCH.search(line) is not None

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParseResult | None:
        kv = _fields(line)
        kind = _value(kv, "type")
        if kind is None:
            raise LineError("no type= field; not a FortiGate log line")
        if kind != "traffic":
            return Skipped(lineno, f"not a traffic log (type={kind})")
        action = _value(kv, "action")
        if action is None:
            raise LineError("traffic log without an action= field")
        if action.lower() not in _DENY:
            return Skipped(lineno, "allowed traffic")
        src, dst, proto = _value(kv, "srcip"), _value(kv, "dstip"), _value(kv, "proto")
        if src is None or dst is None or proto is None:
            raise LineError("traffic log lacks srcip=, dstip= or proto=")
        proto = protocol_name(proto)
        if proto in ("icmp", "icmpv6"):
            sport = _icmp_number(_value(kv, "icmptype"), "ICMP type")
            dport = _icmp_number(_value(kv, "icmpcode"), "ICMP code")
            m = _ICMP_SERVICE.match(_value(kv, "service") or "")
            if sport is None and m:
                sport, dport = int(m[1]), int(m[2])
        else:
            sport, dport = check_port(_value(kv, "srcport")), check_port(_value(kv, "dstport"))
        return ParsedEvent(lineno, _time(kv, ctx), check_ip(src), check_ip(dst), proto, sport, dport)


parser = FortiGateParser()
