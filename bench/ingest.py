"""Ingestion figures: parse rate, parselog rate, end-to-end ingest rate and
worker peak memory for a generated 1,000,000-line iptables log, and the plain
COPY rate of the same rows as the limit we chase.

Prints `name: value` lines. Runs against a separate database (the name of
DATABASE_URL's database with `_bench` appended, or `portal_bench` on the
embedded server) so it never touches real data.
"""

import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import ROOT, bench_database_url, bench_env, migrate, recreate_database

LINES = int(os.environ.get("BENCH_LINES", 1_000_000))


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


def run_child(code: str, env: dict) -> tuple[float, int]:
    """Run Python code in a fresh process; return wall seconds and peak RSS in MB."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"child failed with status {status}")
    return elapsed, usage.ru_maxrss // 1024


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

    # The parselog command, JSON out to /dev/null.
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run(
            [sys.executable, "manage.py", "parselog", str(log), "--format", "iptables"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.DEVNULL,
            check=True,
        )
    print(f"parselog_lines_per_s: {LINES / (time.perf_counter() - started):.0f}")

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
    timing = var / "task-seconds"
    process_seconds, peak_mb = run_child(
        "import django, time; django.setup(); from incidents.ingest import ingest_submission; "
        f"t = time.perf_counter(); ingest_submission({sub.pk}); "
        f"open({str(timing)!r}, 'w').write(str(time.perf_counter() - t))",
        env,
    )
    seconds = float(timing.read_text())
    sub.refresh_from_db()
    assert sub.status == "done" and sub.accepted + sub.filtered + sub.duplicate == LINES, sub.error
    ingest_rate = LINES / seconds
    print(f"ingest_seconds: {seconds:.2f}")
    print(f"ingest_process_seconds: {process_seconds:.2f}")
    print(f"ingest_lines_per_s: {ingest_rate:.0f}")
    print(f"ingest_worker_peak_mb: {peak_mb}")
    print(f"ingest_accepted: {sub.accepted}")

    # The same rows by plain COPY into an identical partitioned table: the limit we chase.
    copy_rate = plain_copy_rate(user.pk, sub.pk)
    print(f"plain_copy_rows_per_s: {copy_rate:.0f}")
    print(f"ingest_to_copy_ratio: {ingest_rate / copy_rate:.2f}")


def plain_copy_rate(reporter: int, submission: int) -> float:
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
        started = time.perf_counter()
        with cur.copy(f"COPY bench_event ({COLUMNS}) FROM STDIN") as copy:
            for chunk in chunks:
                copy.write(chunk)
        seconds = time.perf_counter() - started
        cur.execute("DROP TABLE bench_event")
    return rows / seconds


if __name__ == "__main__":
    main()
