"""The public pages on the report benchmark's portal (bench/report.py: 10,000,000
events from 1,000 reporters over 30 days; built on first use, then reused).

Prints `name: value` lines:
- each public selector, in process: the median of BENCH_REPORT_REPEAT runs
  per address, p50/p95/max over a sample of addresses (the most-reported
  sources, and a seeded random choice of the rest);
- the IP page under load: gunicorn (BENCH_PUBLIC_WORKERS sync workers)
  serving /ip/<address>/ to BENCH_PUBLIC_CLIENTS concurrent clients, each
  asking for addresses of the sample in turn, BENCH_PUBLIC_REQUESTS in all;
  p50/p95/max of the response times the clients saw, and requests a second.
BENCH_PUBLIC_EXPLAIN=1 prints the heaviest address's query plans to stderr.
"""

import http.client
import os
import random
import socket
import subprocess
import sys
import threading
import time

import report
from common import ROOT
from report import percentile, print_timings, timed

CLIENTS = int(os.environ.get("BENCH_PUBLIC_CLIENTS", 50))
REQUESTS = int(os.environ.get("BENCH_PUBLIC_REQUESTS", 5000))
WORKERS = int(os.environ.get("BENCH_PUBLIC_WORKERS", 4))
SAMPLE = 200
HEAVIEST = 20
TARGET_MS = 50
SEED = 20261201


def sample_addresses() -> list[str]:
    """The sources with the most rollup rows (the widespread scanners), and a
    seeded random choice of the others."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT host(source_ip), count(*) FROM incidents_source_day GROUP BY source_ip ORDER BY count(*) DESC"
        )
        rows = cur.fetchall()
    print(f"public_sources: {len(rows)}")
    print(f"public_heaviest_source_rows: {rows[0][1]}")
    rest = random.Random(SEED).sample([ip for ip, _ in rows[HEAVIEST:]], SAMPLE - HEAVIEST)
    return [ip for ip, _ in rows[:HEAVIEST]] + rest


def measure_selectors(addresses: list[str]) -> None:
    from django.core.cache import cache

    from reports import public
    from reports.public.lookups import subnet_of

    day = public.last_whole_day()
    print_timings("public_ip_summary", [timed(lambda ip=ip: public.ip_summary(ip)) for ip in addresses])
    subnets = [subnet_of(ip) for ip in addresses]
    print_timings("public_subnet_summary", [timed(lambda net=net: public.subnet_summary(net)) for net in subnets])
    for name, fn in (
        ("top_sources", lambda: public.top_sources(day)),
        ("top_ports", lambda: public.top_ports(day)),
        ("port_anomalies", lambda: public.port_anomalies(day)),
        ("port_history_tcp23", lambda: public.port_history("tcp", 23)),
    ):
        print(f"public_{name}_ms: {timed(fn):.1f}")
    cache.clear()
    started = time.perf_counter()
    public.front_page(day)
    print(f"public_front_page_uncached_ms: {(time.perf_counter() - started) * 1000:.1f}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    gunicorn = [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [*gunicorn, "--workers", str(WORKERS), "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1"},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def load(port: int, addresses: list[str]) -> None:
    """CLIENTS threads, each on its own keep-alive-less connection per
    request (gunicorn's sync workers close after each), asking in turn."""
    timings: list[float] = []
    failures: list[int] = []
    counter = iter(range(REQUESTS))
    lock = threading.Lock()

    def client():
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            ip = addresses[n % len(addresses)]
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", f"/ip/{ip}/")
            response = conn.getresponse()
            response.read()
            conn.close()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                timings.append(elapsed)
                if response.status != 200:
                    failures.append(response.status)

    for ip in addresses[: WORKERS * 2]:  # warm every worker: imports, templates, connections
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", f"/ip/{ip}/")
        conn.getresponse().read()
        conn.close()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    print(f"public_ip_page_clients: {CLIENTS}")
    print(f"public_ip_page_workers: {WORKERS}")
    print(f"public_ip_page_requests: {len(timings)}")
    print(f"public_ip_page_failures: {len(failures)}")
    print(f"public_ip_page_per_second: {len(timings) / seconds:.0f}")
    print_timings("public_ip_page_load", timings)
    print(f"public_ip_page_target_ms: {TARGET_MS}")
    print(f"public_ip_page_p95_within_target: {'yes' if percentile(timings, 0.95) < TARGET_MS else 'no'}")


def explain(ip: str) -> None:
    from django.db import connection

    from reports.public import lookups

    since, _ = lookups.history_span(lookups.HISTORY_DAYS)
    params = {"ip": ip, "since": since, "network": lookups.subnet_of(ip), "limit": lookups.SUBNET_ADDRESSES_SHOWN}
    queries = (
        ("ip_figures", lookups.IP_FIGURES),
        ("subnet_addresses", lookups.SUBNET_ADDRESSES),
    )
    for name, sql in queries:
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(row[0] for row in cur.fetchall())
        print(f"--- {name}, {ip}\n{plan}", file=sys.stderr)


def main() -> None:
    report.prepare()
    addresses = sample_addresses()
    measure_selectors(addresses)
    port = free_port()
    server = start_server(port)
    try:
        load(port, addresses)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if os.environ.get("BENCH_PUBLIC_EXPLAIN") == "1":
        explain(addresses[0])


if __name__ == "__main__":
    main()
