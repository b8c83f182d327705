"""The public pages on the report benchmark's portal (bench/report.py: 10,000,000
events from 1,000 reporters over 30 days; built on first use, then reused).

Prints `name: value` lines:
- each public selector, in process: the median of BENCH_REPORT_REPEAT runs
  per address, p50/p95/max over a sample of addresses (the most-reported
  sources, and a seeded random choice of the rest);
- the pages themselves under load are bench/web.py's (wrk against gunicorn).
BENCH_PUBLIC_EXPLAIN=1 prints the heaviest address's query plans to stderr.
"""

import os
import random
import sys
import time

import report
from report import print_timings, timed

SAMPLE = 200
HEAVIEST = 20
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


def explain(ip: str) -> None:
    from django.db import connection

    from reports.public import lookups

    since, _ = lookups.history_span(lookups.HISTORY_DAYS)
    params = {
        "ip": ip,
        "since": since,
        "network": lookups.subnet_of(ip),
        "limit": lookups.SUBNET_ADDRESSES_SHOWN,
        "offset": 0,
        "k": lookups.public_k(),
    }
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
    if os.environ.get("BENCH_PUBLIC_EXPLAIN") == "1":
        explain(addresses[0])


if __name__ == "__main__":
    main()
