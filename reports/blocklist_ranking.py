"""The block list's ranking: which networks, by what figures. Read by the
build (reports.blocklist) and by the reviews and explanations
(reports.listings); the rule itself is described in reports.blocklist."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection

from incidents.trust.selectors import counting_join, known_address_sql, known_network_sql

from .reserved import RESERVED

SIZE = 20
WINDOW_DAYS = 3
PREFIX = 24
# Ranked beyond SIZE, so that networks held or delisted leave room for the next ones.
RANKED_SPARE = 80

RANKING = f"""
WITH counted AS (
    SELECT network(set_masklen(s.source_ip, %(prefix)s)) AS net, s.source_ip, t.grp, s.day, s.events,
           s.target_ips, s.first_seen, s.last_seen
    FROM incidents_source_day s {counting_join("s")}
    WHERE s.day >= %(first_day)s AND s.day <= %(last_day)s
      AND family(s.source_ip) = 4
      AND NOT s.source_ip <<= ANY(%(reserved)s::cidr[])
      AND NOT {known_address_sql("s.source_ip")}
      AND (%(nets)s::cidr[] IS NULL OR network(set_masklen(s.source_ip, %(prefix)s)) = ANY(%(nets)s::cidr[]))
),
per_source_day AS (
    -- One independent reporter's distinct targets of one source on one day,
    -- capped; a row without addresses is one target. A row's events are
    -- taken once, on its first address.
    SELECT net, grp, source_ip, day, least(greatest(count(DISTINCT u.ip), 1), %(cap)s) AS weight,
           sum(events) FILTER (WHERE u.n IS NULL OR u.n = 1) AS events,
           min(first_seen) AS first_seen, max(last_seen) AS last_seen
    FROM counted LEFT JOIN LATERAL unnest(target_ips) WITH ORDINALITY AS u (ip, n) ON true
    GROUP BY net, grp, source_ip, day
),
totals AS (
    SELECT net, count(DISTINCT grp) AS reporters, sum(weight) AS weight, sum(events) AS events,
           min(first_seen) AS first_seen, max(last_seen) AS last_seen
    FROM per_source_day GROUP BY net
    HAVING count(DISTINCT grp) >= %(min_reporters)s
),
ranked AS (
    SELECT * FROM totals t WHERE NOT {known_network_sql("t.net", network=True)}
    ORDER BY reporters DESC, weight DESC, net LIMIT %(limit)s
)
SELECT host(r.net), r.reporters, r.weight, r.events, r.first_seen, r.last_seen, b.source
FROM ranked r
CROSS JOIN LATERAL (
    SELECT host(p.source_ip) AS source FROM per_source_day p WHERE p.net = r.net
    GROUP BY p.source_ip ORDER BY count(DISTINCT p.grp) DESC, sum(p.weight) DESC, p.source_ip LIMIT 1
) b
ORDER BY r.reporters DESC, r.weight DESC, r.net
"""  # noqa: S608 (table names and our own clauses, not input)


@dataclass(frozen=True)
class Ranked:
    """A network's figures over one window, before reviews are applied."""

    network: str  # a.b.c.0/24
    reporters: int  # independent reporters
    weight: int
    events: int
    first_seen: datetime
    last_seen: datetime
    busiest: str


def rank(first_day: date, last_day: date, *, limit: int, networks: list[str] | None = None) -> list[Ranked]:
    """Networks with at least TRUST_MIN_NETWORKS independent reporters in
    [first_day, last_day], best first; only ``networks`` when given."""
    params = {
        "prefix": PREFIX,
        "first_day": first_day,
        "last_day": last_day,
        "reserved": [r.cidr for r in RESERVED],
        "nets": networks,
        "cap": settings.TRUST_TARGETS_PER_SOURCE_DAY,
        "min_reporters": settings.TRUST_MIN_NETWORKS,
        "limit": limit,
    }
    with connection.cursor() as cur:
        cur.execute(RANKING, params)
        rows = cur.fetchall()
    return [
        Ranked(f"{start}/{PREFIX}", reporters, int(weight), int(events), first, last, busiest)
        for start, reporters, weight, events, first, last, busiest in rows
    ]


def window(day: date) -> tuple[date, date]:
    """First and last whole UTC day counted by the list of ``day``."""
    return day - timedelta(days=WINDOW_DAYS), day - timedelta(days=1)
