"""incidents._rows (C) against the Python reference in incidents.ingest_rows.

The same results go through both; everything observable must be the same:
each COPY chunk and the counts as they stand when it comes out, the writer's
filtered counts, its dedupe set and stamp cache, the rollup rows (target order
and the TARGETS_KEPT cap included), the spill lines, and what the filter was
asked. Skipped when the extension is not built, except in CI (which has gcc),
where a missing build fails.
"""

import copy
import dataclasses
import gc
import pickle
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents import ingest_rows
from incidents.ingest_rows import Counts
from incidents.models import SourceDay
from incidents.parsers import ParsedEvent, Rejection, Skipped
from tests.incidents.accelerated import DIFFERENTIAL, assert_built_in_ci, rss_bytes

built = pytest.mark.skipif(
    ingest_rows._rows is None, reason="incidents._rows is not built (no C compiler at install): the reference runs"
)

PY = (ingest_rows._PyRollup, ingest_rows._PyRowWriter, ingest_rows._py_copy_text)
C = (
    getattr(ingest_rows, "_CRollup", None),
    getattr(ingest_rows, "_CRowWriter", None),
    ingest_rows.__dict__.get("_c_copy_text"),
)


def test_extension_is_built_in_ci():
    assert_built_in_ci(ingest_rows._rows, "incidents._rows", ingest_rows.ACCELERATED, ingest_rows.PURE_PYTHON)


@built
def test_the_c_versions_are_selected():
    if ingest_rows.PURE_PYTHON:
        pytest.skip("PORTAL_PURE_PYTHON_ROWS is set: the reference is selected")
    assert ingest_rows._Rollup is ingest_rows._CRollup
    assert ingest_rows._RowWriter is ingest_rows._CRowWriter
    assert ingest_rows.copy_text is ingest_rows._c_copy_text


# -- what goes in ---------------------------------------------------------

BASE = datetime(2026, 11, 30, 23, 59, 58, tzinfo=UTC)
# A few stamps, crossing a UTC day; each also as an equal but distinct object
# (parsers hand out one object a stamp, but copy_text must not rely on it).
STAMPS = [BASE + timedelta(seconds=s) for s in range(4)]
TWINS = [t.replace() for t in STAMPS]
SOURCES = ["203.0.113.5", "198.51.100.7", "2001:db8::1", "10.0.0.\u00e9", "\udc80\ud83d\ude00"]
TARGETS = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "2001:db8::2"]
REASONS = ["", "", "", "scanner", "r\u00e8gle-\u00fc", "\U0001f600"]


def filter_by(rule: int):
    """A deterministic filter; what it was asked is recorded."""
    asked = []

    def reason(e):
        asked.append(e.lineno)
        return REASONS[(sum(map(ord, e.source_ip)) + (e.target_port or 0) + rule) % len(REASONS)]

    return reason, asked


events = st.builds(
    ParsedEvent,
    lineno=st.integers(1, 10**6),
    time=st.sampled_from(STAMPS + TWINS),
    source_ip=st.sampled_from(SOURCES),
    target_ip=st.sampled_from(TARGETS),
    protocol=st.sampled_from(["tcp", "udp", "icmp"]),
    source_port=st.one_of(st.none(), st.integers(0, 3)),
    target_port=st.one_of(st.none(), st.integers(0, 65535), st.sampled_from([22, 23])),
    tcp_flags=st.sampled_from(["", "S", "SA"]),
    count=st.integers(1, 3),
)
rejections = st.builds(
    Rejection, lineno=st.integers(1, 10**6), reason=st.sampled_from(["bad", "nul\x00"]), line=st.text(max_size=5)
)
skips = st.builds(
    Skipped,
    lineno=st.integers(1, 10**6),
    reason=st.sampled_from(["allowed traffic", "allowed traffic: session end", "not a traffic record: header"]),
)
# Repeats matter: draw events from a short list again and again.
results = st.lists(st.sampled_from(range(12)), max_size=120).flatmap(
    lambda picks: st.tuples(
        st.just(picks), st.lists(st.one_of(events, events, events, rejections, skips), min_size=12, max_size=12)
    ).map(lambda drawn: [drawn[1][i] for i in drawn[0]])
)


def tagged(value):
    """A value, and for the stamps which of the equal objects it is."""
    for i, t in enumerate(STAMPS + TWINS):
        if value is t:
            return (value, i)
    return value


def snapshot(counts: Counts) -> dict:
    """The counts as they stand (a copy; times tagged, as equal objects differ)."""
    state = {f.name: getattr(counts, f.name) for f in dataclasses.fields(counts)}
    state = {name: [*value] if isinstance(value, list) else value for name, value in state.items()}
    state["filtered_by"] = list(counts.filtered_by.items())
    state["skipped_by"] = list(counts.skipped_by.items())
    return {name: tagged(value) for name, value in state.items()}


def staged(impl, items, *, rows_at_once=4, rule=0, rollup=True, writer_impl=None, start=None):
    """Everything observable from one copy_text run."""
    rollup_cls, writer_cls, copy_text = impl
    writer_cls = writer_impl or writer_cls
    reason, asked = filter_by(rule)
    the_rollup = rollup_cls() if rollup else None
    writer = writer_cls(7, 42, reason, the_rollup)
    counts = Counts(**(start or {}))
    chunks = [(chunk, snapshot(counts)) for chunk in copy_text(iter(items), writer, counts, rows_at_once)]
    return {
        "chunks": chunks,
        "counts": snapshot(counts),
        "filtered": writer.filtered,
        "filtered_by": list(writer.filtered_by.items()),
        "seen": writer.seen,
        "stamps": list(writer.stamps.items()),
        "asked": asked,
        "rollup": rollup_state(the_rollup),
    }


def rollup_state(rollup):
    """What the rollup shows, read first through what the C rollup answers
    from its own table (lines, length, port totals), then through `rows`."""
    if rollup is None:
        return None
    state = {"lines": list(rollup.lines()), "len": len(rollup), "port_totals": list(rollup.port_totals().items())}
    state["rows"] = [
        (key, [row[0], tagged(row[1]), tagged(row[2]), row[3] if type(row[3]) is str else list(row[3])])
        for key, row in rollup.rows.items()
    ]
    state.update(targets=rollup.targets, spills=rollup.spills)
    return state


def same(items, **kwargs):
    expected, got = staged(PY, items, **kwargs), staged(C, items, **kwargs)
    assert got == expected
    return got


# -- differential ---------------------------------------------------------


@built
@DIFFERENTIAL
@given(
    items=results,
    rows_at_once=st.integers(0, 9),
    window=st.integers(0, 6),
    rule=st.integers(0, 5),
    rollup=st.booleans(),
)
def test_copy_text_matches_the_reference(items, rows_at_once, window, rule, rollup):
    with mock.patch.object(ingest_rows, "DEDUPE_WINDOW", window):
        same(items, rows_at_once=rows_at_once, rule=rule, rollup=rollup)


@built
@DIFFERENTIAL
@given(items=results, kept=st.integers(1, 4))
def test_rollup_target_cap_matches_the_reference(items, kept):
    with mock.patch.object(SourceDay, "TARGETS_KEPT", kept):
        same(items, rows_at_once=1000)


@built
def test_a_sweep_keeps_the_first_targets_kept_targets_in_order():
    items = [
        ParsedEvent(i, STAMPS[i % 2], "203.0.113.5", f"198.51.{i // 250}.{i % 250}", "tcp", 40000 + i, 22, "S")
        for i in range(200)
    ]
    got = same(items, rows_at_once=50)
    ((_key, row),) = got["rollup"]["rows"]
    assert row[3] == [f"198.51.0.{i}" for i in range(SourceDay.TARGETS_KEPT)]
    assert got["rollup"]["targets"] == SourceDay.TARGETS_KEPT
    assert [len(chunk.splitlines()) for chunk, _ in got["chunks"]] == [50, 50, 50, 50]


@built
def test_explicit_mixture():
    t = STAMPS[0]
    e = ParsedEvent(1, t, "203.0.113.5", "198.51.100.1", "icmp", None, None, "", 2)
    items = [
        e,
        Skipped(2, "allowed traffic"),
        e,  # a repeat
        Rejection(4, "unreadable", "x\x00y"),
        ParsedEvent(5, STAMPS[3], "203.0.113.5", "198.51.100.2", "icmp", None, None, "", 1),
        ParsedEvent(6, TWINS[1], "2001:db8::1", "198.51.100.2", "tcp", 1, 22, "SA", 3),
        Skipped(7, "not a traffic record: header"),
    ]
    got = same(items, rows_at_once=2, start={"lines": 10, "first_time": STAMPS[2]})
    (first, at_first), (second, at_second) = got["chunks"]
    rows = first.splitlines()
    assert [row.split("\t")[:10] for row in rows] == [
        ["7", t.isoformat(), "42", "203.0.113.5", "\\N", "198.51.100.1", "\\N", "icmp", "", "2"],
        ["7", STAMPS[3].isoformat(), "42", "203.0.113.5", "\\N", "198.51.100.2", "\\N", "icmp", "", "1"],
    ]
    assert (at_first["lines"], at_first["repeated"], at_first["staged"], at_first["rejected"]) == (15, 1, 2, 1)
    assert (at_first["first_time"], at_first["last_time"]) == ((STAMPS[0], 0), (STAMPS[3], 3))
    assert second.startswith(f"7\t{TWINS[1].isoformat()}\t42\t2001:db8::1\t1\t198.51.100.2\t22\ttcp\tSA\t3\t")
    skipped_by = [("allowed traffic", 1), ("not a traffic record: header", 1)]
    assert (at_second["lines"], at_second["skipped_by"], at_second["staged"]) == (17, skipped_by, 3)
    assert (got["counts"]["lines"], got["counts"]["repeated"], got["counts"]["skipped_by"]) == (17, 1, skipped_by)


@built
def test_the_stamp_cache_is_cleared_past_100_000_stamps():
    items = [
        ParsedEvent(i, BASE + timedelta(seconds=i), "203.0.113.5", "198.51.100.1", "tcp", 1, 22) for i in range(100_003)
    ]
    got = same(items, rows_at_once=10**6, rollup=False)
    assert len(got["stamps"]) == 2


@built
def test_rows_are_the_reference_rows():
    reason, _ = filter_by(0)
    py = ingest_rows._PyRowWriter(7, 42, reason, None)
    c = ingest_rows._CRowWriter(7, 42, reason, None)
    for sp in (None, 0, 65535):
        e = ParsedEvent(1, STAMPS[1], "\udc80x", "198.51.100.1", "udp", sp, None, "", 5)
        assert c.row(e) == py.row(e)
        assert c.row(e) is None and py.row(e) is None


@built
def test_c_copy_text_takes_any_writer_and_any_rollup_add():
    items = [ParsedEvent(i, STAMPS[i % 4], SOURCES[i % 3], TARGETS[i % 4], "tcp", i % 5, 22, "S") for i in range(40)]
    reference = staged(PY, items, rows_at_once=7)
    # the C copy_text with the Python writer (writer.row is not the C one)
    assert staged(C, items, rows_at_once=7, writer_impl=ingest_rows._PyRowWriter) == reference

    # the C writer adding to a rollup whose add is not the C one (as _ChunkStager may reassign it)
    class Recording(ingest_rows._CRollup):
        def add(self, *args):
            super().add(*args)

    assert staged((Recording, *C[1:]), items, rows_at_once=7) == reference


@built
def test_errors_propagate_and_end_the_generator():
    def boom(e):
        raise KeyError("rule")

    e = ParsedEvent(1, STAMPS[0], "203.0.113.5", "198.51.100.1", "tcp", 1, 22, "S")
    for rollup_cls, writer_cls, copy_text in (PY, C):
        chunks = copy_text(iter([e]), writer_cls(7, 42, boom, rollup_cls()), Counts(), 10)
        with pytest.raises(KeyError):
            next(chunks)
        with pytest.raises(StopIteration):
            next(chunks)

    naive = ParsedEvent(2, datetime(2026, 1, 1), "203.0.113.5", "198.51.100.1", "tcp", 1, 22, "S")
    for rollup_cls, writer_cls, copy_text in (PY, C):
        counts = Counts(first_time=STAMPS[0])
        with pytest.raises(TypeError):
            list(copy_text(iter([naive]), writer_cls(7, 42, lambda e: "", rollup_cls()), counts, 10))


@built
def test_rollup_lines_and_merge_match_the_reference():
    py, c = ingest_rows._PyRollup(), ingest_rows._CRollup()
    for rollup in (py, c):
        for i in range(30):
            rollup.add(
                STAMPS[0].date(), SOURCES[i % 2], "tcp", None if i % 3 == 0 else i % 4, TARGETS[i % 4], STAMPS[i % 4], 1
            )
        rollup.merge({(STAMPS[0].date(), "192.0.2.1", "udp", 53): [4, STAMPS[1], STAMPS[2], {"a": None, "b": None}]})
    assert rollup_state(c) == rollup_state(py)
    assert c.full(10**6) == py.full(10**6)
    for rollup in (py, c):
        lines = rollup.lines()
        rollup.rows[("x", "y", "z", 1)] = [1, STAMPS[0], STAMPS[0], "t"]  # before the first: read then
        next(lines)
        rollup.rows[("x", "y", "z", 2)] = [1, STAMPS[0], STAMPS[0], "t"]
        with pytest.raises(RuntimeError, match="changed size"):
            next(lines)


@built
def test_equal_times_keep_the_first_object_seen():
    day = STAMPS[0].date()
    for rollup in (ingest_rows._PyRollup(), ingest_rows._CRollup()):
        for t in (STAMPS[1], TWINS[1], STAMPS[0], TWINS[0], STAMPS[2], TWINS[2]):
            rollup.add(day, "203.0.113.5", "tcp", 22, "198.51.100.1", t, 1)
        (row,) = rollup.rows.values()
        assert (row[1] is STAMPS[0], row[2] is STAMPS[2]) == (True, True)


@built
def test_pickles_and_copies_as_the_reference():
    py, c = ingest_rows._PyRollup(), ingest_rows._CRollup()
    for rollup in (py, c):
        rollup.add(STAMPS[0].date(), "203.0.113.5", "tcp", 22, "198.51.100.1", STAMPS[0], 1)
        rollup.add(STAMPS[0].date(), "203.0.113.5", "tcp", 22, "198.51.100.2", STAMPS[1], 1)
        rollup.spills = 3
    assert c.__getstate__() == py.__dict__
    for again in (pickle.loads(pickle.dumps(c)), copy.deepcopy(c)):  # noqa: S301 (our own bytes)
        assert type(again) is type(c)
        assert (again.rows, again.targets, again.spills) == (py.rows, py.targets, py.spills)
    assert pickle.loads(pickle.dumps(py)).__dict__ == py.__dict__  # noqa: S301
    writer = ingest_rows._CRowWriter(7, 42, str, c)
    assert copy.copy(writer).__getstate__() == ingest_rows._PyRowWriter(7, 42, str, c).__dict__


# -- reference counts and memory ------------------------------------------


@built
def test_no_references_leak_or_memory_grows_over_200k_events():
    source = "".join(["203.0.113.", "77"])  # an object of its own, for its reference count
    target = "".join(["198.51.100.", "77"])
    reason_code = "".join(["leak", "-check"])
    baseline = (sys.getrefcount(source), sys.getrefcount(target), sys.getrefcount(reason_code))

    def reason(e):
        return reason_code if e.source_port % 10 == 0 else ""

    def run():
        stamps = [BASE + timedelta(seconds=s) for s in range(1000)]
        items = (
            ParsedEvent(i, stamps[i % 1000], source, target, "tcp", i % 60000, None if i % 7 else 22, "S")
            for i in range(200_000)
        )
        rollup, counts = ingest_rows._CRollup(), Counts()
        writer = ingest_rows._CRowWriter(7, 42, reason, rollup)
        size = sum(len(chunk) for chunk in ingest_rows._c_copy_text(items, writer, counts, 4000))
        size += sum(len(line) for line in rollup.lines())
        return size, counts.staged

    rss = []
    for _ in range(3):
        assert run()[1] > 0
        gc.collect()
        assert (sys.getrefcount(source), sys.getrefcount(target), sys.getrefcount(reason_code)) == baseline
        rss.append(rss_bytes())
    assert rss[2] - rss[1] < 4 * 1024 * 1024


def real_filter():
    """An EventFilter with every kind of rule: own and ISP networks, rules by
    network, port and source port, a time-boxed one (checked per event, so
    asked in Python) and the built-in catalogue."""
    from incidents.filters import EventFilter, Rule

    return EventFilter(
        own_networks=["198.51.100.0/30"],
        isp_dns=["192.0.2.53"],
        isp_dhcp=["192.0.2.67"],
        rules=[
            Rule("mine-ssh", networks=("203.0.113.0/24",), protocol="tcp", ports=((22, 22),)),
            Rule("high-src", source_ports=((2, 3),)),
            Rule("boxed", ports=((23, 23),), starts=STAMPS[1], ends=STAMPS[3]),
        ],
    )


filter_events = st.builds(
    ParsedEvent,
    lineno=st.integers(1, 10**6),
    time=st.sampled_from(STAMPS + TWINS),
    source_ip=st.sampled_from([*SOURCES[:3], "198.51.100.2", "192.0.2.53", "192.0.2.67", "10.1.2.3", "::ffff:1.2.3.4"]),
    target_ip=st.sampled_from(TARGETS),
    protocol=st.sampled_from(["tcp", "udp", "icmp", "47"]),
    source_port=st.one_of(st.none(), st.integers(0, 3), st.sampled_from([53, 67, 6881])),
    target_port=st.one_of(st.none(), st.sampled_from([22, 23, 53, 68, 137, 3074, 6881, 27015]), st.integers(0, 65535)),
    tcp_flags=st.sampled_from(["", "S"]),
    count=st.integers(1, 3),
)


def filtered_run(impl, items):
    rollup_cls, writer_cls, copy_text = impl
    event_filter = real_filter()
    writer = writer_cls(7, 42, event_filter.reason, rollup_cls())
    counts = Counts()
    chunks = list(copy_text(iter(items), writer, counts, 5))
    return chunks, writer.filtered, list(writer.filtered_by.items()), snapshot(counts)


@built
@DIFFERENTIAL
@given(items=st.lists(filter_events, max_size=60))
def test_the_filter_steps_taken_in_c_give_the_filters_reasons(items):
    # The C writer settles EventFilter.reason's common steps itself and asks
    # Python only for new sources and conditional rules: same codes either way.
    assert filtered_run(C, items) == filtered_run(PY, items)
    event_filter = real_filter()
    reasons = [event_filter.reason(e) for e in items]
    rows = [row for chunk in filtered_run(C, items)[0] for row in chunk.splitlines()]
    if len({(e.time, e.source_ip, e.source_port, e.target_ip, e.target_port, e.protocol) for e in items}) == len(items):
        assert [row.split("\t")[-1] for row in rows] == reasons


# -- the C rollup's table, against the reference ---------------------------
# The C rollup keeps rows in a table of its own while every add brings exact
# built-in types, and turns it into the reference's dict when `rows` is read
# or an add brings anything else. These drive both through adds of every
# kind of value mixed with every way of reading, and compare each answer.


class OddDate(date):
    pass


class OddStr(str):
    pass


class OddTime(datetime):
    pass


PLUS_ONE = timezone(timedelta(hours=1))
DAYS = [STAMPS[0].date(), STAMPS[3].date(), OddDate(2026, 12, 1)]
ODD_TIMES = [
    STAMPS[1].replace(tzinfo=None),  # naive: compared with aware ones, both raise
    STAMPS[1].astimezone(PLUS_ONE),  # equal to STAMPS[1], another tzinfo
    OddTime(2026, 12, 1, 0, 0, 5, tzinfo=UTC),
    STAMPS[2].replace(microsecond=7),
]
rollup_adds = st.tuples(
    st.just("add"),
    st.sampled_from(DAYS[:2] * 4 + DAYS[2:]),
    st.sampled_from([*SOURCES, "::ffff:1.2.3.4", OddStr("203.0.113.5"), "203.0.113.5\x00"]),
    st.sampled_from(["tcp", "tcp", "udp", "\u00e9", OddStr("tcp")]),
    st.one_of(st.none(), st.sampled_from([22, 23, 65535, 2**24, -1, -2, 2**70, True])),
    st.sampled_from([*TARGETS, OddStr("198.51.100.1")]),
    st.one_of(st.sampled_from(STAMPS + TWINS), st.sampled_from(ODD_TIMES)),
    st.one_of(st.integers(1, 3), st.sampled_from([2**62, 2**70, True])),
)
rollup_reads = st.tuples(st.sampled_from(["len", "targets", "rows", "lines", "sort", "port_totals", "set_rows"]))
rollup_ops = st.lists(st.one_of(rollup_adds, rollup_adds, rollup_adds, rollup_reads), max_size=60)


def rollup_answer(rollup, op):
    """What one operation gives: its value, or the type of what it raised."""
    try:
        if op[0] == "add":
            return rollup.add(*op[1:])
        if op[0] == "len":
            return len(rollup)
        if op[0] == "targets":
            return rollup.targets
        if op[0] == "rows":
            return rollup_state(rollup)["rows"]
        if op[0] == "lines":
            return list(rollup.lines())
        if op[0] == "sort":
            return rollup.sort()
        if op[0] == "port_totals":
            return list(rollup.port_totals().items())
        rollup.rows, rollup.targets = {}, 0
    except Exception as error:  # the same error, whatever it is
        return type(error)


SAME_ADDRESS = ["2001:db8::1", "2001:DB8::1", "2001:0db8:0::1"]


def valid_rollup_ops(n):
    """Adds of the values logs give (every sort key computable in C)."""
    return st.lists(
        st.tuples(
            st.just("add"),
            st.sampled_from(DAYS[:2]),
            # one address written three ways: equal sort keys keep the order of adds
            st.sampled_from(["203.0.113.5", "9.0.0.10", "10.0.0.9", "200.0.0.1", "::1", "fe80::2", *SAME_ADDRESS]),
            st.sampled_from(["tcp", "udp", "icmp"]),
            st.one_of(st.none(), st.integers(0, 65535), st.sampled_from([-1, 22, 443, 2**24 - 2])),
            st.sampled_from(TARGETS),
            st.sampled_from(STAMPS + TWINS),
            st.integers(1, 3),
        ),
        max_size=n,
    )


@built
@DIFFERENTIAL
@given(ops=rollup_ops, kept=st.integers(1, 5))
def test_the_rollup_table_answers_as_the_reference(ops, kept):
    with mock.patch.object(SourceDay, "TARGETS_KEPT", kept):
        py, c = ingest_rows._PyRollup(), ingest_rows._CRollup()
        for op in ops:
            assert rollup_answer(c, op) == rollup_answer(py, op), op
        assert rollup_state(c) == rollup_state(py)


@built
@DIFFERENTIAL
@given(ops=valid_rollup_ops(80))
def test_the_rollup_table_sorts_as_the_reference(ops):
    py, c = ingest_rows._PyRollup(), ingest_rows._CRollup()
    for rollup in (py, c):
        for op in ops:
            rollup.add(*op[1:])
        rollup.sort()
    assert list(c.lines()) == list(py.lines())  # from the C table: the sorted order
    assert rollup_state(c) == rollup_state(py)


@built
@pytest.mark.parametrize("port", [2**24 - 1, -2])
def test_a_port_the_sort_key_cannot_hold_raises_as_in_the_reference(port):
    for rollup in (ingest_rows._PyRollup(), ingest_rows._CRollup()):
        rollup.add(DAYS[0], "10.0.0.2", "tcp", 22, "198.51.100.1", STAMPS[0], 1)
        rollup.add(DAYS[0], "9.0.0.1", "tcp", port, "198.51.100.1", STAMPS[0], 1)
        with pytest.raises(OverflowError):
            rollup.sort()


@built
def test_the_rollup_table_sorts_in_c():
    c = ingest_rows._CRollup()
    c.add(DAYS[0], "10.0.0.2", "tcp", 22, "198.51.100.1", STAMPS[0], 1)
    c.add(DAYS[0], "9.0.0.1", "tcp", 22, "198.51.100.1", STAMPS[0], 1)
    with mock.patch.object(ingest_rows._PyRollup, "sort", side_effect=AssertionError("the reference sorted")):
        c.sort()
    assert [line.split("\t")[1] for line in c.lines()] == ["9.0.0.1", "10.0.0.2"]


@built
def test_lines_of_the_table_stop_when_it_changes():
    for change in (
        lambda r: r.add(DAYS[0], "192.0.2.9", "tcp", 22, "198.51.100.1", STAMPS[0], 1),
        lambda r: r.rows.clear(),
        lambda r: setattr(r, "rows", {}),
        lambda r: [  # emptied and filled again to the same size
            setattr(r, "rows", {}),
            *(r.add(DAYS[1], s, "udp", 53, "198.51.100.1", STAMPS[3], 1) for s in ("192.0.2.1", "192.0.2.2")),
        ],
    ):
        for rollup in (ingest_rows._PyRollup(), ingest_rows._CRollup()):
            for source in ("203.0.113.5", "198.51.100.7"):
                rollup.add(DAYS[0], source, "tcp", 22, "198.51.100.1", STAMPS[0], 1)
            lines = rollup.lines()
            next(lines)
            change(rollup)
            if isinstance(rollup, ingest_rows._CRollup):
                with pytest.raises(RuntimeError, match="changed size"):
                    next(lines)
            else:  # the reference: the dict it walks grew or was emptied, or it goes on with the old one
                with pytest.raises((RuntimeError, StopIteration)):
                    next(lines)
                    next(lines)


@built
def test_no_references_leak_from_the_rollup_table():
    sources = ["".join(["203.0.113.", str(i)]) for i in range(50)]  # objects of their own
    targets = ["".join(["198.51.100.", str(i)]) for i in range(70)]
    baseline = [sys.getrefcount(x) for x in sources + targets]

    def run(read_rows):
        rollup = ingest_rows._CRollup()
        for i in range(20_000):
            rollup.add(DAYS[i % 2], sources[i % 50], "tcp", 22 + i % 3, targets[i % 70], STAMPS[i % 4], 1)
        rollup.port_totals()
        rollup.sort()
        size = sum(len(line) for line in rollup.lines())
        if read_rows:
            size += len(rollup.rows)
        rollup.add(DAYS[0], sources[0], "tcp", 2**70, targets[0], STAMPS[0], 1)  # to the dict
        return size

    for read_rows in (False, True, False):
        assert run(read_rows) > 0
        gc.collect()
        assert [sys.getrefcount(x) for x in sources + targets] == baseline


@built
def test_keys_of_equal_hash_stay_apart_in_the_table():
    assert hash(-1) == hash(-2)  # CPython: -1 is no hash, so -1 hashes as -2
    py, c = ingest_rows._PyRollup(), ingest_rows._CRollup()
    for rollup in (py, c):
        for port in (-1, -2, -1):
            rollup.add(DAYS[0], "203.0.113.5", "tcp", port, "198.51.100.1", STAMPS[0], 1)
    assert list(c.lines()) == list(py.lines())
    assert len(c) == 2


class RenamedSource(ParsedEvent):
    """What getattr gives for source_ip differs from the slot's value: the C
    must read a subclass's fields through getattr, as the reference does."""

    __slots__ = ()

    @property
    def source_ip(self):
        return "192.0.2.250"

    @source_ip.setter
    def source_ip(self, value):
        ParsedEvent.source_ip.__set__(self, value)  # the slot holds what __init__ was given


@built
def test_fields_of_a_subclass_are_read_as_attributes():
    # copy_text takes exact ParsedEvents only; row() takes whatever it is given.
    item = RenamedSource(1, STAMPS[0], "203.0.113.5", "198.51.100.1", "tcp", 1, 22, "S")
    assert ParsedEvent.source_ip.__get__(item) == "203.0.113.5"
    rows = [writer(7, 42, lambda e: "", None).row(item) for writer in (PY[1], C[1])]
    assert rows[0] == rows[1]
    assert "\t192.0.2.250\t" in rows[1]


@built
@pytest.mark.parametrize(
    "change",
    [
        lambda w: setattr(w, "stamps", {}),  # another dict
        lambda w: setattr(w, "stamps", {STAMPS[3]: ("x", STAMPS[3].date())}),  # another dict, of the same size
        lambda w: w.stamps.clear(),  # the same dict, emptied
        lambda w: w.stamps.update({STAMPS[3]: ("x", STAMPS[3].date())}),  # the same dict, grown
    ],
)
def test_the_stamp_of_the_row_before_is_taken_only_from_the_dict_it_came_from(change):
    # The C writer remembers the last time and its stamp; a change of the
    # stamps dict between rows makes it look the time up again, as the
    # reference always does.
    results = []
    for writer_cls in (PY[1], C[1]):
        writer = writer_cls(7, 42, lambda e: "", None)
        rows = [writer.row(ParsedEvent(1, STAMPS[0], "203.0.113.5", "198.51.100.1", "tcp", 1, 22, "S"))]
        change(writer)
        rows.append(writer.row(ParsedEvent(2, STAMPS[0], "203.0.113.5", "198.51.100.1", "tcp", 2, 22, "S")))
        results.append((rows, [(tagged(t), stamp) for t, stamp in writer.stamps.items()]))
    assert results[1] == results[0]
    assert (STAMPS[0], 0) in [t for t, _ in results[0][1]]  # kept, or looked up again and put back
