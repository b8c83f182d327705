"""Snort and Suricata one-line alerts: the ``fast`` alert file and the same
alert sent through syslog.

Sources for the layout: Snort 2 ``spo_alert_fast.c`` / ``spo_alert_syslog.c``
and ``ts_print`` (``MM/DD-hh:mm:ss.uuuuuu``, ``MM/DD/YY-`` with ``-y``),
Snort 3 ``alert_fast.cc`` / ``log_text.cc``, Suricata ``alert-fastlog.c`` /
``alert-syslog.c`` (``MM/DD/YYYY-``, ``[Drop]``/``[wDrop]`` prefixes,
``{PROTO:047}`` for unnamed protocols, ICMP type and code where ports go).

Fast stamps carry no zone: both programs write the sensor's local time.
"""

from __future__ import annotations

import re
from datetime import datetime

from .base import (
    LineError,
    ParseContext,
    ParsedEvent,
    Parser,
    Skipped,
    check_ip,
    check_port,
    parse_iso_time,
    protocol_name,
)

_MONTH_ABBR = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

_FAST = re.compile(r"(\d\d)/(\d\d)(?:/(\d{4}|\d\d))?-(\d\d:\d\d:\d\d)(?:\.\d+)?\s+(.*)")
_SYSLOG = re.compile(
    r"(?:<\d+>)?([A-Z][a-z]{2}) +(\d{1,2}) (\d\d:\d\d:\d\d)(?:\.\d+)? (?:\S+ )?([^\s:\[]+)(?:\[\d+\])?: (.*)"
)
# rsyslog's high-precision file format: 2026-11-22T10:00:01.123456+01:00 host snort[123]: ...
_SYSLOG_ISO = re.compile(
    r"(?:<\d+>)?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)? (?:\S+ )?([^\s:\[]+)(?:\[\d+\])?: (.*)"
)
_SIGNATURE = re.compile(r"\[\d+:\d+:\d+\]")
# The message may hold anything, so the protocol and addresses are read from the end.
_TAIL = re.compile(r"\{([^{}\s]+)\}\s+(\S+) -> (\S+)\s*$")

_MATCH_FAST = re.compile(r"\d\d/\d\d(?:/\d{2,4})?-\d\d:\d\d:\d\d\.\d+\s+(?:\[\w+\]\s+)?\[\*\*\] \[\d+:\d+:\d+\]")
_MATCH_SYSLOG = re.compile(r": (?:\[\w+\] )?\[\d+:\d+:\d+\] .*\{[^{}\s]+\}\s+\S+ -> \S+\s*$")

# Snort prints ports only for TCP and UDP; Suricata prints them for every
# protocol (ICMP type and code in their place, zeros elsewhere).
_SNORT_PORTS = frozenset({"tcp", "udp"})
_KEEP_PORTS = frozenset({"tcp", "udp", "sctp", "icmp", "icmpv6"})


def _split_endpoint(text: str, expect_port: bool) -> tuple[str, str | None]:
    """``addr``, ``addr:port`` or ``[v6addr]:port``; a bare IPv6 address is
    ambiguous (``2001:db8::1:80``), so the last group is taken as the port
    only when the protocol is expected to carry one."""
    if text.startswith("["):
        host, sep, port = text[1:].partition("]")
        if not sep or (port and not port.startswith(":")):
            raise LineError(f"unreadable address {text!r}")
        return host, port[1:] or None
    colons = text.count(":")
    if colons == 0:
        return text, None
    if colons == 1:
        host, _, port = text.partition(":")
        return host, port
    host, _, port = text.rpartition(":")
    splittable = port.isdigit() and _is_ip(host)
    if splittable and (expect_port or not _is_ip(text)):
        return host, port
    return text, None


def _is_ip(text: str) -> bool:
    try:
        check_ip(text)
    except LineError:
        return False
    return True


class SnortFastParser(Parser):
    name = "snort_fast"
    label = "Snort / Suricata fast alerts"

    def matches(self, line: str) -> bool:
        return bool(_MATCH_FAST.match(line) or _MATCH_SYSLOG.search(line))

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParsedEvent | Skipped | None:
        if m := _FAST.match(line):
            month, day, year, hms, body = m.groups()
            if not _SIGNATURE.search(body):
                raise LineError("alert without a [generator:signature:revision] id")
            return self._event(lineno, self._fast_time(month, day, year, hms, ctx), body, len(year or "") == 4)
        # A syslog file also holds the daemons' start-up chatter and other
        # programs' lines: understood, but not alerts.
        if m := _SYSLOG.match(line):
            month, day, hms, program, body = m.groups()
            if not _SIGNATURE.search(body):
                return Skipped(lineno, "not a traffic record: not an IDS alert")
            return self._event(lineno, ctx.syslog_time(month, day, hms), body, "suricata" in program.lower())
        if m := _SYSLOG_ISO.match(line):
            stamp, zone, program, body = m.groups()
            if not _SIGNATURE.search(body):
                return Skipped(lineno, "not a traffic record: not an IDS alert")
            when = parse_iso_time(stamp + (zone or ""), ctx)
            return self._event(lineno, when, body, "suricata" in program.lower())
        raise LineError("not a Snort or Suricata alert line")

    @staticmethod
    def _event(lineno: int, when: datetime, body: str, suricata: bool) -> ParsedEvent | Skipped:
        tail = _TAIL.search(body)
        if tail is None:
            if "->" in body:
                raise LineError("unreadable protocol or addresses")
            # Decoder events on non-IP packets: Suricata prints a raw packet dump, Snort nothing.
            return Skipped(lineno, "not a traffic record: alert without IP addresses")
        proto_text, src_text, dst_text = tail.groups()
        if proto_text[:6].upper() == "PROTO:":
            proto_text = proto_text[6:]
        protocol = protocol_name(proto_text)
        expect_port = suricata or protocol in _SNORT_PORTS
        src, sport = _split_endpoint(src_text, expect_port)
        dst, dport = _split_endpoint(dst_text, expect_port)
        keep = protocol in _KEEP_PORTS
        return ParsedEvent(
            lineno=lineno,
            time=when,
            source_ip=check_ip(src),
            target_ip=check_ip(dst),
            protocol=protocol,
            source_port=check_port(sport) if keep else None,
            target_port=check_port(dport) if keep else None,
        )

    @staticmethod
    def _fast_time(month: str, day: str, year: str | None, hms: str, ctx: ParseContext) -> datetime:
        mon = int(month)
        if not 1 <= mon <= 12:
            raise LineError(f"unreadable time stamp {month}/{day}-{hms}")
        if year is None:
            return ctx.syslog_time(_MONTH_ABBR[mon - 1], day, hms)
        full_year = int(year) + 2000 if len(year) == 2 else int(year)
        hh, mm, ss = hms.split(":")
        try:
            naive = datetime(full_year, mon, int(day), int(hh), int(mm), int(ss))
        except ValueError:
            raise LineError(f"unreadable time stamp {month}/{day}/{year}-{hms}") from None
        return ctx.naive_time(naive)


parser = SnortFastParser()
