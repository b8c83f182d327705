"""From parsed events to COPY rows and partial rollups, without the database.

Both ways of staging a log use these: one process reading the log in order,
and the parser processes that each take a chunk of it (``ingest_chunks``).

The Python here is the reference. The per-event steps (``_Rollup.add`` and
``lines``, ``_RowWriter.row``, ``copy_text``) cost about half a worker's CPU
in Python, so ``incidents/_rows.c`` does the same in C; it is used when it
was built and imports, unless PORTAL_PURE_PYTHON_ROWS=1 (see the end of this
module).
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from socket import AF_INET, AF_INET6, inet_pton

from .accelerated import PURE_PYTHON
from .filters import EventFilter  # noqa: F401 (bind() below: the C writer knows its reason method)
from .models import SourceDay, Submission
from .parsers import ALLOWED, NOT_TRAFFIC, ParsedEvent, Rejection, Skipped, is_allowed

# Recent lines remembered to drop repeats within one file; a repeat further
# apart still lands exactly once, through the merge path.
DEDUPE_WINDOW = 50_000
NULL = "\\N"  # COPY text format

# Reasons may quote the line (a vendor's subtype or message id): past this
# many distinct ones, a log counts the rest by kind only, so memory stays
# bounded whatever the file holds.
SKIP_REASONS_COUNTED = 1000
OTHER_ALLOWED = f"{ALLOWED}: other reasons"
OTHER_NOT_TRAFFIC = f"{NOT_TRAFFIC}: other reasons"


@dataclass
class Counts:
    lines: int = 0
    staged: int = 0
    repeated: int = 0  # identical to an earlier line of the same file
    filtered: int = 0
    filtered_by: dict = field(default_factory=dict)
    skipped_by: dict = field(default_factory=dict)  # skip reason -> lines
    rejected: int = 0
    rejected_lines: list = field(default_factory=list)
    too_long: list = field(default_factory=list)  # line numbers, reported once the log is read
    first_time: datetime | None = None
    last_time: datetime | None = None

    def reject(self, rejection: Rejection):
        self.rejected += 1
        if len(self.rejected_lines) < Submission.MAX_REJECTED_KEPT:
            # PostgreSQL's jsonb cannot hold NUL (a UTF-16 or binary log is full of them).
            reason, text = rejection.reason.replace("\x00", "\ufffd"), rejection.line[:300].replace("\x00", "\ufffd")
            self.rejected_lines.append({"line": rejection.lineno, "reason": reason, "text": text})

    def skip(self, result: Skipped) -> None:
        self.count_skipped(result.reason, 1)

    def count_skipped(self, reason: str, lines: int) -> None:
        by = self.skipped_by
        if reason not in by and len(by) >= SKIP_REASONS_COUNTED:
            reason = OTHER_ALLOWED if is_allowed(reason) else OTHER_NOT_TRAFFIC
        by[reason] = by.get(reason, 0) + lines

    @property
    def allowed(self) -> int:
        return sum(lines for reason, lines in self.skipped_by.items() if is_allowed(reason))

    @property
    def not_traffic(self) -> int:
        return sum(self.skipped_by.values()) - self.allowed

    def skipped_reasons(self, kept: int) -> dict[str, int]:
        """The ``kept`` most frequent skip reasons with their lines, the rest
        summed by kind, so the counts by reason still add up."""
        ranked = sorted(self.skipped_by.items(), key=lambda item: (-item[1], item[0]))
        reasons = dict(ranked[:kept])
        for reason, lines in ranked[kept:]:
            other = OTHER_ALLOWED if is_allowed(reason) else OTHER_NOT_TRAFFIC
            reasons[other] = reasons.get(other, 0) + lines
        return reasons

    def absorb(self, other: "Counts") -> None:
        """Add the counts of the next chunk of the same log."""
        self.lines += other.lines
        self.staged += other.staged
        self.repeated += other.repeated
        self.filtered += other.filtered
        for key, events in other.filtered_by.items():
            self.filtered_by[key] = self.filtered_by.get(key, 0) + events
        for reason, lines in other.skipped_by.items():
            self.count_skipped(reason, lines)
        self.rejected += other.rejected
        room = Submission.MAX_REJECTED_KEPT - len(self.rejected_lines)
        if room > 0:
            self.rejected_lines.extend(other.rejected_lines[:room])
        self.too_long.extend(other.too_long)
        if other.first_time is not None and (self.first_time is None or other.first_time < self.first_time):
            self.first_time = other.first_time
        if other.last_time is not None and (self.last_time is None or other.last_time > self.last_time):
            self.last_time = other.last_time


def key_order(item) -> bytes:
    """A rollup key as PostgreSQL orders it (inet sorts IPv4 before IPv6,
    then by address bytes), as one bytes string: comparing those is a
    memcmp, where tuples of dates cost a Python comparison each."""
    day, source, protocol, port = item[0]
    address = b"\x06" + inet_pton(AF_INET6, source) if ":" in source else b"\x04" + inet_pton(AF_INET, source)
    port = 0 if port is None else port + 1
    return b"%b%b%b\0%b" % (day.toordinal().to_bytes(3), address, protocol.encode(), port.to_bytes(3))


class _Rollup:
    """Partial rollups of the kept events, keyed like SourceDay; spilled to
    the ingest_rollup table when they grow, so memory stays bounded whatever
    the file size: at most about 470 bytes a key and 95 a kept target when
    nothing is shared (measured), so under 150 MB at either bound (the C
    rollup's table takes about 140 bytes a key and 16 a target); a
    million-line log fits without spilling. Targets are kept in the order
    first seen (dict keys), so a log staged in chunks keeps the same ones as
    a log staged whole."""

    MAX_KEYS = 200_000
    MAX_TARGETS = 1_500_000

    def __init__(self):
        self.rows: dict[tuple, list] = {}
        self.targets = 0
        self.spills = 0

    def add(self, day, source: str, protocol: str, port, target: str, t: datetime, count: int) -> None:
        # The event's fields come as arguments: the row writer has them in
        # locals already, and attribute loads are a share of the per-event cost.
        key = (day, source, protocol, port)
        row = self.rows.get(key)
        if row is None:
            # Most keys see one target: keep it as a string until a second comes.
            self.rows[key] = [count, t, t, target]
            return
        row[0] += count
        if t < row[1]:
            row[1] = t
        elif t > row[2]:
            row[2] = t
        targets = row[3]
        if type(targets) is str:
            if targets != target:
                row[3] = {targets: None, target: None}
                self.targets += 2
        elif len(targets) < SourceDay.TARGETS_KEPT and target not in targets:
            targets[target] = None
            self.targets += 1

    def merge(self, rows: dict[tuple, list]) -> None:
        """Fold in the partial rollups of a later chunk of the same log."""
        mine, kept = self.rows, SourceDay.TARGETS_KEPT
        for key, row in rows.items():
            have = mine.get(key)
            theirs = row[3]
            if have is None:
                mine[key] = row
                if type(theirs) is not str:
                    self.targets += len(theirs)
                continue
            have[0] += row[0]
            if row[1] < have[1]:
                have[1] = row[1]
            if row[2] > have[2]:
                have[2] = row[2]
            targets = have[3]
            if type(targets) is str:
                targets = have[3] = {targets: None}
                self.targets += 1
            for target in (theirs,) if type(theirs) is str else theirs:
                if len(targets) >= kept:
                    break
                if target not in targets:
                    targets[target] = None
                    self.targets += 1

    def clear(self) -> None:
        """Let go of every row (spilled or handed over). A new dict rather
        than rows.clear(): the C rollup would first build the dict to empty."""
        self.rows = {}
        self.targets = 0

    def __len__(self) -> int:
        """The keys held. (The C rollup answers without building `rows`.)"""
        return len(self.rows)

    def full(self, share: int = 1) -> bool:
        """Past the bound, or past 1/share of it."""
        return len(self) * share >= self.MAX_KEYS or self.targets * share >= self.MAX_TARGETS

    def port_totals(self) -> dict[tuple, int]:
        """Events per (day, protocol, port), port -1 for none: the PortDay
        rows of these rollups."""
        totals: dict[tuple, int] = {}
        for (day, _, protocol, port), row in self.rows.items():
            key = (day, protocol, -1 if port is None else port)
            totals[key] = totals.get(key, 0) + row[0]
        return totals

    def sort(self) -> None:
        """Put the rows in the order PostgreSQL orders their keys."""
        self.rows = dict(sorted(self.rows.items(), key=key_order))

    def lines(self) -> Iterator[str]:
        for (day, source, protocol, port), (events, first, last, targets) in self.rows.items():
            targets = targets if type(targets) is str else ",".join(targets)
            port = -1 if port is None else port
            times = f"{first.isoformat()}\t{last.isoformat()}"
            yield f"{day}\t{source}\t{protocol}\t{port}\t{events}\t{times}\t{{{targets}}}\n"


class _RowWriter:
    """Turns events into COPY text rows, dropping lines repeated within the
    file, and (on the fast path) gathers the rollups of the kept ones."""

    def __init__(self, reporter_id: int, submission_id: int, reason, rollup: _Rollup | None):
        self.prefix = f"{reporter_id}\t"
        self.middle = f"\t{submission_id}\t"
        self.reason = reason
        self.add_to_rollup = rollup.add if rollup is not None else None
        self.seen: set[tuple] = set()
        self.filtered = 0
        self.filtered_by: dict[tuple, int] = {}  # (day, reason) -> events, for FilteredDay
        # Logs repeat seconds; isoformat() and date() are not cheap. Per
        # stamp: the row's text up to the source address, and the UTC day.
        self.stamps: dict[datetime, tuple[str, date]] = {}

    def row(self, e: ParsedEvent) -> str | None:
        # Called for every event: locals instead of repeated attribute look-ups.
        t, source, target, sp, tp, protocol = e.time, e.source_ip, e.target_ip, e.source_port, e.target_port, e.protocol
        seen = self.seen
        had = len(seen)
        # One hash of the key (the fields of the table's fingerprint) rather
        # than two: added, the set did not grow when the line is a repeat.
        seen.add((t, source, sp, target, tp, protocol))
        if len(seen) == had:
            return None
        if had >= DEDUPE_WINDOW:
            seen.clear()
            seen.add((t, source, sp, target, tp, protocol))
        stamp = self.stamps.get(t)
        if stamp is None:
            if len(self.stamps) > 100_000:
                self.stamps.clear()
            stamp = self.stamps[t] = (f"{self.prefix}{t.isoformat()}{self.middle}", t.date())
        reason = self.reason(e)
        if reason:
            self.filtered += 1
            key = (stamp[1], reason)
            self.filtered_by[key] = self.filtered_by.get(key, 0) + e.count
        elif self.add_to_rollup is not None:
            self.add_to_rollup(stamp[1], source, protocol, tp, target, t, e.count)
        if sp is None:
            sp = NULL
        if tp is None:
            tp = NULL
        return f"{stamp[0]}{source}\t{sp}\t{target}\t{tp}\t{protocol}\t{e.tcp_flags}\t{e.count}\t{reason}\n"


def copy_text(results: Iterable, writer: _RowWriter, counts: Counts, rows_at_once: int) -> Iterator[str]:
    """COPY text for the results, ``rows_at_once`` rows at a time; ``counts``
    (but not the filtered ones, which the writer keeps) is up to date at each."""
    first, last = counts.first_time, counts.last_time
    buffer: list[str] = []
    add = buffer.append
    row = writer.row
    # Per-event counters live in locals and reach ``counts`` with each batch.
    lines = repeated = 0
    placed = None  # parsers hand out one datetime per stamp: a run of lines compares it once
    for result in results:
        lines += 1
        kind = type(result)
        if kind is ParsedEvent:
            text = row(result)
            if text is None:
                repeated += 1
                continue
            add(text)
            t = result.time
            if t is not placed:
                placed = t
                if first is None or t < first:
                    first = t
                if last is None or t > last:
                    last = t
            if len(buffer) >= rows_at_once:
                counts.lines += lines
                counts.repeated += repeated
                lines = repeated = 0
                counts.staged += len(buffer)
                counts.first_time, counts.last_time = first, last
                yield "".join(buffer)
                buffer.clear()
        elif kind is Rejection:
            counts.lines += lines
            lines = 0
            counts.reject(result)
        else:
            counts.skip(result)
    counts.lines += lines
    counts.repeated += repeated
    counts.first_time, counts.last_time = first, last
    if buffer:
        counts.staged += len(buffer)
        yield "".join(buffer)


# The C versions (incidents/_rows.c), when built: _Rollup and _RowWriter take
# add, lines and row from the C base and everything else (__init__, merge,
# full, MAX_KEYS, ...) from the reference classes, so they stay patchable.
# The reference stays reachable under these names, for the differential tests.
_PyRollup, _PyRowWriter, _py_copy_text = _Rollup, _RowWriter, copy_text
try:
    from . import _rows
except ImportError:  # no compiler where it was installed: the reference it is
    _rows = None

if _rows is not None:
    _rows.bind(globals())

    class _CState:
        """Pickles (and copies) as the reference does: the attributes, as one dict."""

        _members: tuple[str, ...] = ()

        def __getstate__(self):
            state = dict(self.__dict__)
            for name in self._members:
                if hasattr(self, name):
                    state[name] = getattr(self, name)
            return state

        def __setstate__(self, state):
            for name, value in state.items():
                setattr(self, name, value)

    class _CRollup(_CState, _rows.Rollup, _PyRollup):
        __doc__ = _PyRollup.__doc__
        _members = ("rows", "targets", "spills")

    class _CRowWriter(_CState, _rows.RowWriter, _PyRowWriter):
        __doc__ = _PyRowWriter.__doc__
        _members = ("prefix", "middle", "reason", "add_to_rollup", "seen", "filtered", "filtered_by", "stamps")

    _c_copy_text = _rows.copy_text

ACCELERATED = _rows is not None and not PURE_PYTHON
if ACCELERATED:
    _Rollup, _RowWriter, copy_text = _CRollup, _CRowWriter, _c_copy_text
    # Named as what they stand for (reprs, pickles); the reference by its own name.
    for _cls, _name in (
        (_CRollup, "_Rollup"),
        (_CRowWriter, "_RowWriter"),
        (_PyRollup, "_PyRollup"),
        (_PyRowWriter, "_PyRowWriter"),
    ):
        _cls.__name__ = _cls.__qualname__ = _name
