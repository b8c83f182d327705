"""Block list build time on a sizable set of rollups.

Generates ROWS SourceDay rows over the three days the list counts (skewed:
a few sources are seen by many reporters, most by one; 1 to 64 target
addresses a row, most few), then times the ranking query alone and a whole
rebuild (rank, name, render, sign), best of three. Uses its own database,
derived from DATABASE_URL; prints ``name: value`` lines as the other
benchmarks do.
"""

import os
import sys
import time
from datetime import date, timedelta

from common import bench_database_url, bench_env, migrate, recreate_database

ROWS = int(os.environ.get("BENCH_BLOCKLIST_ROWS", "1000000"))
DAY = date(2026, 11, 20)

GENERATE = """
SELECT setseed(0.42);
INSERT INTO incidents_source_day
    (day, source_ip, reporter_id, protocol, target_port, events, target_ips, first_seen, last_seen)
SELECT day, source_ip, reporter_id, 'tcp', port, 1 + floor(random() * 20)::int,
       ARRAY(SELECT '10.0.0.0'::inet + (reporter_id * 256 + i) FROM generate_series(1, targets) AS i),
       day + time '10:00', day + time '10:05'
FROM (SELECT %(first)s::date + (g %% 3) AS day,
             '45.0.0.0'::inet + floor(power(random(), 3) * 200000)::bigint * 7 AS source_ip,
             1 + floor(random() * 1000)::int AS reporter_id,
             (ARRAY[22, 23, 445, 3389, 8080])[1 + floor(random() * 5)::int] AS port,
             1 + floor(power(random(), 4) * 63)::int AS targets
      FROM generate_series(1, %(rows)s) AS g) AS rows
ON CONFLICT DO NOTHING;
ANALYZE incidents_source_day;
"""


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    url = bench_database_url("_bench_blocklist")
    env = bench_env(url)
    recreate_database(url)
    migrate(env)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from incidents.models import SourceDay
    from incidents.trust.models import ReporterStanding
    from portal.models import User
    from reports import blocklist

    # The rows' reporters as accounts that count, each its own independent reporter; what the
    # list then shows is the ranking's work alone (no review holds).
    settings.TRUST_REVIEW_NEW_LISTINGS = False
    User.objects.bulk_create(User(id=n, email=f"reporter{n}@bench.example") for n in range(1, 1001))
    ReporterStanding.objects.bulk_create(ReporterStanding(reporter_id=n, counts=True, group=n) for n in range(1, 1001))
    start = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(GENERATE, {"first": DAY - timedelta(days=3), "rows": ROWS})
    print(f"blocklist_rows: {SourceDay.objects.count()}")
    print(f"blocklist_generate_seconds: {time.perf_counter() - start:.1f}")
    print(f"blocklist_rank_seconds: {best_of(3, lambda: blocklist.ranked_networks(DAY)):.3f}")
    blocklist.build(DAY)
    print(f"blocklist_rebuild_seconds: {best_of(3, lambda: blocklist.build(DAY, rebuild=True)):.3f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
