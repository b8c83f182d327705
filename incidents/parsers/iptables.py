"""Linux netfilter (iptables/nftables ``LOG``) kernel lines from syslog,
kern.log, ufw.log or a journal export, including UFW, firewalld and EdgeOS
prefixes.

A line looks like::

    Nov 22 10:00:01 web01 kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=...
        SRC=203.0.113.5 DST=198.51.100.7 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=4242 DF
        PROTO=TCP SPT=51234 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0

Everything before ``IN=`` that is not the syslog header or the kernel's
uptime stamp is the rule's log prefix, which is all that tells a drop from an
accept. This parser is on the ingest hot path: ``parse`` tries one
precompiled regex for the common shape and hands anything unusual to
``parse_line``, which is slower but reads every variant. ``_parse_python`` is
that reference; ``incidents/_iptables.c`` reads the common lines the same way
in C and is used when built (see the end of this module).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import fields
from datetime import datetime, timedelta
from itertools import islice
from socket import AF_INET, inet_pton

from ..accelerated import PURE_PYTHON
from .base import (
    BAD_LINE,
    UNFORESEEN,
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

# The common IPv4 shape only; everything else goes to parse_line. Written for
# Python's regex engine: greedy character-class runs instead of lazy
# wildcards, and ``(?:x|)`` instead of ``(?:x)?``, each worth a sizeable share
# of the per-line budget. ``[^P]*PROTO=`` takes the first PROTO= after PREC=,
# so the copy of the offending packet that ICMP errors carry is never read.
_FAST = re.compile(
    r"(?:([A-Z][a-z][a-z] [ \d]\d \d\d:\d\d:\d\d)(?:\.\d+|)"
    r"|(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+|)(Z|[+-]\d\d:?\d\d|))"
    r" \S+ kernel: (?:\[[ \d.]+\] |)([^=]*)IN=[^S]*SRC=([^ ]+) DST=([^ ]+) LEN=[^P]*PREC=[^P]*PROTO=(\w+)"
    r"(?: SPT=(\d+) DPT=(\d+)(?: WINDOW=\d+ RES=0x\w\w ([A-Z ]*)URGP=|)| TYPE=(\d+) CODE=(\d+)|)",
    re.ASCII,
)

# Syslog header variants read by the general path: optional <PRI> (and RFC
# 5424 version), classic or ISO stamp, host, kernel tag; or the bracketed
# wall-clock stamp of ``dmesg -T``. The kernel uptime stamp is dropped too.
_HEAD = re.compile(
    r"""\s*(?:<\d{1,3}>(?:1\ )?)?
    (?:
      (?:(?P<mon>[A-Z][a-z]{2})\ +(?P<day>\d{1,2})\ +(?P<hms>\d\d:\d\d:\d\d)(?:\.\d+)?
        |(?P<iso>\d{4}-\d\d-\d\d[T\ ]\d\d:\d\d:\d\d)(?:[.,]\d+)?(?P<off>Z|[+-]\d\d:?\d\d)?)
      \ +\S+\ +(?:kernel(?:\[\d+\])?:\ *|kernel(?:\ +-){3}\ *)?
     |\[[A-Z][a-z]{2}\ (?P<dmesg>[A-Z][a-z]{2}\ +\d{1,2}\ \d\d:\d\d:\d\d\ \d{4})\]\ *
    )?
    (?:\[\ *\d+\.\d+\]\ *)?
    """,
    re.X,
)
_IN_OUT = re.compile(r"IN=\S* OUT=")
# EdgeOS/VyOS name their log prefixes [CHAIN-RULE-A|D|R]; A is accept.
_EDGEOS_ACCEPT = re.compile(r"\[[^\]]*-A\]")

_FLAG_LETTERS = {"FIN": "F", "SYN": "S", "RST": "R", "PSH": "P", "ACK": "A", "URG": "U", "ECE": "E", "CWR": "C"}
_ICMP = frozenset({"icmp", "icmpv6"})

ALLOWED = "allowed traffic"
AUDIT = "not a traffic record: audit entry (logged before the firewall decided)"
NOT_FIREWALL = "not a traffic record: not a firewall line"


_SECONDS = tuple(timedelta(seconds=s) for s in range(60))

# On the fast path an unforeseen error (or OSError from inet_pton; LineError
# is a ValueError) only sends the line to parse_line, which decides.
_NOT_FAST = (OSError, *UNFORESEEN)


class _MinuteClock:
    """``Nov 22 10:00:01`` stamps placed by way of their minute.

    ``ParseContext.syslog_time`` costs over ten microseconds per new second
    (year inference and zone checks); a log with a few lines a second would
    spend more time there than in parsing. Zone changes fall on whole
    minutes, so the minute's start placed once and the seconds added give the
    same answer; the rare second that lands past the submission's horizon, or
    a leap second, is placed by ``syslog_time`` itself.
    """

    __slots__ = ("ctx", "horizon", "minutes")

    def __init__(self, ctx: ParseContext):
        self.ctx = ctx
        self.horizon = ctx.received_at + timedelta(days=1)
        self.minutes: dict[str, datetime] = {}

    def __call__(self, stamp: str) -> datetime:
        minute, second = stamp[:12], int(stamp[13:15])
        if second > 59:
            return self.ctx.syslog_time(stamp[:3], stamp[4:6], stamp[7:15])
        start = self.minutes.get(minute)
        if start is None:
            start = self.minutes[minute] = self.ctx.syslog_time(stamp[:3], stamp[4:6], stamp[7:12] + ":00")
        placed = start + _SECONDS[second]
        if placed > self.horizon:
            return self.ctx.syslog_time(stamp[:3], stamp[4:6], stamp[7:15])
        return placed


def _verdict(prefix: str) -> str | None:
    """Why a line with this log prefix is skipped, or None for a block."""
    upper = prefix.upper()
    if "AUDIT" in upper:
        # UFW logs new connections as [UFW AUDIT] before any rule decides.
        return AUDIT
    if "ACCEPT" in upper or "ALLOW" in upper or _EDGEOS_ACCEPT.search(prefix):
        return ALLOWED
    return None


def _flags(words: str | None) -> str:
    if not words:
        return ""
    return tcp_flags(_FLAG_LETTERS[w] for w in words.split() if w in _FLAG_LETTERS)


class _FastState:
    """What ``parse`` remembers across lines, shared by the Python and the C
    (incidents/_iptables.c reads these attributes once per batch): the
    clock, the prefix verdicts, the interned addresses and the protocol and
    flag readings, and the functions the C calls back, as bound when the
    parse starts."""

    __slots__ = (
        "blocking",
        "clock",
        "ctx",
        "flags",
        "iso_time",
        "kinds",
        "protocol_name",
        "skipped",
        "skips",
        "sources",
        "stamps",
        "targets",
        "verdict",
    )

    def __init__(self, ctx: ParseContext):
        self.ctx = ctx
        self.clock = _MinuteClock(ctx)
        self.blocking: set[str] = set()  # prefixes of drop rules, the usual case
        self.skips: dict[str, str] = {}
        # The reporter's own few addresses, each validated once and handed
        # out as one string object: the rollups then hold a reference per
        # target rather than a copy, and compare them by identity.
        self.targets: dict[str, str] = {}
        self.kinds: dict[tuple[str, str | None], tuple[str, str]] = {}  # (PROTO=, flag words) -> (protocol, flags)
        # The C only: source addresses interned as the targets are, and each
        # stamp's time (the Python keeps the last one alone).
        self.sources: dict[str, str] = {}
        self.stamps: dict[str, datetime] = {}
        self.iso_time, self.verdict, self.protocol_name, self.flags = parse_iso_time, _verdict, protocol_name, _flags
        self.skipped = Skipped


class IptablesParser(Parser):
    name = "iptables"
    label = "Linux netfilter / iptables (incl. UFW, firewalld)"

    def matches(self, line: str) -> bool:
        return " SRC=" in line and " DST=" in line and "IN=" in line and " OUT=" in line

    def parse(self, lines: Iterable[str], ctx: ParseContext, start: int = 1) -> Iterator[ParseResult]:
        if not ACCELERATED:
            return self._parse_python(lines, ctx, start)
        return self._parse_accelerated(lines, ctx, start)

    def _parse_accelerated(self, lines: Iterable[str], ctx: ParseContext, start: int) -> Iterator[ParseResult]:
        """``_parse_python`` with the common lines read by incidents._iptables.

        The C reads lines from ``at`` until one it cannot settle exactly as
        the Python would (a new prefix, time stamp, protocol and flags or
        address goes through the same Python call and is remembered in the
        same caches; anything else stops it); that line then goes through
        ``_parse_python`` with the same state, one at a time, so results and
        exceptions come out in the same order.
        """
        state = _FastState(ctx)
        scan, python = _iptables.scan, self._parse_python
        lines = iter(lines)
        lineno, failed = start, None
        while failed is None:
            batch: list[str] = []
            try:
                batch.extend(islice(lines, _BATCH))
            except Exception as exc:  # after the lines read before it, as the reference raises it
                failed = exc
            if not batch:
                break
            at, end = 0, len(batch)
            while True:
                results, at = scan(batch, at, lineno + at, state)
                yield from results
                if at >= end:
                    break
                yield from python(batch[at : at + 1], ctx, lineno + at, state)
                at += 1
            lineno += end
        if failed is not None:
            raise failed

    def _parse_python(
        self, lines: Iterable[str], ctx: ParseContext, start: int = 1, state: _FastState | None = None
    ) -> Iterator[ParseResult]:
        """The reference: the fast regex for the common shape, parse_line for the rest."""
        fast, parse_line, pton, v4 = _FAST.match, self.parse_line, inet_pton, AF_INET
        event, skipped = ParsedEvent, Skipped
        if state is None:
            state = _FastState(ctx)
        clock, blocking, skips, targets, kinds = state.clock, state.blocking, state.skips, state.targets, state.kinds
        last_stamp, when = None, None
        for lineno, raw in enumerate(lines, start=start):
            m = fast(raw)
            if m is not None:
                stamp, iso, off, prefix, src, dst, proto, spt, dpt, flags, itype, icode = m.groups()
                if prefix not in blocking:
                    reason = skips.get(prefix) or _verdict(prefix)
                    if reason is not None:
                        skips[prefix] = reason
                        yield skipped(lineno, reason)
                        continue
                    blocking.add(prefix)
                # Anything odd (IPv6, bad values, TCP logged with sequence
                # numbers, no ports) falls through to parse_line, which says why.
                try:
                    if stamp is None:
                        stamp = iso + off if off else iso
                    if stamp != last_stamp:
                        when = clock(stamp) if iso is None else parse_iso_time(stamp, ctx)
                        last_stamp = stamp
                    pton(v4, src)
                    known = targets.get(dst)
                    if known is None:
                        pton(v4, dst)
                        if len(targets) > 100_000:
                            targets.clear()
                        targets[dst] = dst
                    else:
                        dst = known
                    kind = kinds.get((proto, flags))
                    if kind is None:
                        name = protocol_name(proto)  # flags only for TCP, as parse_line reads them
                        kind = kinds[proto, flags] = (name, _flags(flags) if name == "tcp" else "")
                    protocol, tcp = kind
                    if spt is not None:
                        sport, dport = int(spt), int(dpt)
                        ok = sport <= 65535 and dport <= 65535 and (flags is not None or protocol != "tcp")
                    elif itype is not None:
                        sport, dport = int(itype), int(icode)
                        ok = sport <= 255 and dport <= 255
                    else:
                        ok = False
                except _NOT_FAST:
                    ok = False
                if ok:
                    yield event(lineno, when, src, dst, protocol, sport, dport, tcp)
                    continue
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            try:
                result = parse_line(lineno, line, ctx)
            except BAD_LINE as exc:
                result = rejection(lineno, line, exc)
            if result is not None:
                yield result

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParseResult | None:
        nf = _IN_OUT.search(line)
        if nf is None:
            return Skipped(lineno, NOT_FIREWALL)
        head = _HEAD.match(line)
        prefix = line[head.end() : nf.start()]
        verdict = _verdict(prefix)
        if verdict is not None:
            return Skipped(lineno, verdict)
        when = _head_time(head, ctx)

        body = line[nf.start() :]
        nested = body.find(" [")  # ICMP errors quote the offending packet
        if nested >= 0:
            body = body[:nested]
        fields: dict[str, str] = {}
        words = []
        for token in body.split():
            key, eq, value = token.partition("=")
            if eq:
                fields.setdefault(key, value)
            else:
                words.append(token)

        if "SRC" not in fields:
            raise LineError("no SRC= address")
        if "DST" not in fields:
            raise LineError("no DST= address")
        if not fields.get("PROTO"):
            raise LineError("no PROTO= field")
        source, target = check_ip(fields["SRC"]), check_ip(fields["DST"])
        proto = protocol_name(fields["PROTO"])
        if proto in _ICMP:
            sport, dport = _number(fields, "TYPE", 255), _number(fields, "CODE", 255)
        else:
            sport, dport = _port(fields, "SPT"), _port(fields, "DPT")
        flags = _flags(" ".join(words)) if proto == "tcp" else ""
        return ParsedEvent(lineno, when, source, target, proto, sport, dport, flags)


def _head_time(head: re.Match, ctx: ParseContext) -> datetime:
    if head["mon"]:
        return ctx.syslog_time(head["mon"], head["day"], head["hms"])
    if head["iso"]:
        return parse_iso_time(head["iso"] + (head["off"] or ""), ctx)
    if head["dmesg"]:
        try:
            value = datetime.strptime(" ".join(head["dmesg"].split()), "%b %d %H:%M:%S %Y")
        except ValueError:
            raise LineError(f"unreadable time stamp {head['dmesg']!r}") from None
        return ctx.naive_time(value)
    raise LineError("no time stamp (syslog date and time) at the start of the line")


def _port(fields: dict[str, str], key: str) -> int | None:
    try:
        return check_port(fields.get(key))
    except LineError:
        raise LineError(f"invalid port {key}={fields[key]}") from None


def _number(fields: dict[str, str], key: str, top: int) -> int | None:
    text = fields.get(key)
    if text is None:
        return None
    if not text.isdigit() or int(text) > top:
        raise LineError(f"invalid ICMP {key.lower()} {text!r}")
    return int(text)


parser = IptablesParser()


# incidents/_iptables.c reads the common lines as _parse_python does; it is
# used when it was built and imports, unless PORTAL_PURE_PYTHON_ROWS=1 (the
# switch of incidents._rows too). It fills ParsedEvent's slots itself, so it
# is used only while the fields are the ones it knows.
_BATCH = 512
try:
    from incidents import _iptables
except ImportError:  # built without a compiler: the reference runs
    _iptables = None

_EVENT_FIELDS = ("lineno", "time", "source_ip", "target_ip", "protocol", "source_port", "target_port", "tcp_flags")
if _iptables is not None:
    if tuple(f.name for f in fields(ParsedEvent)) == (*_EVENT_FIELDS, "count") and fields(ParsedEvent)[-1].default == 1:
        _iptables.bind(ParsedEvent, (*_EVENT_FIELDS, "count"))
    else:  # ParsedEvent changed: the C no longer knows what __init__ would do
        _iptables = None
ACCELERATED = _iptables is not None and not PURE_PYTHON
