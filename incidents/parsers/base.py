"""The one interface every log-format parser implements.

A parser turns an iterable of text lines into a stream of results, one per line
that carries information: a ``ParsedEvent`` for blocked/denied traffic, a
``Skipped`` for lines that are understood but not worth storing (allowed
sessions, headers, comments), and a ``Rejection`` for lines that cannot be
understood or placed in time. Parsers never touch the database; normalisation
checks that apply to every format (future or too-old times) live in
``incidents.normalise``.

Parsers are on the ingest hot path (hundreds of thousands of lines a second),
which is why results are small slotted classes and time stamps are cached.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}

# IANA protocol numbers for the names we normalise to; anything else is kept
# as its number in decimal so no information is lost.
PROTOCOL_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6", 47: "gre", 50: "esp", 132: "sctp"}
PROTOCOL_NUMBERS = {v: k for k, v in PROTOCOL_NAMES.items()}
PROTOCOL_ALIASES = {"ipv6-icmp": "icmpv6", "icmp6": "icmpv6", "icmp-v6": "icmpv6"}


def this_host(source: str) -> str:
    """The target of a log that never names its own host's address (auth.log,
    fail2ban.log): RFC 1122's "this host", of the source's family. The portal
    filters and ranks by source, so one such target per reporter is enough."""
    return "::" if ":" in source else "0.0.0.0"  # noqa: S104 (an address we store, not one we bind)


class LineError(ValueError):
    """Raised inside a parser for a line that cannot be used; the message is
    the reason shown to the user next to the line number."""


@dataclass(slots=True)
class ParsedEvent:
    lineno: int
    time: datetime  # timezone-aware, UTC
    source_ip: str
    target_ip: str
    protocol: str  # "tcp", "udp", "icmp", "icmpv6", ... or the IANA number as text
    source_port: int | None = None  # for ICMP: the type
    target_port: int | None = None  # for ICMP: the code
    tcp_flags: str = ""  # letters from "FSRPAUEC" in that order, e.g. "S", "SA"
    count: int = 1


# A Skipped reason starts with one of these: the device let the traffic
# through, or the line records no traffic (a header, a DHCP lease, a
# configuration change): "not a traffic record: DHCP message".
ALLOWED = "allowed traffic"
NOT_TRAFFIC = "not a traffic record"


def is_allowed(reason: str) -> bool:
    """Whether a skip reason says the device let the traffic through; any
    other reason is a line that records no traffic."""
    return reason.startswith(ALLOWED)


@dataclass(slots=True)
class Skipped:
    lineno: int
    reason: str  # "allowed traffic[: ...]" or "not a traffic record: <what>"


@dataclass(slots=True)
class Rejection:
    lineno: int
    reason: str
    line: str


ParseResult = ParsedEvent | Skipped | Rejection


@dataclass(slots=True)
class ParseContext:
    """What a parser needs to place a line in time.

    ``tz`` is the zone declared for the submission (profile default or chosen
    per upload) and applies to lines that carry no zone of their own.
    ``received_at`` is when the submission arrived; lines without a year get
    the year that puts them closest before it.
    """

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    _cache: dict = field(default_factory=dict, repr=False)

    def local_to_utc(self, naive: datetime) -> datetime:
        """Interpret a naive wall-clock time in the submission's zone.

        A time inside a DST gap does not exist and one inside the repeated
        hour is ambiguous; both are rejected rather than guessed, because a
        wrong hour can point an abuse desk at the wrong subscriber.
        """
        first = naive.replace(tzinfo=self.tz, fold=0)
        second = naive.replace(tzinfo=self.tz, fold=1)
        try:
            if first.utcoffset() != second.utcoffset():
                back = first.astimezone(UTC).astimezone(self.tz).replace(tzinfo=None)
                if back != naive:
                    raise LineError(f"local time {naive:%Y-%m-%d %H:%M:%S} does not exist in {self.tz.key}")
                raise LineError(f"local time {naive:%Y-%m-%d %H:%M:%S} is ambiguous in {self.tz.key} (clock change)")
            return first.astimezone(UTC)
        except OverflowError:
            # Within hours of year 1 or 9999 the zone's offset takes the time past what datetime holds.
            raise LineError(f"time {naive.isoformat(sep=' ')} is out of range") from None

    def syslog_time(self, month: str, day: str | int, hms: str) -> datetime:
        """``Nov 22 10:00:01`` style stamps: no year and no zone."""
        key = (month, day, hms)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        try:
            mon = MONTHS[month[:3].lower()]
            d = int(day)
            hh, mm, ss = hms.split(":")
            ss = ss.split(".")[0]
            hour, minute, second = int(hh), int(mm), int(ss)
        except (KeyError, ValueError):
            raise LineError(f"unreadable time stamp {month} {day} {hms}") from None
        result = self._place_without_year(mon, d, hour, minute, second)
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[key] = result
        return result

    def _place_without_year(self, mon: int, d: int, hour: int, minute: int, second: int) -> datetime:
        local_received = self.received_at.astimezone(self.tz)
        # Try this year, then the year before: the latest candidate not after
        # the submission (with a day of slack for clock skew) wins.
        for year in (local_received.year + 1, local_received.year, local_received.year - 1):
            try:
                naive = datetime(year, mon, d, hour, minute, second)
            except ValueError:
                continue  # 29 Feb in a non-leap year
            placed = self.local_to_utc(naive)
            if placed <= self.received_at + timedelta(days=1):
                return placed
        raise LineError(f"cannot place {mon:02d}-{d:02d} {hour:02d}:{minute:02d}:{second:02d} in a year")

    def naive_time(self, value: datetime) -> datetime:
        """A full date and time without a zone, in the submission's zone."""
        cached = self._cache.get(value)
        if cached is not None:
            return cached
        result = self.local_to_utc(value)
        self._cache[value] = result
        return result


def parse_iso_time(text: str, ctx: ParseContext) -> datetime:
    """ISO 8601 date and time; with an offset it is exact, without one it is
    read in the submission's zone. Cached, since logs repeat seconds."""
    cached = ctx._cache.get(text)
    if cached is not None:
        return cached
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise LineError(f"unreadable time stamp {text!r}") from None
    if value.tzinfo is None:
        result = ctx.local_to_utc(value)
    else:
        try:
            result = value.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
            raise LineError(f"time stamp {text!r} is out of range") from None
    if len(ctx._cache) > 200_000:
        ctx._cache.clear()
    ctx._cache[text] = result
    return result


def check_ip(text: str) -> str:
    """Return the address in canonical text form, or raise LineError.

    socket.inet_pton is an order of magnitude faster than the ipaddress
    module, which matters at a few microseconds per line.
    """
    if ":" in text:
        try:
            return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text.split("%")[0]))
        except OSError:
            raise LineError(f"invalid IPv6 address {text!r}") from None
    try:
        socket.inet_pton(socket.AF_INET, text)
    except OSError:
        raise LineError(f"invalid IPv4 address {text!r}") from None
    return text


def check_port(text: str | int | None) -> int | None:
    if text is None or text == "":
        return None
    try:
        port = int(text)
    except ValueError:
        raise LineError(f"invalid port {text!r}") from None
    if not 0 <= port <= 65535:
        raise LineError(f"port {port} out of range")
    return port


# What a protocol name may look like (IANA keywords: "ipv6-frag", "ax.25",
# "a/n"); it must fit the event table's protocol column (16 characters).
_PROTOCOL_WORD = re.compile(r"[a-z0-9][a-z0-9._+/-]{0,15}", re.ASCII)


# The event table's count column is a PostgreSQL integer.
COUNT_MAX = 2**31 - 1


def check_count(count: int) -> int:
    if not 1 <= count <= COUNT_MAX:
        raise LineError(f"count {count} out of range")
    return count


def protocol_name(value: str | int) -> str:
    """Normalise a protocol given as a name or an IANA number (0 to 255)."""
    text = str(value).strip().lower()
    if text.isascii() and text.isdigit():
        number = int(text)
        if number > 255:
            raise LineError(f"invalid protocol number {text[:20]!r}")
        return PROTOCOL_NAMES.get(number, str(number))
    text = PROTOCOL_ALIASES.get(text, text)
    if text in PROTOCOL_NUMBERS:
        return text
    if not text:
        raise LineError("missing protocol")
    if _PROTOCOL_WORD.fullmatch(text) is None:
        raise LineError(f"invalid protocol {str(value)[:40]!r}")
    return text


TCP_FLAG_ORDER = "FSRPAUEC"


def tcp_flags(letters: Iterable[str]) -> str:
    """Canonical flag string, letters in FSRPAUEC order without repeats."""
    present = {c.upper() for c in letters}
    return "".join(c for c in TCP_FLAG_ORDER if c in present)


# Raised by a parser's per-line step: LineError for a line it knows is bad,
# the others for a line no parser author foresaw. Either way the line is
# rejected and the log goes on: one bad line must never cost a whole log.
UNFORESEEN = (ValueError, IndexError, KeyError, TypeError, AttributeError, OverflowError)
BAD_LINE = (LineError, *UNFORESEEN)


def rejection(lineno: int, line: str, exc: Exception) -> Rejection:
    if isinstance(exc, LineError):
        return Rejection(lineno, str(exc), line)
    return Rejection(lineno, f"unreadable line ({type(exc).__name__})", line)


class Parser:
    """Base class for one log format.

    Subclasses set ``name`` (short id used by ``--format`` and the upload
    form) and ``label`` (what users read), implement ``matches`` (a cheap test
    used to recognise the format from the first lines) and ``parse_line``
    (one line to one result, raising LineError for bad lines). Formats with a
    header that changes how later lines read (W3C ``#Fields``, CSV header
    rows) override ``parse`` to keep that state, and set
    ``line_independent`` to False.

    ``parse`` numbers lines from ``start``: a log may be parsed in chunks
    (each by another process) when every line reads alone.
    """

    name: str = ""
    label: str = ""
    # True for formats known only by a header row (generic CSV): detection
    # then asks ``matches`` about the first line alone.
    recognised_by_first_line: bool = False
    # False where one line changes how later lines read (headers, pairs):
    # such logs are parsed whole, in order, by one process.
    line_independent: bool = True

    def matches(self, line: str) -> bool:
        raise NotImplementedError

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParseResult | None:
        """Return a result, or None for a blank line that says nothing."""
        raise NotImplementedError

    def parse(self, lines: Iterable[str], ctx: ParseContext, start: int = 1) -> Iterator[ParseResult]:
        parse_line = self.parse_line
        for lineno, raw in enumerate(lines, start=start):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            try:
                result = parse_line(lineno, line, ctx)
            except BAD_LINE as exc:
                result = rejection(lineno, line, exc)
            if result is not None:
                yield result
