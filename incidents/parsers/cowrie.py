"""Cowrie SSH/Telnet honeypot JSON log (``var/log/cowrie/cowrie.json``):
one JSON object per line.

Event ids and attributes from Cowrie's "Output Event Code Reference"
(docs/OUTPUT.rst): every record carries ``eventid``, ``timestamp`` (ISO 8601,
UTC), ``src_ip`` and ``session``; ``cowrie.session.connect`` adds
``src_port``, ``dst_ip``, ``dst_port`` and ``protocol`` (ssh or telnet)::

    {"eventid":"cowrie.session.connect","src_ip":"45.33.1.2","src_port":51234,"dst_ip":"100.70.1.1",
     "dst_port":2222,"session":"a1b2c3d4e5f6","protocol":"ssh","timestamp":"2026-11-22T10:00:01.123456Z", ...}

A honeypot offers nothing, so every connection to it is a probe and nothing
is allowed traffic, not even ``cowrie.login.success`` (Cowrie lets the
attacker "in" on purpose). The connection is the event: one per session,
with both addresses and ports. The session's later records (login attempts,
client version, commands, downloads, ``session.closed``) describe the same
attempt and are not traffic records; counting each login attempt as well
would count one session once per password tried. ``cowrie.direct-tcpip.*``
name a third party the attacker tried to reach through the honeypot, never
a target of this reporter, so they are not events either.

The port is the one Cowrie listened on (2222 by default, with a firewall
redirect from 22 in most installations): the log cannot tell a redirect
from a client that chose 2222.
"""

from __future__ import annotations

import re

from .base import LineError, ParseContext, ParsedEvent, Parser, Skipped, check_ip, check_port, parse_iso_time

try:
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is a declared dependency
    from json import loads as _loads

_FRACTION = re.compile(r"\.\d+")
_ZONE = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
_CONNECT = "cowrie.session.connect"


def _address(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise LineError(f"session.connect without {what}")
    # Cowrie on a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    if value[:7].lower() == "::ffff:" and "." in value:
        value = value[7:]
    return check_ip(value)


def _utc(stamp: str) -> str:
    # Cowrie writes UTC; a stamp without its zone is UTC too, not the submission's zone.
    return stamp if _ZONE.search(stamp) else stamp + "+00:00"


def _port(value: object, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise LineError(f"invalid {what} {value!r}"[:80])
    return check_port(str(value))


class CowrieParser(Parser):
    name = "cowrie"
    label = "Cowrie honeypot JSON log (cowrie.json)"

    def matches(self, line: str) -> bool:
        return line.lstrip().startswith("{") and '"eventid"' in line and '"cowrie.' in line

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParsedEvent | Skipped | None:
        try:
            record = _loads(line)
        except ValueError as exc:
            raise LineError(f"malformed JSON ({exc})") from None
        if not isinstance(record, dict):
            raise LineError("not a JSON object")
        eventid = record.get("eventid")
        if not isinstance(eventid, str) or not eventid.startswith("cowrie."):
            raise LineError("no cowrie eventid: not a Cowrie JSON record")
        if eventid != _CONNECT:
            return Skipped(lineno, "not a traffic record: Cowrie session event")
        stamp = record.get("timestamp")
        if not isinstance(stamp, str):
            raise LineError("missing timestamp")
        source = _address(record.get("src_ip"), "src_ip")
        target = _address(record.get("dst_ip"), "dst_ip")
        return ParsedEvent(
            lineno=lineno,
            # Sub-second precision only defeats the time-stamp cache.
            time=parse_iso_time(_utc(_FRACTION.sub("", stamp, count=1)), ctx),
            source_ip=source,
            target_ip=target,
            protocol="tcp",  # ssh and telnet both
            source_port=_port(record.get("src_port"), "src_port"),
            target_port=_port(record.get("dst_port"), "dst_port"),
        )


parser = CowrieParser()
