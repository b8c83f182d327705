"""Any comma, semicolon or tab separated export whose first row names the
columns, for firewalls without a parser of their own.

The header is matched against common column names, case-insensitively and
with spaces or hyphens read as underscores (``Source IP`` = ``source_ip``).
A time, a source address, a destination address and a protocol column are
required; ports, TCP flags, a count and an action are optional. With an
action column only rows saying deny, drop, block or reject become events.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from .base import (
    BAD_LINE,
    LineError,
    ParseContext,
    ParsedEvent,
    Parser,
    ParseResult,
    Rejection,
    Skipped,
    check_count,
    check_ip,
    check_port,
    parse_iso_time,
    protocol_name,
    rejection,
    tcp_flags,
)

ALIASES = {
    "time": ("time", "timestamp", "datetime", "date_time", "event_time"),
    "date": ("date",),
    "src": ("src", "source", "src_ip", "source_ip", "srcip", "src_addr", "source_address"),
    "sport": ("sport", "src_port", "source_port", "srcport"),
    "dst": (
        "dst",
        "dest",
        "destination",
        "target",
        "dst_ip",
        "dest_ip",
        "target_ip",
        "dstip",
        "destination_ip",
        "dst_addr",
        "destination_address",
    ),
    "dport": ("dport", "dst_port", "dest_port", "target_port", "dstport", "destination_port"),
    "proto": ("proto", "protocol"),
    "flags": ("flags", "tcp_flags"),
    "count": ("count",),
    "action": ("action",),
}
_ROLE = {alias: role for role, names in ALIASES.items() for alias in names}
_BLOCKED = frozenset({"deny", "denied", "drop", "dropped", "block", "blocked", "reject", "rejected"})
_DELIMITERS = (",", ";", "\t")
_FLAG_WORDS = {"FIN": "F", "SYN": "S", "RST": "R", "PSH": "P", "ACK": "A", "URG": "U", "ECE": "E", "CWR": "C"}
_REQUIRED = (("time", "time"), ("src", "source address"), ("dst", "destination address"), ("proto", "protocol"))
_EPOCH = re.compile(r"\d{9,10}(?:\.\d+)?")


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().strip("\ufeff").strip().strip("\"'").strip().lower())


def _delimiter(line: str) -> str | None:
    counts = {d: line.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else None


def _split(line: str, delimiter: str) -> list[str]:
    return [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter))]


class _Columns:
    """Where each role sits in a row, read from the header."""

    def __init__(self, header: list[str]):
        self.width = len(header)
        self.index: dict[str, int] = {}
        for i, name in enumerate(header):
            role = _ROLE.get(_normalise(name))
            if role and role not in self.index:
                self.index[role] = i
        # A lone "date" column holds date and time; beside "time" it holds the day.
        if "date" in self.index and "time" not in self.index:
            self.index["time"] = self.index.pop("date")
        missing = [label for role, label in _REQUIRED if role not in self.index]
        self.problem = f"the header row has no column for {', '.join(missing)}" if missing else None
        self.header = header


class GenericCsvParser(Parser):
    name = "generic_csv"
    line_independent = False  # the header row names the columns of every later line
    label = "Generic CSV with a header row (comma, semicolon or tab)"
    recognised_by_first_line = True

    def matches(self, line: str) -> bool:
        if line.lstrip().startswith(("#", "{")):
            return False
        delimiter = _delimiter(line)
        if delimiter is None:
            return False
        roles = {_ROLE.get(_normalise(cell)) for cell in line.split(delimiter)}
        return "src" in roles and "dst" in roles

    def parse(self, lines: Iterable[str], ctx: ParseContext, start: int = 1) -> Iterator[ParseResult]:
        columns = delimiter = None
        for lineno, raw in enumerate(lines, start=start):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            if line.lstrip().startswith("#"):
                yield Skipped(lineno, "not a traffic record: comment")
                continue
            if columns is None:
                delimiter = _delimiter(line) or ","
                columns = _Columns(_split(line, delimiter))
                yield Skipped(lineno, "not a traffic record: header")
                continue
            try:
                yield self._row(lineno, _split(line, delimiter), columns, ctx)
            except csv.Error as exc:
                yield Rejection(lineno, f"malformed CSV: {exc}", line)
            except BAD_LINE as exc:
                yield rejection(lineno, line, exc)

    def parse_line(self, lineno: int, line: str, ctx: ParseContext) -> ParseResult | None:
        raise LineError("a CSV line can only be read together with its header row")

    def _row(self, lineno: int, cells: list[str], columns: _Columns, ctx: ParseContext) -> ParseResult:
        if cells == columns.header:
            return Skipped(lineno, "not a traffic record: header")  # exports pasted one after another
        if columns.problem:
            raise LineError(columns.problem)
        if len(cells) != columns.width:
            raise LineError(f"expected {columns.width} columns as in the header, found {len(cells)}")
        idx = columns.index

        def cell(role: str) -> str:
            return cells[idx[role]] if role in idx else ""

        action = cell("action")
        if "action" in idx and action.lower() not in _BLOCKED:
            return Skipped(lineno, "allowed traffic")
        when = _time(cell("time"), cell("date"), ctx)
        proto = protocol_name(cell("proto"))
        count = cell("count") or "1"
        if not count.isdigit() or int(count) < 1:
            raise LineError(f"invalid count {count!r}")
        return ParsedEvent(
            lineno,
            when,
            check_ip(cell("src")),
            check_ip(cell("dst")),
            proto,
            _port(cell("sport"), "source"),
            _port(cell("dport"), "destination"),
            _flags(cell("flags")) if proto == "tcp" else "",
            check_count(int(count)),
        )


def _time(text: str, day: str, ctx: ParseContext) -> datetime:
    if day:
        text = f"{day} {text}"
    if not text:
        raise LineError("the time column is empty")
    if _EPOCH.fullmatch(text):
        return datetime.fromtimestamp(float(text), UTC)
    # 2026/11/20 is as common in exports as 2026-11-20.
    if len(text) >= 10 and text[4] == "/" and text[7] == "/":
        text = text[:10].replace("/", "-") + text[10:]
    return parse_iso_time(text, ctx)


def _port(text: str, which: str) -> int | None:
    try:
        return check_port(text)
    except LineError:
        raise LineError(f"invalid {which} port {text!r}") from None


def _flags(text: str) -> str:
    upper = text.upper()
    words = [w for w in re.split(r"[\s,|/+]+", upper) if w]
    if words and all(w in _FLAG_WORDS for w in words):
        return tcp_flags(_FLAG_WORDS[w] for w in words)
    letters = upper.replace(".", "").replace("*", "")
    if any(c not in "FSRPAUEC" for c in letters):
        raise LineError(f"invalid TCP flags {text!r}")
    return tcp_flags(letters)


parser = GenericCsvParser()
