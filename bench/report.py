"""Personal-report figures on a realistic portal: 10,000,000 events from
1,000 reporters over the last 30 days, and how fast the page at "/" and its
two SQL selectors answer a signed-in reporter, for the 7- and 30-day windows.

Prints `name: value` lines. Runs against a database of its own (the name of
DATABASE_URL's database with `_report_bench` appended, or
`portal_report_bench` on the embedded server) so it never touches real data.
Building it takes minutes, so a built database is kept and reused while it
has the expected size and is recent (BENCH_REPORT_MAX_AGE_DAYS, default 1:
the data is relative to the day it was built); BENCH_REPORT_REBUILD=1 forces
a rebuild. Each reporter's figure is the median of BENCH_REPORT_REPEAT runs
(default 3), after a warm-up on a reporter outside the sample; p50, p95 and
max are over the 30 reporters of the sample (the 5 heaviest among them).
BENCH_REPORT_EXPLAIN=1 prints the heaviest reporter's query plans to stderr.

The data: a pool of sources with a long tail (a few thousand scanners and
worms seen by tens to hundreds of reporters, most sources by one or two),
each source after one or two ports of a list of common ones; reporters of
very different volumes (a few with 100k+ events, most with a few thousand),
each with one to four /29 networks. A source "visits" a reporter in a burst
of events across its addresses, on one day. Events are loaded by COPY
straight into the partitioned event table (PostgreSQL computes the
fingerprint), the rollups are then built from them in SQL with the same
meaning as incidents.ingest gives them.
"""

import bisect
import itertools
import json
import math
import os
import random
import socket
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from ipaddress import IPv4Address

from common import bench_database_url, bench_env, conninfo, database_exists, migrate, recreate_database

EVENTS = int(os.environ.get("BENCH_REPORT_EVENTS", 10_000_000))
REPORTERS = int(os.environ.get("BENCH_REPORT_REPORTERS", 1_000))
SOURCES = int(os.environ.get("BENCH_REPORT_SOURCES", 300_000))
MAX_AGE_DAYS = int(os.environ.get("BENCH_REPORT_MAX_AGE_DAYS", 1))
DAYS = 30
SEED = 20261122
# Bump when the generated data changes: a cached database is then rebuilt.
GENERATOR_VERSION = 2

SCANNERS = 20_000  # the head of the pool: scanners and worms that hit many reporters
SCANNER_SHARE = 0.4  # of the visits
SCANNER_ZIPF = 0.8
RETURN_SHARE = 0.65  # of the other visits: a source that already knocked on this reporter, again
FILTERED_SHARE = 0.01  # of the visits: from a private or reserved address, so filtered at ingest
HEAVY_REPORTERS = 8
NOT_COUNTING_SHARE = 0.1  # of the reporters: on probation or suspended, so nothing public from them
SHARED_NETWORK_SHARE = 0.1  # of the others: one network with the reporter before, so one independent reporter
BURST_MEAN = 5.5  # extra events a visit brings past its first

TCP_PORTS = {23: 14, 22: 12, 445: 10, 80: 9, 3389: 8, 443: 6, 8080: 6, 1433: 4, 2323: 3, 5900: 3, 135: 3}
TCP_PORTS |= {139: 3, 25: 3, 3306: 3, 6379: 2, 8443: 2, 5555: 2, 7547: 2, 81: 2, 8291: 1, 9200: 1}
UDP_PORTS = {53: 4, 5060: 4, 123: 3, 161: 3, 1900: 3, 137: 2, 11211: 1}

SAMPLE = 30  # reporters measured, the heaviest among them
REPEAT = int(os.environ.get("BENCH_REPORT_REPEAT", 3))  # runs per reporter and measurement; the median counts
HEAVIEST = 5
WINDOWS = (7, 30)
TARGET_MS = 200

COLUMNS = (
    "reporter_id, time, submission_id, source_ip, source_port, target_ip, target_port, "
    "protocol, tcp_flags, count, filter_reason"
)


def prepare() -> bool:
    """Build the bench database, or reuse a kept one; migrate it and set
    Django up on it. Returns whether it was reused (bench/public.py shares it)."""
    url = bench_database_url("_report_bench")
    env = bench_env(url)
    params = {
        "events": EVENTS,
        "reporters": REPORTERS,
        "sources": SOURCES,
        "days": DAYS,
        "seed": SEED,
        "version": GENERATOR_VERSION,
    }
    cached = os.environ.get("BENCH_REPORT_REBUILD") != "1" and built_with(url, params)
    if not cached:
        recreate_database(url)
    # Also on a kept database: new migrations (an index, say) apply to it.
    migrate(env)

    import django

    django.setup()
    from django.core.management import call_command

    # Pages use the production static storage (hashed names from a manifest).
    call_command("collectstatic", interactive=False, verbosity=0)

    print(f"report_db: {'cached' if cached else 'built'}")
    if not cached:
        started = time.perf_counter()
        build(params)
        print(f"report_build_seconds: {time.perf_counter() - started:.0f}")
    return cached


def main() -> None:
    prepare()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM incidents_event")
        print(f"events_loaded: {cur.fetchone()[0]}")
        cur.execute("SELECT count(*) FROM incidents_source_day")
        print(f"source_day_rows: {cur.fetchone()[0]}")
        cur.execute("SELECT pg_database_size(current_database())")
        print(f"report_db_mb: {cur.fetchone()[0] / 1e6:.0f}")
    measure()


# --- The data ----------------------------------------------------------------------------------------------------


def built_with(url: str, params: dict) -> bool:
    """Whether the bench database exists, was built with these parameters,
    and is recent enough to reuse."""
    if not database_exists(url):
        return False
    import psycopg

    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('bench_report_meta')").fetchone()[0] is None:
            return False
        row = conn.execute("SELECT params, built_on FROM bench_report_meta").fetchone()
    return row is not None and row[0] == params and (datetime.now(UTC).date() - row[1]).days <= MAX_AGE_DAYS


def reporter_volumes(rng: random.Random, n: int, total: int) -> list[int]:
    """Events per reporter: most a few thousand (log-normal), a few 25 to 90
    times the median."""
    weights = [min(12.0, rng.lognormvariate(0, 0.9)) for _ in range(n)]
    for i in rng.sample(range(n), min(HEAVY_REPORTERS, max(1, n // 100))):
        weights[i] = rng.uniform(25, 90)
    scale = total / sum(weights)
    volumes = [max(1, round(w * scale)) for w in weights]
    volumes[max(range(n), key=volumes.__getitem__)] += total - sum(volumes)
    return volumes


def source_pool(rng: random.Random, n: int) -> list[str]:
    """Distinct public IPv4 addresses."""
    seen: set[int] = set()
    pool = []
    while len(pool) < n:
        value = rng.getrandbits(32)
        if value in seen or not IPv4Address(value).is_global:
            continue
        seen.add(value)
        pool.append(socket.inet_ntoa(value.to_bytes(4, "big")))
    return pool


def private_pool(rng: random.Random, n: int) -> list[str]:
    """Sources the built-in filter refuses: private networks (misconfigured hosts, leaks)."""
    return [
        rng.choice([f"192.168.{rng.randint(0, 255)}", f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}"])
        + f".{rng.randint(1, 254)}"
        for _ in range(n)
    ]


def source_services(rng: random.Random, n: int) -> list[tuple[str, tuple[str, ...]]]:
    """Per source: "protocol<TAB>tcp flags" and the one or two target ports it scans (COPY text)."""
    tcp, tcp_w = list(TCP_PORTS), list(TCP_PORTS.values())
    udp, udp_w = list(UDP_PORTS), list(UDP_PORTS.values())
    services = []
    for _ in range(n):
        r = rng.random()
        if r < 0.02:
            services.append(("icmp\t", ("\\N",)))
            continue
        ports, weights, kind = (tcp, tcp_w, "tcp\tSYN") if r < 0.9 else (udp, udp_w, "udp\t")
        first = rng.choices(ports, weights)[0]
        chosen = [first]
        if rng.random() < 0.25:
            second = rng.choices(ports, weights)[0]
            if second != first:
                chosen.append(second)
        services.append((kind, tuple(str(p) for p in chosen)))
    return services


def reporter_targets(rng: random.Random) -> list[str]:
    """The addresses of one to four /29 networks."""
    targets = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        while True:
            base = rng.getrandbits(32) & ~7
            if IPv4Address(base).is_global:
                break
        targets.extend(socket.inet_ntoa((base + host).to_bytes(4, "big")) for host in range(8))
    return targets


class Generator:
    def __init__(self, seed: int, now: datetime):
        rng = self.rng = random.Random(seed)
        self.sources = source_pool(rng, SOURCES)
        self.services = source_services(rng, SOURCES)
        self.private = private_pool(rng, 2_000)
        self.private_services = source_services(rng, len(self.private))
        head = min(SCANNERS, SOURCES // 2)
        self.head = head
        self.head_cum = list(itertools.accumulate(1 / (k + 1) ** SCANNER_ZIPF for k in range(head)))
        self.head_total = self.head_cum[-1]
        self.end = int(now.timestamp())
        self.start = self.end - DAYS * 86400
        first_day = datetime.fromtimestamp(self.start, UTC).date()
        self.day0 = int(datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC).timestamp())
        self.days = [(first_day + timedelta(days=n)).isoformat() + " " for n in range(DAYS + 2)]
        self.hms = [f"{s // 3600:02}:{s // 60 % 60:02}:{s % 60:02}+00" for s in range(86400)]
        from incidents.filters import RESERVED

        self.reserved = RESERVED

    def first_day(self) -> date:
        return datetime.fromtimestamp(self.start, UTC).date()

    def reporter_rows(self, volume: int, targets: list[str]) -> tuple[list[tuple[int, str]], int]:
        """One reporter's events as (epoch second, COPY text from source_ip on),
        in time order; and how many of them are filtered."""
        rng = self.rng
        rnd = rng.random
        expo = rng.expovariate
        sources, services, head, head_cum, head_total = (
            self.sources,
            self.services,
            self.head,
            self.head_cum,
            self.head_total,
        )
        tail = len(sources) - head
        span = self.end - self.start - 3600
        start = self.start
        n_targets = len(targets)
        returning: list[int] = []
        seen: set[tuple] = set()
        rows: list[tuple[int, str]] = []
        filtered = 0
        remaining = volume
        while remaining > 0:
            r = rnd()
            reason = ""
            if r < FILTERED_SHARE:
                k = int(rnd() * len(self.private))
                source, (kind, ports) = self.private[k], self.private_services[k]
                k = -1 - k
                reason = self.reserved
            else:
                if r < FILTERED_SHARE + SCANNER_SHARE:
                    k = bisect.bisect(head_cum, rnd() * head_total)
                elif returning and rnd() < RETURN_SHARE:
                    k = returning[int(rnd() * len(returning))]
                else:
                    k = head + int(rnd() * tail)
                    returning.append(k)
                source, (kind, ports) = sources[k], services[k]
            burst = min(remaining, 1 + int(expo(1 / BURST_MEAN)))
            t = start + int(rnd() * span)
            n_ports = len(ports)
            for _ in range(burst):
                t += int(rnd() * 4)
                target = targets[int(rnd() * n_targets)]
                port = ports[0] if n_ports == 1 else ports[int(rnd() * n_ports)]
                sport = "\\N" if kind == "icmp\t" else 1024 + int(rnd() * 64512)
                key = (t, k, sport, target, port)
                if key in seen:
                    continue
                seen.add(key)
                count = 1 if rnd() < 0.97 else 2 + int(rnd() * 9)
                rows.append((t, f"{source}\t{sport}\t{target}\t{port}\t{kind}\t{count}\t{reason}\n"))
                remaining -= 1
                if reason:
                    filtered += 1
        rows.sort()
        return rows, filtered

    def stamp(self, t: int) -> str:
        d, s = divmod(t - self.day0, 86400)
        return self.days[d] + self.hms[s]


def build(params: dict) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from incidents import partitions
    from incidents.models import Submission
    from portal.models import User

    now = datetime.now(UTC)
    gen = Generator(SEED, now)
    rng = random.Random(SEED + 1)
    volumes = reporter_volumes(rng, REPORTERS, EVENTS)
    password = make_password("bench-report-password-1")
    users = User.objects.bulk_create(
        User(email=f"reporter{i:04}@bench.example.org", password=password) for i in range(REPORTERS)
    )
    submissions = Submission.objects.bulk_create(
        Submission(
            user=u, channel=Submission.Channel.API, name="bench", status=Submission.Status.DONE, detected_format="bench"
        )
        for u in users
    )
    build_standings(users, random.Random(SEED + 2))
    partitions.ensure(partitions.days_between(gen.first_day(), now.date() + timedelta(days=1)))

    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor  # the psycopg cursor, for COPY
        cur.execute("SET synchronous_commit = off")
        started = time.perf_counter()
        stamp = gen.stamp
        group = 50  # reporters per COPY (one transaction each)
        for first in range(0, REPORTERS, group):
            with cur.copy(f"COPY incidents_event ({COLUMNS}) FROM STDIN") as copy:
                for i in range(first, min(first + group, REPORTERS)):
                    user, sub = users[i], submissions[i]
                    rows, filtered = gen.reporter_rows(volumes[i], reporter_targets(rng))
                    prefix, middle = f"{user.pk}\t", f"\t{sub.pk}\t"
                    for j in range(0, len(rows), 5000):
                        copy.write("".join(f"{prefix}{stamp(t)}{middle}{rest}" for t, rest in rows[j : j + 5000]))
                    sub.lines = len(rows)
                    sub.accepted, sub.filtered = len(rows) - filtered, filtered
            print(f"  loaded {min(first + group, REPORTERS)}/{REPORTERS} reporters", file=sys.stderr, flush=True)
        print(f"report_copy_seconds: {time.perf_counter() - started:.0f}")
        Submission.objects.bulk_update(submissions, ["lines", "accepted", "filtered"], batch_size=500)

        started = time.perf_counter()
        build_rollups(cur, gen.first_day(), now.date())
        print(f"report_rollup_seconds: {time.perf_counter() - started:.0f}")
        started = time.perf_counter()
        cur.execute("VACUUM ANALYZE")
        print(f"report_vacuum_seconds: {time.perf_counter() - started:.0f}")
        cur.execute("CREATE TABLE bench_report_meta (params jsonb NOT NULL, built_on date NOT NULL)")
        cur.execute("INSERT INTO bench_report_meta VALUES (%s, %s)", [json.dumps(params), now.date()])


def build_standings(users, rng: random.Random) -> None:
    """Who counts toward public figures, as the trust refresh would leave it."""
    from incidents.trust.models import ReporterStanding

    standings, group = [], None
    for user in users:
        counts = rng.random() >= NOT_COUNTING_SHARE
        if group is None or rng.random() >= SHARED_NETWORK_SHARE:
            group = user.pk
        standings.append(ReporterStanding(reporter=user, counts=counts, group=group, score=1.0 if counts else 0.0))
    ReporterStanding.objects.bulk_create(standings)


# Per day, so each sort stays small; rows go in per reporter and source, as
# daily uploads would leave them.
SOURCE_DAY = """
INSERT INTO incidents_source_day
    (day, source_ip, reporter_id, protocol, target_port, events, target_ips, first_seen, last_seen)
SELECT %(day)s::date, source_ip, reporter_id, protocol, coalesce(target_port, -1), sum(count),
       (array_agg(DISTINCT target_ip))[1:%(targets_kept)s], min(time), max(time)
FROM incidents_event
WHERE time >= %(start)s AND time < %(end)s AND filter_reason = ''
GROUP BY reporter_id, source_ip, protocol, coalesce(target_port, -1)
ORDER BY reporter_id, source_ip, protocol, coalesce(target_port, -1)
"""
FILTERED_DAY = """
INSERT INTO incidents_filtered_day (reporter_id, day, reason, events)
SELECT reporter_id, %(day)s::date, filter_reason, sum(count)
FROM incidents_event
WHERE time >= %(start)s AND time < %(end)s AND filter_reason <> ''
GROUP BY reporter_id, filter_reason
"""
PORT_DAY = """
INSERT INTO incidents_port_day (day, protocol, target_port, events)
SELECT day, protocol, target_port, sum(events) FROM incidents_source_day GROUP BY day, protocol, target_port
"""


def build_rollups(cur, first: date, last: date) -> None:
    from incidents.models import SourceDay

    cur.execute("SET work_mem = '256MB'")
    for day in (first + timedelta(days=n) for n in range((last - first).days + 1)):
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        params = {"day": day, "start": start, "end": start + timedelta(days=1), "targets_kept": SourceDay.TARGETS_KEPT}
        cur.execute(SOURCE_DAY, params)
        cur.execute(FILTERED_DAY, params)
    cur.execute(PORT_DAY)
    cur.execute("RESET work_mem")
    from incidents import port_counts

    port_counts.refresh()  # distinct sources and reporters per port and day, as the scheduler would


# --- The measurements --------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def print_timings(name: str, values: list[float]) -> None:
    print(f"{name}_ms_p50: {percentile(values, 0.5):.1f}")
    print(f"{name}_ms_p95: {percentile(values, 0.95):.1f}")
    print(f"{name}_ms_max: {max(values):.1f}")


def sample_reporters() -> tuple[list, object]:
    """The heaviest reporters and a seeded random choice of the others; and
    a reporter of median volume outside the sample, for the warm-up."""
    from incidents.models import Submission
    from portal.models import User

    by_volume = list(Submission.objects.order_by("-accepted", "user_id").values_list("user_id", flat=True))
    heaviest = by_volume[:HEAVIEST]
    rest = random.Random(SEED).sample(by_volume[HEAVIEST:], min(SAMPLE - HEAVIEST, len(by_volume) - HEAVIEST))
    chosen = heaviest + rest
    outsider = next(pk for pk in by_volume[len(by_volume) // 2 :] + by_volume if pk not in chosen)
    users = User.objects.in_bulk([*chosen, outsider])
    return [users[pk] for pk in chosen], users[outsider]


def timed(fn) -> float:
    """Milliseconds ``fn`` takes: the median of REPEAT runs, so a burst of
    other work on the machine does not decide a reporter's figure."""
    runs = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def measure() -> None:
    from django.test import Client

    from incidents.models import Submission
    from reports import selectors

    reporters, outsider = sample_reporters()
    volumes = dict(Submission.objects.values_list("user_id", "accepted"))
    print(f"report_sample_reporters: {len(reporters)}")
    print(f"report_runs_per_reporter: {REPEAT}")
    print(f"report_heaviest_reporter_events: {volumes[reporters[0].pk]}")
    print(f"report_median_reporter_events: {sorted(volumes.values())[len(volumes) // 2]}")

    client = Client(SERVER_NAME="localhost")

    def get(user, days):
        response = client.get("/", {"days": days})
        assert response.status_code == 200, response.status_code
        assert b'data-testid="sources"' in response.content, f"no sources on the page of {user}"

    # Warm-up, on a reporter outside the sample: templates, filters, formats, URL resolver, connection.
    client.force_login(outsider)
    for days in WINDOWS:
        get(outsider, days)

    slow = []
    for days in WINDOWS:
        pages = []
        for user in reporters:
            client.force_login(user)
            pages.append(timed(lambda u=user, d=days: get(u, d)))
        sources = [timed(lambda u=user, d=days: selectors.personal_sources(u, d, limit=50)) for user in reporters]
        totals = [timed(lambda u=user, d=days: selectors.personal_totals(u, d)) for user in reporters]
        print_timings(f"report_{days}d_page", pages)
        print_timings(f"report_{days}d_personal_sources", sources)
        print_timings(f"report_{days}d_personal_totals", totals)
        slow.append(percentile(pages, 0.95))
    print(f"report_target_ms: {TARGET_MS}")
    print(f"report_page_p95_within_target: {'yes' if max(slow) < TARGET_MS else 'no'}")
    if os.environ.get("BENCH_REPORT_EXPLAIN") == "1":
        explain(reporters[0])


def explain(user) -> None:
    """The heaviest reporter's plans, to stderr."""
    from django.db import connection

    from reports import selectors

    for days in WINDOWS:
        first, end = selectors.window_days(days)
        params = {"user": user.pk, "since": first, "end": end, "limit": 50, "offset": 0}
        queries = (("personal_sources", selectors.PERSONAL_SOURCES), ("personal_totals", selectors.SOURCE_COUNT))
        for name, sql in queries:
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join(row[0] for row in cur.fetchall())
            print(f"--- {name}, {days} days, reporter {user.pk}\n{plan}", file=sys.stderr)


if __name__ == "__main__":
    main()
