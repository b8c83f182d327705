"""A large log in a line-independent format is parsed in chunks by helper
processes; what lands must be exactly what one process reading it in order
stores: events, counts, rejected line numbers and reasons, rollups."""

import io
import json
import os
import signal
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.cache import cache

from incidents import ingest_chunks
from incidents.ingest import ingest_submission, progress_key
from incidents.ingest_chunks import LogChunks
from incidents.models import Event, FilteredDay, PortDay, SourceDay, Submission
from incidents.parsers import ParseContext, detect
from tests.factories import UserFactory
from tests.incidents.conftest import gz, iptables_line
from tests.processes import ROOT, child_env, run_python, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

CHUNK = 2048  # bytes: a few lines a chunk, so chunk boundaries fall everywhere


def asa_line(when, src="45.1.2.3", dst="198.51.100.7", dpt=22, spt=4444):
    return (
        f"{when:%b %d %H:%M:%S} fw01 %ASA-4-106023: Deny tcp src outside:{src}/{spt} dst inside:{dst}/{dpt} "
        'by access-group "acl" [0x0, 0x0]\n'
    )


def mixed_log(line, recent, settings, n=400) -> str:
    """Good lines with the odd bad, allowed, filtered, repeated, future and
    overlong line, some of them side by side across chunk boundaries."""
    lines = []
    for i in range(n):
        when = recent - timedelta(seconds=i % 97)
        lines.append(
            line(when, src=f"45.{i % 5}.{i % 11}.{i % 13 + 1}", dst=f"198.51.100.{i % 70 + 1}", dpt=20 + i % 4)
        )
        if i % 37 == 0:
            lines.append(line(when, src="203.0.113.300"))  # rejected: bad address
            lines.append(line(when, src="203.0.113.301"))
        if i % 41 == 0:
            lines.append(lines[-1])  # a repeat, dropped
        if i % 53 == 0:
            lines.append(line(when, src="192.168.1.9"))  # filtered: reserved source
        if i % 59 == 0:
            lines.append(line(recent + timedelta(hours=5)))  # rejected: in the future
        if i % 67 == 0:
            lines.append("x" * (settings.LOG_MAX_LINE_CHARS + 10) + "\n")  # rejected: too long
        if i % 71 == 0:
            lines.append("\n")
    return "".join(lines)


def stored(user):
    sub = Submission.objects.get(user=user)
    counts = (
        sub.detected_format,
        sub.lines,
        sub.accepted,
        sub.duplicate,
        sub.filtered,
        sub.rejected,
        sub.allowed,
        sub.not_traffic,
        sub.skipped_reasons,
    )
    events = sorted(
        Event.objects.filter(reporter=user).values_list(
            "time",
            "source_ip",
            "source_port",
            "target_ip",
            "target_port",
            "protocol",
            "tcp_flags",
            "count",
            "filter_reason",
        )
    )
    rollups = sorted(
        (r.day, str(r.source_ip), r.protocol, r.target_port, r.events, r.first_seen, r.last_seen, r.target_ips)
        for r in SourceDay.objects.filter(reporter=user)
    )
    filtered = sorted(FilteredDay.objects.filter(reporter=user).values_list("day", "reason", "events"))
    return counts, sub.rejected_lines, events, rollups, filtered


def is_chunked(text: str, settings) -> bool:
    return LogChunks(io.BytesIO(text.encode()), ParseContext()).parallel


@pytest.mark.parametrize(("line", "fmt"), [(iptables_line, "iptables"), (asa_line, "cisco_asa")])
def test_chunked_parsing_stores_what_one_process_stores(submit, recent, settings, monkeypatch, line, fmt):
    log = mixed_log(line, recent, settings)
    monkeypatch.setattr(ingest_chunks, "CHUNK_BYTES", CHUNK)
    settings.INGEST_PARSE_PROCESSES = 1
    alone = UserFactory()
    submit(alone, data=gz(log), name="fw.log.gz")
    assert not is_chunked(log, settings)

    settings.INGEST_PARSE_PROCESSES = 2
    assert is_chunked(log, settings)
    chunked = UserFactory()
    submit(chunked, data=gz(log), name="fw.log.gz")

    counts, rejected, events, rollups, filtered = stored(alone)
    assert counts[0] == fmt
    assert counts[5] > 20 and counts[4] > 5 and counts[3] > 5  # the log has bad, filtered and repeated lines
    assert counts[1] == sum(counts[2:8])  # every line is one of accepted .. not_traffic
    assert {r["reason"] for r in rejected} >= {f"line longer than {settings.LOG_MAX_LINE_CHARS} characters"}
    assert stored(chunked) == (counts, rejected, events, rollups, filtered)
    assert sum(p.events for p in PortDay.objects.all()) == 2 * sum(r[4] for r in rollups)


def test_a_format_with_headers_is_parsed_in_one_process(settings, monkeypatch):
    monkeypatch.setattr(ingest_chunks, "CHUNK_BYTES", CHUNK)
    settings.INGEST_PARSE_PROCESSES = 2
    fields = "date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin"
    rows = "".join(
        f"2026-11-22 10:00:{i % 60:02d} DROP TCP 45.1.2.{i % 200} 198.51.100.7 4444 22 60 S - - -\n" for i in range(300)
    )
    log = LogChunks(io.BytesIO(f"#Version: 1.5\n#Fields: {fields}\n{rows}".encode()), ParseContext())
    assert not log.parallel
    assert [p.name for p in [detect(log.reader())]] == ["windows_firewall"]


def test_a_parser_process_that_dies_fails_the_run_and_nothing_lands(submit, recent):
    user = UserFactory()
    n = 200_000
    log = "".join(
        iptables_line(recent - timedelta(seconds=i % 3600), src=f"45.{i >> 16}.{(i >> 8) & 255}.{i & 255}")
        for i in range(n)
    )
    sub = submit(user, text=log, run=False)
    child = run_python(
        f"from incidents.ingest import ingest_submission; ingest_submission({sub.pk})", INGEST_PARSE_PROCESSES="2"
    )
    try:
        helpers = wait_for(lambda: children(child.pid), process=child)
        wait_for(lambda: (cache.get(progress_key(sub.pk)) or {}).get("lines", 0) > 0, process=child)
        os.kill(helpers[0], signal.SIGKILL)
        assert child.wait(timeout=60) != 0
    finally:
        if child.poll() is None:
            child.kill()
    assert not Event.objects.filter(submission_id=sub.pk).exists()
    assert not SourceDay.objects.filter(reporter=user).exists()

    ingest_submission(sub.pk)  # the retry
    sub.refresh_from_db()
    assert (sub.status, sub.lines, sub.accepted, sub.duplicate) == (Submission.Status.DONE, n, n, 0)
    assert sum(SourceDay.objects.filter(reporter=user).values_list("events", flat=True)) == n


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def parselog(path, processes: int) -> tuple[bytes, bytes]:
    done = subprocess.run(
        [sys.executable, "manage.py", "parselog", str(path), "--processes", str(processes)],
        cwd=ROOT,
        env=child_env(DJANGO_SETTINGS_MODULE="portal.settings"),
        capture_output=True,
        check=True,
        timeout=120,
    )
    return done.stdout, done.stderr


def test_parselog_in_chunks_prints_what_one_process_prints(tmp_path, recent, settings):
    log = mixed_log(iptables_line, recent, settings, n=6000)  # a few chunks of CHUNK_BYTES
    path = tmp_path / "fw.log"
    path.write_text(log)
    assert path.stat().st_size > 2 * ingest_chunks.CHUNK_BYTES
    alone, chunked = parselog(path, 1), parselog(path, 2)
    assert alone[1].count(b"\nline ") > 100  # rejected lines, with their numbers
    assert alone == chunked


def test_a_resent_log_parsed_in_chunks_counts_nothing_twice(submit, recent, settings, monkeypatch):
    log = mixed_log(iptables_line, recent, settings)
    monkeypatch.setattr(ingest_chunks, "CHUNK_BYTES", CHUNK)
    settings.INGEST_PARSE_PROCESSES = 2
    user = UserFactory()
    first = submit(user, text=log)
    assert is_chunked(log, settings)
    second = submit(user, text=log)  # the fast path's COPY meets the stored rows: the merge path
    assert first.accepted > 300
    assert (second.accepted, second.filtered, second.rejected) == (0, 0, first.rejected)
    assert second.duplicate == first.accepted + first.filtered + first.duplicate
    assert Event.objects.filter(reporter=user).count() == first.accepted + first.filtered
    assert sum(SourceDay.objects.filter(reporter=user).values_list("events", flat=True)) == first.accepted


def test_parser_processes_of_a_killed_worker_exit(submit, recent):
    user = UserFactory()
    log = "".join(iptables_line(recent - timedelta(seconds=i % 3600), spt=1024 + i % 60000) for i in range(100_000))
    sub = submit(user, text=log, run=False)
    child = run_python(
        f"from incidents.ingest import ingest_submission; ingest_submission({sub.pk})", INGEST_PARSE_PROCESSES="2"
    )
    helpers = wait_for(lambda: children(child.pid), process=child)
    wait_for(lambda: (cache.get(progress_key(sub.pk)) or {}).get("lines", 0) > 0, process=child)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in helpers), timeout=15)


def test_parselog_lines_are_orjson_of_each_event():
    # printed() encodes a chunk's events in one call and splits the list; each
    # line must still be exactly orjson.dumps(event), even for strings that
    # hold the text between two encoded events.
    import orjson

    from incidents.management.commands.parselog import printed
    from incidents.parsers import ParsedEvent, Rejection, Skipped

    at = datetime(2026, 3, 1, 12, 0, 1, 250000, tzinfo=UTC)
    odd = '},{"lineno":7,"x":"\\'
    events = [
        ParsedEvent(1, at, "203.0.113.5", "198.51.100.7", "tcp", 4444, 22, "S"),
        ParsedEvent(2, at, "2001:db8::1", "2001:db8::2", odd, None, None, odd, 3),
        ParsedEvent(3, at.replace(microsecond=0), "203.0.113.5", "198.51.100.7", "icmp", 8, 0),
    ]
    results = [events[0], Skipped(9, "allowed traffic"), *events[1:], Rejection(4, "bad", "x")]
    out, errors, n, rejected, skipped = printed(results)
    assert out.split(b"\n") == [orjson.dumps(e) for e in events] + [b""]
    assert (n, rejected, skipped) == (3, 1, {"allowed traffic": 1})
    assert errors == "line 4: bad: x\n"
    assert printed([]) == (b"", "", 0, 0, {})


@pytest.mark.parametrize("packing", ["text", "gzip", "zip"])
def test_parselog_reads_standard_input(tmp_path, recent, packing):
    # A pipe cannot seek: it is spooled, so its kind can be told and a zip read.
    import gzip

    text = iptables_line(recent) + iptables_line(recent, dpt=23)
    data = text.encode()
    if packing == "gzip":
        data = gzip.compress(data)
    elif packing == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("fw.log", text)
        data = buffer.getvalue()
    done = subprocess.run(
        [sys.executable, "manage.py", "parselog", "-"],
        cwd=ROOT,
        env=child_env(DJANGO_SETTINGS_MODULE="portal.settings"),
        input=data,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["target_port"] for line in done.stdout.splitlines()] == [22, 23]
    assert b"format iptables: 2 lines: 2 events, 0 allowed traffic" in done.stderr


def test_a_pipe_past_the_size_limit_is_refused_while_spooling():
    from incidents.logfile import LogFileError, open_binary

    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            return self.data.readinto(buffer)

    with open_binary(io.BufferedReader(Pipe(b"x\n" * 1000)), 5000) as stream:
        assert stream.read() == b"x\n" * 1000
    with (
        pytest.raises(LogFileError, match="larger than 1000 bytes"),
        open_binary(io.BufferedReader(Pipe(b"x\n" * 1000)), 1000),
    ):
        pass


def test_blocks_read_ahead_come_in_order_then_their_error():
    import threading

    from incidents.logfile import LogFileError, prefetched

    def blocks():
        for i in range(50):
            yield b"%d\n" % i
        raise LogFileError("cut short")

    got = []
    with pytest.raises(LogFileError, match="cut short"):
        for block in prefetched(blocks(), depth=2):
            got.append(block)
    assert got == [b"%d\n" % i for i in range(50)]
    # A consumer that stops early (a COPY that fails) stops the reader too.
    reader = prefetched(iter([b"x\n"] * 1000), depth=2)
    assert next(reader) == b"x\n"
    reader.close()
    assert not any(t.name == "log-reader" for t in threading.enumerate())


@pytest.mark.parametrize("inside", ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "é"])
def test_lines_split_at_line_ends_only(inside):
    # str.splitlines (the fast way) also splits at these; a log line keeps them.
    from incidents.logfile import split_lines

    text = f"a{inside}b\r\nc\rd\ne"
    assert split_lines(text.encode()) == [f"a{inside}b\n", "c\n", "d\n", "e"]
    assert split_lines(b"plain\nascii\n") == ["plain\n", "ascii\n"]
