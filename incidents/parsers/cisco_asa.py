"""Cisco PIX / ASA / Firepower Threat Defense syslog: the deny messages.

Message texts follow Cisco's "Secure Firewall ASA Series Syslog Messages"
reference; the variants accepted (identity-firewall user or FQDN in
parentheses after an address, IPv6 addresses, "protocol N" instead of a name)
are the ones seen in real exports. Every other message id is understood as
"not a deny message" and skipped, so a whole ASA log can be uploaded as is.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .base import (
    MONTHS,
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

# "session" and similar class names appear between the facility and the
# severity when "logging device-id" / EMBLEM formats are configured.
_TAG = re.compile(r"%(?:ASA|PIX|FTD|FWSM)-(?:[A-Za-z_]+-)?[0-7]-(\d{6})\b:?\s*")

# The last stamp before the tag wins (hence the greedy ".*"): when a syslog
# server prefixes its own receive time, the firewall's own stamp, closer to the
# tag, is the event time.
_STAMP = re.compile(
    r".*(?<![\w-])(?:"
    r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(?P<day>\d{1,2})(?: (?P<year>\d{4}))?"
    r" (?P<hms>\d\d:\d\d:\d\d)(?:\.\d+)?(?: (?P<zone>[A-Z]{2,5})(?=:))?"
    r"|(?P<iso>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d(?::?\d\d)?)?)"
    r")"
)
# Zone names other than these are ambiguous (IST, CST...), so such stamps are
# read in the zone declared for the submission.
_UTC_NAMES = frozenset({"UTC", "GMT", "UT"})

_FLAG_LETTERS = {"FIN": "F", "SYN": "S", "RST": "R", "PSH": "P", "ACK": "A", "URG": "U", "ECE": "E", "CWR": "C"}
# 710003 may name the service instead of the port.
_SERVICES = {"ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "http": 80, "www": 80, "https": 443}

_USER = r"(?:\((?!type )[^)]*\))*"  # identity-firewall user, FQDN or SGT after an address
_ENDPOINT = r"(\S+?):([^\s/()]+)(?:/(\d+))?" + _USER  # interface:address[/port]
_HOSTPORT = r"([^\s/()]+)/(\w+)" + _USER  # address/port

_R106001 = re.compile(rf"Inbound (\S+) connection denied from {_HOSTPORT} to {_HOSTPORT} flags (.*?)\s*on ")
_R106006 = re.compile(rf"Deny inbound (\S+) from {_HOSTPORT} to {_HOSTPORT}")
_R106010 = re.compile(rf"Deny inbound (?:protocol )?(\S+) src {_ENDPOINT} dst {_ENDPOINT}")
_R106014 = re.compile(rf"Deny inbound (\S+) src {_ENDPOINT} dst {_ENDPOINT}\s*\(type (\d+), code (\d+)\)")
_R106015 = re.compile(rf"Deny (\S+) \(no connection\) from {_HOSTPORT} to {_HOSTPORT} flags (.*?)\s*on ")
_R106021 = re.compile(r"Deny (?:protocol )?(\S+) reverse path check from (\S+) to (\S+) on ")
# The ICMP type and code of 106023 sometimes lack the parentheses.
_R106023 = re.compile(
    rf"Deny (?:protocol )?(\S+) src {_ENDPOINT} dst {_ENDPOINT}\s*(?:\(?type (\d+), code (\d+)\)?,?)?\s*by access-group"
)
_R106100 = re.compile(
    r"access-list \S+ (permitted|denied|est-allowed) (\S+) ([^\s/]+)/([^\s(]+)\((\d+)\)[^>]*?-> "
    r"([^\s/]+)/([^\s(]+)\((\d+)\).*?\bhit-cnt (\d+)"
)
_R710003 = re.compile(rf"(\S+) access denied by ACL from {_HOSTPORT} to (\S+?):([^\s/]+)/(\w+)")
_R313001 = re.compile(r"Denied (\S+) type=(\d+), code=(\d+) from (\S+) on interface")

_NOT_AN_ADDRESS = re.compile(r"[g-zG-Z_]")


def _addr(text: str, role: str) -> str:
    if _NOT_AN_ADDRESS.search(text):
        # Interface names may hold a colon ("v1:outside:10.8.1.9"), and the
        # patterns split "interface:address" at the first one, so what is left
        # of the name goes first. Only lines with letters beyond hex pay for it.
        while ":" in text and _NOT_AN_ADDRESS.search(text):
            text = text.split(":", 1)[1]
        # With the "names" command the ASA logs a configured name instead of the address.
        if _NOT_AN_ADDRESS.search(text):
            raise LineError(f"the firewall logged the name {text!r} instead of the {role} address")
    return check_ip(text)


def _port(text: str | None) -> int | None:
    if text and not text.isdigit():
        port = _SERVICES.get(text.lower())
        if port is None:
            raise LineError(f"unknown service name {text!r} instead of a port")
        return port
    return check_port(text)


def _proto(text: str, source: str) -> str:
    proto = protocol_name(text)
    # Older releases call ICMPv6 plain "icmp"; the address family tells them apart.
    return "icmpv6" if proto == "icmp" and ":" in source else proto


def _flags(text: str) -> str:
    return tcp_flags(_FLAG_LETTERS.get(word, "") for word in text.upper().split())


# Each handler turns the message body into
# (protocol, source, source_port, target, target_port, tcp_flags, count),
# or returns a skip reason.
Flow = tuple[str, str, int | None, str, int | None, str, int]


def _flow(proto, src, sport, dst, dport, flags="", count=1) -> Flow:
    source = _addr(src, "source")
    return (_proto(proto, source), source, _port(sport), _addr(dst, "target"), _port(dport), flags, count)


def _m106001(body: str) -> Flow:
    m = _match(_R106001, body)
    return _flow(m[1], m[2], m[3], m[4], m[5], _flags(m[6]))


def _m106006(body: str) -> Flow:
    m = _match(_R106006, body)
    return _flow(m[1], m[2], m[3], m[4], m[5])


def _m106010(body: str) -> Flow:
    m = _match(_R106010, body)
    return _flow(m[1], m[3], m[4], m[6], m[7])


def _m106014(body: str) -> Flow:
    m = _match(_R106014, body)
    return _flow(m[1], m[3], m[8], m[6], m[9])


def _m106015(body: str) -> Flow:
    m = _match(_R106015, body)
    return _flow(m[1], m[2], m[3], m[4], m[5], _flags(m[6]))


def _m106021(body: str) -> Flow:
    m = _match(_R106021, body)
    return _flow(m[1], m[2], None, m[3], None)


def _m106023(body: str) -> Flow:
    m = _match(_R106023, body)
    if m[8] is not None:  # ICMP: type and code stand in for the ports
        return _flow(m[1], m[3], m[8], m[6], m[9])
    return _flow(m[1], m[3], m[4], m[6], m[7])


def _m106100(body: str) -> Flow | str:
    m = _match(_R106100, body)
    if m[1] != "denied":
        return "allowed traffic"
    # For ICMP the numbers in parentheses are the type and the code already.
    return _flow(m[2], m[4], m[5], m[7], m[8], count=check_count(int(m[9]) or 1))


def _m710003(body: str) -> Flow:
    m = _match(_R710003, body)
    return _flow(m[1], m[2], m[3], m[5], m[6])


def _m313001(body: str) -> str:
    _match(_R313001, body)
    # A ParsedEvent needs a target address and this message has none (it is
    # ICMP to the firewall's own interface), so it is understood but not stored.
    return "denied ICMP to the firewall itself; the message names no target address"


def _match(regex: re.Pattern, body: str) -> re.Match:
    m = regex.match(body)
    if m is None:
        raise LineError(f"unrecognised deny message text: {body[:80]!r}")
    return m


_HANDLERS = {
    "106001": _m106001,
    "106006": _m106006,
    "106007": _m106006,
    "106010": _m106010,
    "106014": _m106014,
    "106015": _m106015,
    "106021": _m106021,
    "106023": _m106023,
    "106100": _m106100,
    "710003": _m710003,
    "313001": _m313001,
    "313008": _m313001,  # the IPv6 twin of 313001
}


def _time(header: str, ctx: ParseContext) -> datetime:
    m = _STAMP.match(header)
    if m is None:
        raise LineError("no time stamp before the message tag")
    if m["iso"]:
        return parse_iso_time(m["iso"], ctx)
    if m["year"] is None:
        return ctx.syslog_time(m["mon"], m["day"], m["hms"])
    hh, mm, ss = m["hms"].split(":")
    try:
        naive = datetime(int(m["year"]), MONTHS[m["mon"].lower()], int(m["day"]), int(hh), int(mm), int(ss))
    except ValueError:
        raise LineError(f"impossible date {m['mon']} {m['day']} {m['year']} {m['hms']}") from None
    if m["zone"] in _UTC_NAMES:
        return naive.replace(tzinfo=UTC)
    return ctx.naive_time(naive)


class CiscoAsaParser(Parser):
    name = "cisco_asa"
    label = "Cisco PIX / ASA / FTD syslog"

    def matches(self, line: str) -> bool:
        return "%" in line and _TAG.search(line) is not None

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParseResult | None:
        tag = _TAG.search(line)
        if tag is None:
            raise LineError("no %ASA-, %PIX- or %FTD- message tag")
        handler = _HANDLERS.get(tag[1])
        if handler is None:
            return Skipped(lineno, "not a deny message")
        flow = handler(line[tag.end() :])
        if isinstance(flow, str):
            return Skipped(lineno, flow)
        proto, src, sport, dst, dport, flags, count = flow
        return ParsedEvent(
            lineno,
            _time(line[: tag.start()], ctx),
            src,
            dst,
            proto,
            sport,
            dport,
            flags if proto == "tcp" else "",
            count,
        )


parser = CiscoAsaParser()
