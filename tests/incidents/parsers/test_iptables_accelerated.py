"""incidents._iptables (C) against the Python reference, IptablesParser._parse_python.

The same lines go through both, each with a fresh context; everything
observable must be the same: the results in order, their types and every
field (the times with their zone), which lines are rejected and why, and
where an exception escapes. Skipped when the extension is not built, except
in CI (which has gcc), where a missing build fails.
"""

import dataclasses
import gc
import importlib
import pkgutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tests.incidents.parsers
from incidents.parsers import iptables
from incidents.parsers.base import ParseContext, ParsedEvent, Skipped
from incidents.parsers.iptables import parser
from tests.incidents.accelerated import DIFFERENTIAL as SHARED_DIFFERENTIAL
from tests.incidents.accelerated import assert_built_in_ci, rss_bytes

built = pytest.mark.skipif(
    iptables._iptables is None, reason="incidents._iptables is not built (no C compiler at install): the reference runs"
)

DIFFERENTIAL = settings(SHARED_DIFFERENTIAL, max_examples=300)


def test_extension_is_built_in_ci():
    assert_built_in_ci(iptables._iptables, "incidents._iptables", iptables.ACCELERATED, iptables.PURE_PYTHON)


@built
def test_the_c_path_is_selected():
    if iptables.PURE_PYTHON:
        pytest.skip("PORTAL_PURE_PYTHON_ROWS is set: the reference is selected")
    assert iptables.ACCELERATED


# -- what goes in ---------------------------------------------------------


def _sample_lines() -> list[str]:
    """Every sample line of the parser tests (the iptables ones and, as
    lines that must not be read as iptables, the other formats'), and
    ../shared/samples when it is there."""
    lines = []
    for info in pkgutil.iter_modules(tests.incidents.parsers.__path__):
        if not info.name.startswith("test_") or info.name == "test_iptables_accelerated":
            continue
        module = importlib.import_module(f"tests.incidents.parsers.{info.name}")
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str) and len(value) > 20:
                lines.extend(value.splitlines())
    shared = Path(__file__).resolve().parents[3].parent / "shared" / "samples"
    if shared.is_dir():
        for path in sorted(shared.rglob("*")):
            if path.is_file() and path.stat().st_size < 5_000_000:
                lines.extend(path.read_text(encoding="utf-8", errors="replace").splitlines())
    return lines


SAMPLES = _sample_lines()
IPTABLES = [line for line in SAMPLES if "SRC=" in line]
# The benchmark's shape (bench/ingest.py), with and without MAC= and uptime.
BENCH = [
    "Nov 30 13:01:38 gw kernel: [0.010] [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 "
    "SRC=130.54.111.37 DST=198.51.100.148 LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID=1 DF PROTO=TCP SPT=60318 DPT=3389 "
    "WINDOW=29200 RES=0x00 SYN URGP=0\n",
    "Nov 30 13:43:54 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=64.0.0.83 DST=10.77.202.167 LEN=60 TOS=0x00 "
    "PREC=0x00 TTL=51 ID=0 DF PROTO=TCP SPT=4188 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0\n",
]
BASES = IPTABLES + BENCH

CONTEXTS = [
    ("Europe/Berlin", datetime(2026, 11, 23, 12, 0, tzinfo=UTC)),
    ("UTC", datetime(2026, 11, 22, 10, 0, 30, tzinfo=UTC)),  # the horizon falls within a minute of the samples
    ("America/New_York", datetime(2028, 3, 1, 6, 0, tzinfo=UTC)),  # a leap year: Feb 29 is placed
    ("Asia/Kolkata", datetime(2027, 1, 2, 8, 0, tzinfo=UTC)),
]


def context(which: int) -> ParseContext:
    zone, received = CONTEXTS[which]
    return ParseContext(tz=ZoneInfo(zone), received_at=received)


def observed(result):
    """Everything about a result: its type, every field, and for a time
    its zone and fold as well (aware datetimes compare equal across zones)."""
    values = [type(result)]
    for f in dataclasses.fields(result):
        value = getattr(result, f.name)
        values.append((type(value), value))
        if isinstance(value, datetime):
            values.append((value.tzinfo, value.utcoffset(), value.fold))
    return values


def run(parse, lines, which, start):
    results, error = [], None
    try:
        for result in parse(lines, context(which), start):
            results.append(result)
    except Exception as exc:  # compared, not swallowed
        error = (type(exc), str(exc))
    return results, error


def assert_same(lines, which=0, start=1):
    py, py_error = run(parser._parse_python, lines, which, start)
    c, c_error = run(parser._parse_accelerated, lines, which, start)
    assert (c_error, len(c)) == (py_error, len(py))
    assert [observed(r) for r in c] == [observed(r) for r in py]
    assert c == py
    return c


# -- the samples ------------------------------------------------------------


def test_there_are_samples_to_compare():
    assert len(IPTABLES) >= 8
    assert len(SAMPLES) > len(IPTABLES)


@built
@pytest.mark.parametrize("which", range(len(CONTEXTS)))
@pytest.mark.parametrize("ending", ["", "\n", "\r\n", "  \n"])
def test_sample_lines_read_the_same(which, ending):
    lines = [line + ending for line in SAMPLES] + BENCH
    results = assert_same(lines, which)
    assert any(type(r) is ParsedEvent for r in results)


COMMON = [
    *BENCH,
    BENCH[1].replace("Nov 30 13:43:54", "Nov  3 13:43:54.123456"),
    *(BENCH[1].replace("Nov 30 13:43:54", "2026-11-30T13:43:54" + zone) for zone in ("", ".5", "Z", "+01:00", "-0530")),
    BENCH[1].replace(" SYN URGP=0", " URGP=0"),  # no flag words: tcp_flags ""
    BENCH[1].replace("PROTO=TCP SPT=4188 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0", "PROTO=UDP SPT=53 DPT=53 LEN=20"),
    BENCH[1].replace("PROTO=TCP SPT=4188 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0", "PROTO=ICMP TYPE=255 CODE=0"),
    BENCH[1].replace("SPT=4188 DPT=22", "SPT=65535 DPT=0"),
    BENCH[1].replace("[UFW BLOCK]", "[UFW ALLOW]"),
]


@built
def test_the_common_shapes_are_read_by_the_c():
    results, stop = iptables._iptables.scan(COMMON * 2, 0, 1, iptables._FastState(context(0)))
    assert stop == 2 * len(COMMON)
    assert [type(r) for r in results] == ([ParsedEvent] * (len(COMMON) - 1) + [Skipped]) * 2
    assert_same(COMMON * 2)


def _one_change_each() -> list[str]:
    """Each base line with one field, stamp, prefix, host or ending changed
    to each odd value in turn: the boundaries, systematically."""
    lines = []
    for base in [*COMMON, *IPTABLES]:
        base = base.rstrip("\n")
        for key in ("SRC", "DST", "SPT", "DPT", "TYPE", "CODE", "PROTO", "WINDOW", "RES"):
            head, eq, tail = base.partition(f" {key}=")
            if eq:
                rest = tail.split(" ", 1)
                pool = ADDRESSES if key in ("SRC", "DST") else PROTOCOLS if key == "PROTO" else [*NUMBERS, "0x00"]
                lines.extend(head + eq + value + (" " + rest[1] if len(rest) > 1 else "") for value in pool)
        stamp = base[:15] if base[:1].isalpha() else base.split(" ", 1)[0]
        lines.extend(base.replace(stamp, value, 1) for value in STAMPS)
        head, sep, body = base.partition(" kernel: ")
        if sep and "IN=" in body:
            lines.extend(head + sep + prefix + body[body.index("IN=") :] for prefix in PREFIXES)
            lines.extend(head.rsplit(" ", 1)[0] + " " + host + sep + body for host in HOSTS)
        head, sep, tail = base.partition(" RES=0x")
        if sep and "URGP=" in tail:
            lines.extend(f"{head}{sep}{tail[:2]} {flags + ' ' if flags else ''}URGP=0" for flags in FLAGS)
        lines.extend(base + ending for ending in ENDINGS)
    return lines


@built
@pytest.mark.parametrize("which", range(len(CONTEXTS)))
def test_each_single_change_reads_the_same(which):
    lines = _one_change_each()
    assert len(lines) > 2000
    assert_same(lines, which)
    assert_same([line for pair in zip(lines, lines, strict=True) for line in pair], which)  # each twice: the caches


@built
def test_batches_and_the_lines_left_to_the_python_keep_their_numbers():
    # Lines the C leaves to the Python (IPv6, no ports, bad values) at and
    # around the batch boundaries, and a start other than 1.
    odd = [line for line in IPTABLES if ":" in line.split("SRC=")[1].split()[0]] + ["", "not a line\n"]
    lines = [(BENCH + odd)[(i * 7) % (len(BENCH) + len(odd))] for i in range(3 * iptables._BATCH + 5)]
    lines[iptables._BATCH - 1] = lines[iptables._BATCH] = odd[0]
    lines[-1] = BENCH[0]
    results = assert_same(lines, 0, start=1000)
    assert results[-1].lineno == 1000 + len(lines) - 1


@built
def test_addresses_are_interned_without_changing_results():
    results = assert_same(BENCH * 4)
    assert results[0].source_ip is results[2].source_ip
    assert results[1].target_ip is results[3].target_ip


# -- mutated lines ----------------------------------------------------------

ADDRESSES = [
    "1.2.3.4",
    "0.0.0.0",  # noqa: S104 (an address to read, not to bind)
    "255.255.255.255",
    "1.2.3.256",
    "01.2.3.4",
    "1.2.3.04",
    "1.2.3",
    "1.2.3.4.5",
    "1.2.3.4.",
    "0x1.2.3.4",
    "1..3.4",
    "2001:db8::1",
    "fe80::1%eth0",
    "::ffff:1.2.3.4",
    "1.2.3.\u00e9",
    "1.2.3.4\x00",
    "",
]
NUMBERS = ["0", "00", "22", "00022", "255", "256", "65535", "65536", "99999999999999999999999", "1" * 5000, "-1", "x"]
PROTOCOLS = ["TCP", "UDP", "ICMP", "ICMPv6", "tcp", "6", "17", "1", "47", "255", "256", "ipv6-icmp", "SCTP", "x" * 20]
PROTOCOLS.append("")
FLAGS = ["SYN", "SYN ACK", "ACK PSH FIN", "", "URG", "ECE CWR SYN", "SYN  ", "URGP", "syn", "RST ACK URGP=0 SYN"]
STAMPS = [
    "Nov 22 10:00:01",
    "Nov 22 10:00:01.654321",
    "Nov  2 10:00:01",
    "Nov 23 10:00:15",
    "Nov 23 10:00:45",
    "Feb 29 10:00:01",
    "Feb 29 23:59:60",
    "Nov 22 10:00:60",
    "Nov 22 10:00:61",
    "Dec 31 23:59:59",
    "Jan  1 00:00:00",
    "Mar 29 02:30:00",
    "Oct 25 02:30:00",
    "Nov 31 10:00:01",
    "Abc 22 10:00:01",
    "Nov 22 24:00:00",
    "Nov 22 10:00:01.",
    "2026-11-22T10:00:01.123456+01:00",
    "2026-11-22T10:00:01+0100",
    "2026-11-22T10:00:01Z",
    "2026-11-22T10:00:01",
    "2026-11-22T10:00:01.5-05:30",
    "2028-02-29T12:00:00-05:30",
    "2026-02-29T10:00:00",
    "2026-11-22T10:00:60",
    "2016-12-31T23:59:60Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "2026-11-22T10:00:01+01",
    "2026-11-22T10:00:01+01:0",
    "2026-11-22T10:00:01+2400",
    "2026-13-22T10:00:01Z",
]
PREFIXES = [
    "[UFW BLOCK] ",
    "[UFW ALLOW] ",
    "[UFW AUDIT] ",
    "[UFW AUDIT INVALID] ",
    "ACCEPT ",
    "iptables accept ",
    "filter_IN_public_ALLOW: ",
    "[WAN_IN-10-A]",
    "[WAN_LOCAL-default-D]",
    "[ipv4-INP-filter-default-D]",
    "DROP ",
    "",
    "[62721.317859] ",
    "[ 1.5] [UFW BLOCK] ",
    "[] ",
    "[1.0]",
    "r\u00e8gle ",
    "IN=x ",
    "A=B ",
    "SRC=9.9.9.9 ",
]
HOSTS = ["web01", "gw", "h\u00f6st", "a\tb", "x" * 300, "-", "kernel:"]
ENDINGS = ["", "\n", "\r\n", " ", "  \n", "\r", "\n\n", "\x00", "\u00e9\n"]
INSERTS = ["=", "S", "P", " ", "\t", "\u00e9", "\x00", "0", "[", "]", ":", ".", "IN=", " SRC=1.2.3.4", "\U0001f600"]


@st.composite
def mutated(draw):
    line = draw(st.sampled_from(BASES)).rstrip("\n")
    for _ in range(draw(st.integers(0, 4))):
        step = draw(st.integers(0, 9))
        if step == 0:  # a field's value
            key = draw(st.sampled_from(["SRC", "DST", "SPT", "DPT", "TYPE", "CODE", "PROTO", "WINDOW", "RES", "LEN"]))
            pool = ADDRESSES if key in ("SRC", "DST") else PROTOCOLS if key == "PROTO" else [*NUMBERS, "0x00", "0xZZ"]
            head, eq, tail = line.partition(f" {key}=")
            if eq:
                rest = tail.split(" ", 1)
                line = head + eq + draw(st.sampled_from(pool)) + (" " + rest[1] if len(rest) > 1 else "")
        elif step in (1, 2):  # a token dropped, doubled or swapped
            tokens = line.split(" ")
            i, j = draw(st.integers(0, len(tokens) - 1)), draw(st.integers(0, len(tokens) - 1))
            if step == 1:
                del tokens[i]
            else:
                tokens.insert(i, tokens[j])
            line = " ".join(tokens)
        elif step == 3:  # the stamp
            stamp = line[:15] if line[:1].isalpha() else line.split(" ", 1)[0]
            line = line.replace(stamp, draw(st.sampled_from(STAMPS)), 1)
        elif step == 4:  # the prefix
            if " kernel: " in line and "IN=" in line:
                head, _, body = line.partition(" kernel: ")
                line = head + " kernel: " + draw(st.sampled_from(PREFIXES)) + body[body.index("IN=") :]
        elif step == 5:  # the flag words
            if " URGP=" in line and " RES=0x" in line:
                head, _, tail = line.partition(" RES=0x")
                flags = draw(st.sampled_from(FLAGS))
                line = f"{head} RES=0x{tail[:2]} {flags + ' ' if flags else ''}URGP=" + tail.split("URGP=", 1)[1]
        elif step == 6:  # the ICMP shape
            head, eq, _ = line.partition(" PROTO=")
            if eq:
                proto = draw(st.sampled_from(["ICMP", "ICMPv6", "1", "TCP", "UDP"]))
                icmp_type, icmp_code = draw(st.sampled_from(NUMBERS)), draw(st.sampled_from(NUMBERS))
                line = f"{head}{eq}{proto} TYPE={icmp_type} CODE={icmp_code}"
        elif step == 7:  # the host
            head, sep, tail = line.partition(" kernel: ")
            if sep and " " in head:
                line = head.rsplit(" ", 1)[0] + " " + draw(st.sampled_from(HOSTS)) + sep + tail
        elif step == 8:  # a character anywhere
            at = draw(st.integers(0, len(line)))
            line = line[:at] + draw(st.sampled_from(INSERTS)) + line[at:]
        else:  # cut short
            line = line[: draw(st.integers(0, len(line)))]
    return line + draw(st.sampled_from(ENDINGS))


# Repeats matter (the caches): lines drawn from a short list again and again.
batches = st.lists(mutated(), min_size=1, max_size=8).flatmap(
    lambda pool: st.lists(st.sampled_from(pool + BENCH), min_size=1, max_size=40)
)


@built
@DIFFERENTIAL
@given(lines=batches, which=st.integers(0, len(CONTEXTS) - 1), start=st.sampled_from([1, 2, 10**6]))
def test_mutated_lines_read_the_same(lines, which, start):
    assert_same(lines, which, start)


@built
@DIFFERENTIAL
@given(lines=st.lists(st.text(alphabet=st.sampled_from(sorted(set("".join(BENCH)))), max_size=300), max_size=5))
def test_noise_reads_the_same(lines):
    assert_same(lines)


# -- exceptions -------------------------------------------------------------


@built
def test_an_unforeseen_error_in_a_call_back_rejects_the_line_in_both(monkeypatch):
    # test_iptables has protocol_name fail; here the flag words (after the
    # stamp, the addresses and protocol_name have been read and cached).
    monkeypatch.setattr(iptables, "_flags", lambda words: {"ACK": "A"}[words.strip()] if words else "")
    results = assert_same([*BENCH, *IPTABLES, *BENCH])
    assert any(getattr(r, "reason", "") == "unreadable line (KeyError)" for r in results)


@built
def test_an_error_that_escapes_the_parse_comes_after_the_same_results(monkeypatch):
    real = iptables._verdict

    def buggy(prefix):
        if "ALLOW" in prefix:
            raise RuntimeError("bug")
        return real(prefix)

    monkeypatch.setattr(iptables, "_verdict", buggy)
    allowed = BENCH[1].replace("[UFW BLOCK]", "[UFW ALLOW]")
    lines = [*BENCH * 5, allowed, *BENCH]
    results = assert_same(lines)
    assert len(results) == 10
    with pytest.raises(RuntimeError):
        list(parser.parse(lines, context(0)))


@built
@pytest.mark.parametrize("after", [0, 3, iptables._BATCH, iptables._BATCH + 2])
def test_an_error_reading_the_lines_comes_after_the_lines_read_before_it(after):
    class Unreadable:
        def __iter__(self):
            for i in range(after):
                yield BENCH[i % 2]
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    results = assert_same(Unreadable())
    assert len(results) == after


@built
def test_a_line_that_is_not_a_str_fails_alike():
    assert_same([BENCH[0], b"bytes\n", BENCH[1]])


# -- reference counts and memory ------------------------------------------


@built
def test_no_references_leak_or_memory_grows_over_200k_lines():
    def own(line):  # an object of its own, for its reference count
        return "".join([line[:10], line[10:]])

    block = own(BENCH[0])
    allow = own(BENCH[1].replace("[UFW BLOCK]", "[UFW ALLOW]"))
    bad = own(BENCH[1].replace("SPT=4188", "SPT=70000"))
    iso = own(BENCH[1].replace("Nov 30 13:43:54", "2026-11-30T13:43:54+01:00"))
    v6 = own(next(line for line in IPTABLES if "SRC=2001:" in line))
    watched = (block, allow, bad, iso, v6, ParsedEvent, Skipped, iptables.ALLOWED)

    def counts():
        return [sys.getrefcount(o) for o in watched]

    def run_once():
        lines = [block, block, allow, iso, block, bad, v6] * (200_000 // 7)
        ctx = context(0)
        total = sum(1 for _ in parser._parse_accelerated(lines, ctx, 1))
        del lines
        return total

    gc.collect()
    baseline = counts()
    rss = []
    for _ in range(3):
        assert run_once() > 0
        gc.collect()
        assert counts() == baseline
        rss.append(rss_bytes())
    assert rss[2] - rss[1] < 4 * 1024 * 1024
