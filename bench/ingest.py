"""Ingestion figures: parse rate, parselog rate, end-to-end ingest rate and
worker peak memory for a generated 1,000,000-line iptables log, and the plain
COPY rate of the same rows as the limit we chase; then the worker's peak
memory on a log built to fill the rollups' bounds.

Prints `name: value` lines. Runs against a separate database (the name of
DATABASE_URL's database with `_bench` appended, or `portal_bench` on the
embedded server) so it never touches real data.
"""

import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import ROOT, bench_database_url, bench_env, migrate, recreate_database

LINES = int(os.environ.get("BENCH_LINES", 1_000_000))
WORST_LINES = int(os.environ.get("BENCH_WORST_LINES", 2_000_000))


def generate(path: Path, n: int) -> None:
    if path.exists():
        return
    rng = random.Random(42)
    start = datetime.now(UTC) - timedelta(hours=20)
    ports = [22, 23, 80, 443, 445, 1433, 3389, 5900, 8080, 135, 139, 25]
    # Sources repeat as in real logs: a scanner knocks many times, a few knock
    # a lot (one distinct source per ~10 lines, long-tailed), and each scans
    # its own port or two (a worm or scanner is after one service).
    pool = [
        f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        for _ in range(max(1, n // 10))
    ]
    with path.open("w") as out:
        for i in range(n):
            t = start + timedelta(seconds=i * 60_000 // n)
            k = min(len(pool) - 1, int(rng.paretovariate(1.2)) * 7 + rng.randrange(len(pool)) // 3)
            src = pool[k]
            port = ports[(k + (rng.random() < 0.2)) % len(ports)]
            dst = f"198.51.100.{rng.randint(1, 254)}"
            out.write(
                f"{t:%b %d %H:%M:%S} gw kernel: [{i / 100:.3f}] [UFW BLOCK] IN=eth0 OUT= "
                f"MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC={src} DST={dst} LEN=60 TOS=0x00 PREC=0x00 "
                f"TTL=51 ID={i % 65536} DF PROTO=TCP SPT={rng.randint(1024, 65535)} DPT={port} "
                "WINDOW=29200 RES=0x00 SYN URGP=0\n"
            )


def generate_worst(path: Path, n: int) -> None:
    """A log that fills the rollups' bounds with nothing to share: each
    source knocks on 64 distinct targets scattered over a /8 (more than the
    parser keeps one string for), every line a new second."""
    if path.exists():
        return
    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(hours=20)
    with path.open("w") as out:
        for i in range(n):
            t = start + timedelta(seconds=i * 60_000 // n)
            k = i // 64
            src = f"{k >> 16 & 127 | 64}.{k >> 8 & 255}.{k & 255}.{rng.randint(1, 254)}"
            dst = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            out.write(
                f"{t:%b %d %H:%M:%S} gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC={src} DST={dst} LEN=60 TOS=0x00 "
                f"PREC=0x00 TTL=51 ID={i % 65536} DF PROTO=TCP SPT={rng.randint(1024, 65535)} DPT=22 "
                "WINDOW=29200 RES=0x00 SYN URGP=0\n"
            )


def run_child(args: list[str], env: dict, stdout=None) -> tuple[float, float, int]:
    """Run a fresh Python process; return wall seconds, CPU seconds (user +
    system, with its reaped helper processes) and peak RSS in MB of the
    largest of them."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=stdout, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"child failed with status {status}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def backend_cpu(cursor) -> float | None:
    """CPU seconds so far of this connection's PostgreSQL backend, when the
    server runs on this machine and its /proc is readable."""
    cursor.execute("SELECT pg_backend_pid()")
    try:
        fields = Path(f"/proc/{cursor.fetchone()[0]}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# Timed inside the worker process: the task from start to commit, its CPU
# (its own, its parser processes', its database backend's) and memory.
WORKER = """
import django, json, os, resource, sys, time
django.setup()
sys.path.insert(0, "bench")
from django.db import connection
from ingest import backend_cpu
from incidents.ingest import ingest_submission
with connection.cursor() as c:
    db0 = backend_cpu(c.cursor)
t0, cpu0 = time.perf_counter(), os.times()
ingest_submission({pk})
t1, cpu1 = time.perf_counter(), os.times()
with connection.cursor() as c:
    db1 = backend_cpu(c.cursor)
json.dump({{
    "seconds": t1 - t0,
    "cpu": cpu1.user - cpu0.user + cpu1.system - cpu0.system,
    "helpers_cpu": cpu1.children_user - cpu0.children_user + cpu1.children_system - cpu0.children_system,
    "db_cpu": None if db0 is None else db1 - db0,
    "self_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    "helpers_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
}}, open({path!r}, "w"))
"""


def main() -> None:
    url = bench_database_url()
    env = bench_env(url)
    recreate_database(url)
    migrate(env)

    import django

    django.setup()
    from incidents.parsers import ParseContext, get_parser

    var = ROOT / "var" / "bench"
    var.mkdir(parents=True, exist_ok=True)
    log = var / f"iptables-{LINES}.log"
    generate(log, LINES)
    print(f"lines: {LINES}")
    print(f"log_mb: {log.stat().st_size / 1e6:.0f}")

    # Parser alone, in this process.
    parser = get_parser("iptables")
    with log.open() as lines:
        started = time.perf_counter()
        count = sum(1 for _ in parser.parse(lines, ParseContext()))
        parse_seconds = time.perf_counter() - started
    assert count == LINES
    print(f"parse_lines_per_s: {LINES / parse_seconds:.0f}")

    # The parselog command, the whole process (start-up included), JSON out to /dev/null.
    with open(os.devnull, "wb") as sink:
        seconds, cpu, _ = run_child(["manage.py", "parselog", str(log), "--format", "iptables"], env, stdout=sink)
    print(f"parselog_lines_per_s: {LINES / seconds:.0f}")
    print(f"parselog_cpu_us_per_line: {cpu / LINES * 1e6:.2f}")

    # End to end: the stored submission processed by a fresh worker process.
    from incidents.services import submission_create
    from portal.models import User

    user = User.objects.create_user("bench@example.org", "bench-password-1")
    packed = log.with_suffix(".log.gz")
    if not packed.exists():
        subprocess.run(["gzip", "-k", "-1", str(log)], check=True)
    print(f"upload_gz_mb: {packed.stat().st_size / 1e6:.0f}")
    with packed.open("rb") as f:
        sub = submission_create(user=user, channel="web", fileobj=f, name=packed.name, declared_format="")
    # A worker is long-lived: the task is timed inside it (start to commit),
    # and the whole process, start-up included, beside it.
    timing = var / "task.json"
    process_seconds, _, peak_mb = run_child(["-c", WORKER.format(pk=sub.pk, path=str(timing))], env)
    task = json.loads(timing.read_text())
    seconds = task["seconds"]
    sub.refresh_from_db()
    assert sub.status == "done" and sub.accepted + sub.filtered + sub.duplicate == LINES, sub.error
    ingest_rate = LINES / seconds
    print(f"ingest_seconds: {seconds:.2f}")
    print(f"ingest_process_seconds: {process_seconds:.2f}")
    print(f"ingest_lines_per_s: {ingest_rate:.0f}")
    print(f"ingest_worker_peak_mb: {peak_mb}")
    print(f"ingest_worker_self_peak_mb: {task['self_peak_mb']}")
    print(f"ingest_parser_process_peak_mb: {task['helpers_peak_mb']}")
    print(f"ingest_worker_cpu_us_per_line: {task['cpu'] / LINES * 1e6:.2f}")
    print(f"ingest_parser_processes_cpu_us_per_line: {task['helpers_cpu'] / LINES * 1e6:.2f}")
    if task["db_cpu"] is not None:
        print(f"ingest_db_backend_cpu_us_per_line: {task['db_cpu'] / LINES * 1e6:.2f}")
    print(f"ingest_accepted: {sub.accepted}")

    # The same rows by plain COPY into an identical partitioned table: the limit we chase.
    copy_rate, copy_cpu = plain_copy_rate(user.pk, sub.pk)
    print(f"plain_copy_rows_per_s: {copy_rate:.0f}")
    if copy_cpu is not None:
        print(f"plain_copy_db_backend_cpu_us_per_row: {copy_cpu * 1e6:.2f}")
    print(f"ingest_to_copy_ratio: {ingest_rate / copy_rate:.2f}")

    # Memory whatever the file: a log built to fill the rollups' bounds
    # (spilling several times) through a fresh worker.
    worst = var / f"iptables-worst-{WORST_LINES}.log"
    generate_worst(worst, WORST_LINES)
    worst_packed = worst.with_suffix(".log.gz")
    if not worst_packed.exists():
        subprocess.run(["gzip", "-k", "-1", str(worst)], check=True)
    with worst_packed.open("rb") as f:
        sub = submission_create(user=user, channel="web", fileobj=f, name=worst.name, declared_format="iptables")
    _, _, worst_peak_mb = run_child(["-c", WORKER.format(pk=sub.pk, path=str(timing))], env)
    sub.refresh_from_db()
    assert sub.status == "done" and sub.accepted + sub.filtered + sub.duplicate == WORST_LINES, sub.error
    print(f"worst_case_lines: {WORST_LINES}")
    print(f"worst_case_ingest_lines_per_s: {WORST_LINES / json.loads(timing.read_text())['seconds']:.0f}")
    print(f"worst_case_worker_peak_mb: {worst_peak_mb}")


def plain_copy_rate(reporter: int, submission: int) -> tuple[float, float | None]:
    """Rows a second, and the backend's CPU seconds a row."""
    from django.db import connection

    with connection.cursor() as c:
        cur = c.cursor
        cur.execute("CREATE TABLE bench_event (LIKE incidents_event INCLUDING ALL) PARTITION BY RANGE (time)")
        cur.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname = 'incidents_event'"
        )
        for relname, bound in cur.fetchall():
            cur.execute(f"CREATE TABLE bench_{relname} PARTITION OF bench_event {bound}")
        # Rows exactly as stored, rendered to COPY text ahead, so only COPY
        # itself is timed (PostgreSQL computes fingerprints, as for ingest).
        from incidents.ingest import COLUMNS

        chunks = []
        query = f"SELECT {COLUMNS} FROM incidents_event WHERE submission_id = {int(submission)}"  # noqa: S608
        with cur.copy(f"COPY ({query}) TO STDOUT") as out:
            chunks.extend(bytes(block) for block in out)
        rows = sum(chunk.count(b"\n") for chunk in chunks)
        cpu0 = backend_cpu(cur)
        started = time.perf_counter()
        with cur.copy(f"COPY bench_event ({COLUMNS}) FROM STDIN") as copy:
            for chunk in chunks:
                copy.write(chunk)
        seconds = time.perf_counter() - started
        cpu1 = backend_cpu(cur)
        cur.execute("DROP TABLE bench_event")
    return rows / seconds, None if cpu0 is None else (cpu1 - cpu0) / rows


if __name__ == "__main__":
    main()
