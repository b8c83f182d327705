"""The syslog and journal line prefixes that host logs (auth.log, secure,
fail2ban through syslog) come with, read once for the formats that need them.

Layouts, as the programs write them:

- BSD syslog (RFC 3164, rsyslog's default file format, ``journalctl`` short
  and short-precise): ``Nov 22 10:00:01[.123456] host prog[pid]: message``,
  with an optional ``<PRI>`` when received over the network;
- RFC 3339 stamps (rsyslog ``RSYSLOG_FileFormat``, ``journalctl -o
  short-iso`` / ``short-iso-precise``):
  ``2026-11-22T10:00:01[.123456]+01:00 host prog[pid]: message``;
- ``journalctl -o short-full``: ``Sun 2026-11-22 10:00:01 CET host prog[pid]: message``;
- ``journalctl -o short-unix``: ``1795341601.123456 host prog[pid]: message``;
- RFC 5424: ``<PRI>1 2026-11-22T10:00:01.123+01:00 host prog pid msgid [sd] message``.

journalctl also writes ``-- Boot ... --`` / ``-- No entries --`` marker lines
between entries; ``is_journal_marker`` recognises them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from .base import ParseContext, parse_iso_time

# Some senders leave the host out ("Nov 22 10:00:01 sshd[42]: ..."); a host
# never holds "[", so "sshd[42]:" is not taken for one.
_HOST = r"(?:([^\s\[]*[^\s\[:]) )?"
_BSD = re.compile(
    r"(?:<\d{1,3}>)?([A-Z][a-z]{2}) +(\d{1,2}) (\d\d:\d\d:\d\d)(?:\.\d+)? "
    rf"{_HOST}([^\s\[:]+)(?:\[(\d+)\])?: ?(.*)",
    re.ASCII | re.DOTALL,
)
_ISO = re.compile(
    r"(?:<\d{1,3}>)?(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(?:[.,]\d+)?(Z|[+-]\d\d:?\d\d)? "
    rf"{_HOST}([^\s\[:]+)(?:\[(\d+)\])?: ?(.*)",
    re.ASCII | re.DOTALL,
)
_FULL = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d+)? ([A-Za-z][A-Za-z0-9+-]{0,5}) (\S+) "
    r"([^\s\[:]+)(?:\[(\d+)\])?: ?(.*)",
    re.ASCII | re.DOTALL,
)
_UNIX = re.compile(r"(\d{9,10})(?:\.\d+)? (\S+) ([^\s\[:]+)(?:\[(\d+)\])?: ?(.*)", re.ASCII | re.DOTALL)
_RFC5424 = re.compile(
    r"<\d{1,3}>1 (\S+) (\S+) (\S+) (\S+) \S+ (?:-|(?:\[(?:[^\]\\]|\\.)*\])+) ?(.*)", re.ASCII | re.DOTALL
)
_FRACTION = re.compile(r"\.\d+")
_UTC_NAMES = frozenset({"UTC", "GMT", "Z", "UT"})


@dataclass(slots=True)
class SyslogLine:
    program: str
    pid: str | None
    message: str
    month: str = ""  # set for BSD stamps, placed lazily: most lines are skipped unread
    day: str = ""
    hms: str = ""
    stamp: str = ""  # set for ISO stamps (with zone when the line had one)
    when: datetime | None = None  # set for stamps read at once

    def time(self, ctx: ParseContext) -> datetime:
        if self.when is not None:
            return self.when
        if self.month:
            return ctx.syslog_time(self.month, self.day, self.hms)
        return parse_iso_time(self.stamp, ctx)


def split(line: str) -> SyslogLine | None:
    """The parts of a syslog or journal line, or None when it is neither."""
    first = line[:1]
    if first.isalpha():
        if m := _BSD.match(line):
            mon, day, hms, _host, program, pid, message = m.groups()
            return SyslogLine(program, pid, message, month=mon, day=day, hms=hms)
        if m := _FULL.match(line):
            stamp, zone, _host, program, pid, message = m.groups()
            return SyslogLine(program, pid, message, stamp=_full_stamp(stamp, zone))
        return None
    if first == "<":
        if line.startswith("1 ", line.find(">") + 1) and (m := _RFC5424.match(line)):
            stamp, _host, program, pid, message = m.groups()
            return SyslogLine(program, None if pid == "-" else pid, message, stamp=_FRACTION.sub("", stamp, count=1))
        if m := _BSD.match(line):
            mon, day, hms, _host, program, pid, message = m.groups()
            return SyslogLine(program, pid, message, month=mon, day=day, hms=hms)
    if m := _ISO.match(line):
        stamp, zone, _host, program, pid, message = m.groups()
        return SyslogLine(program, pid, message, stamp=stamp.replace(" ", "T") + (zone or ""))
    if first.isdigit() and (m := _UNIX.match(line)):
        seconds, _host, program, pid, message = m.groups()
        return SyslogLine(program, pid, message, when=datetime.fromtimestamp(int(seconds), UTC))
    return None


def _full_stamp(stamp: str, zone: str) -> str:
    # short-full names the zone only by its abbreviation, which says nothing
    # exact (CST is three zones); UTC is read as such, anything else in the
    # submission's zone, as for lines without a zone.
    if zone.upper() in _UTC_NAMES:
        return stamp.replace(" ", "T") + "+00:00"
    return stamp.replace(" ", "T")


def is_journal_marker(line: str) -> bool:
    return line.startswith("-- ") and (line.endswith(" --") or line.startswith(("-- Logs begin", "-- Journal begins")))
