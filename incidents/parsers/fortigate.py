"""FortiGate (FortiOS) logs in key=value form, as sent by syslog or
downloaded from the GUI.

Field names and the meaning of ``action`` follow the FortiOS Log Message
Reference. In a traffic log ``deny`` means blocked by policy, while every
other action (accept, close, timeout, client-rst, ...) describes how an
allowed session ended. IPS and anomaly logs (LOGID_ATTCK_SIGNATURE_*,
LOGID_ATTCK_ANOMALY_*) say "dropped", "reset", "reset_client",
"reset_server", "drop_session" or "clear_session" for blocked attacks and
"detected" or "pass_session" for ones let through; the other UTM logs (web
filter, antivirus, application control, DNS filter) say "blocked" or
"passthrough". Event logs are not about a connection.

The time is ``date`` and ``time``, read with the ``tz`` offset when the line
has one and in the submission's zone otherwise: the reference lists them as
the log's date and time, in the FortiGate's configured zone, in every
release. ``eventtime`` is an epoch whose unit changed between releases
(seconds in 6.0, nanoseconds from 6.2, milli- and microseconds after
re-export), so it is read only when a line has no date and time, or for the
repeated hour of a clock change, which a local time without ``tz`` cannot
place.
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
# Log types whose action is a security verdict on a connection (FortiOS 5.x
# names the UTM subtype as the type).
_VERDICT_TYPES = frozenset({"utm", "anomaly", "ips", "attack", "virus", "webfilter", "app-ctrl", "dns", "waf"})
# The DNS filter answers a blocked domain with a redirect to its block portal;
# a web filter "warning" lets the user go on, antivirus "analytics" passes the
# file on while the sandbox looks at it.
_BLOCKED = _DENY | {
    "reset",
    "reset_client",
    "reset_server",
    "drop_session",
    "clear_session",
    "drop-session",
    "redirect",
}
_PASSED = frozenset(
    {"detected", "pass_session", "pass", "passthrough", "monitored", "monitor", "allowed", "accept", "exempt"}
    | {"exempted", "warning", "analytics", "tagged", "log-only"}
)
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
    date, time = _value(kv, "date"), _value(kv, "time")
    eventtime = _value(kv, "eventtime")
    if not date or not time:
        if eventtime and eventtime.isdigit():
            return _epoch(eventtime)
        raise LineError("no date= and time= (or eventtime=) fields")
    m = _OFFSET.match(_value(kv, "tz") or "")
    if m:  # zone names such as "CEST" are ambiguous; those fall back to the submission's zone
        return parse_iso_time(f"{date}T{time}{m[1]}{int(m[2]):02d}:{m[3]}", ctx)
    stamp = f"{date}T{time}"
    try:
        return parse_iso_time(stamp, ctx)
    except LineError:
        if not (eventtime and eventtime.isdigit() and _readable(stamp)):
            raise
        return _epoch(eventtime)  # a real wall-clock time the zone cannot place (clock change)


def _readable(stamp: str) -> bool:
    try:
        datetime.fromisoformat(stamp)
    except ValueError:
        return False
    return True


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
    label = "FortiGate traffic and security logs (key=value)"

    def matches(self, line: str) -> bool:
        return " type=" in line and _MATCH.search(line) is not None

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParseResult | None:
        kv = _fields(line)
        kind = _value(kv, "type")
        if kind is None:
            raise LineError("no type= field; not a FortiGate log line")
        action = _value(kv, "action")
        if kind == "traffic":
            if action is None:
                raise LineError("traffic log without an action= field")
            if action.lower() not in _DENY:
                return Skipped(lineno, "allowed traffic")
        elif kind in _VERDICT_TYPES:
            subtype = _value(kv, "subtype") or kind
            verdict = (action or "").lower()
            if verdict in _PASSED:
                return Skipped(lineno, f"allowed traffic: {subtype} {verdict}")
            if verdict not in _BLOCKED:
                raise LineError(f"{subtype} log with unknown action {action!r}")
        else:
            return Skipped(lineno, f"not a traffic record: {kind} log")
        src, dst, proto = _value(kv, "srcip"), _value(kv, "dstip"), _value(kv, "proto")
        if src is None or dst is None or proto is None:
            raise LineError(f"{kind} log lacks srcip=, dstip= or proto=")
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
