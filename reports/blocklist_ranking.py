"""The block list's ranking: which networks, by what figures. Read by the
build (reports.blocklist) and by the reviews and explanations
(reports.listings); the rule itself is described in reports.blocklist."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from incidents.trust.selectors import counting_join, known_address_sql, known_network_sql

from .reserved import RESERVED

SIZE = 20
WINDOW_DAYS = 3
PREFIX = 24
# Ranked beyond SIZE, so that networks held or delisted leave room for the next ones.
RANKED_SPARE = 80

RANKING = f"""
WITH per_source_day AS (
    -- One independent reporter's targets of one source on one day: the most
    -- addresses it reached on one port (a row's addresses are distinct; a
    -- row without addresses is one target), counted up to the cap.
    SELECT network(set_masklen(s.source_ip, %(prefix)s)) AS net, t.grp, s.source_ip, s.day,
           least(max(greatest(cardinality(s.target_ips), 1)), %(cap)s) AS weight, sum(s.events) AS events,
           min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen
    FROM incidents_source_day s {counting_join("s")}
    WHERE s.day >= %(first_day)s AND s.day <= %(last_day)s
      AND family(s.source_ip) = 4
      AND NOT s.source_ip <<= ANY(%(reserved)s::cidr[])
      AND NOT {known_address_sql("s.source_ip")}
      AND (%(nets)s::cidr[] IS NULL OR network(set_masklen(s.source_ip, %(prefix)s)) = ANY(%(nets)s::cidr[]))
    GROUP BY 1, t.grp, s.source_ip, s.day
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
),
busiest AS (
    -- The source most independent reporters saw names the network.
    SELECT DISTINCT ON (net) net, host(source_ip) AS source
    FROM (SELECT p.net, p.source_ip, count(DISTINCT p.grp) AS reporters, sum(p.weight) AS weight
          FROM per_source_day p WHERE p.net IN (SELECT net FROM ranked) GROUP BY p.net, p.source_ip) AS per_source
    ORDER BY net, reporters DESC, weight DESC, source_ip
)
SELECT host(r.net), r.reporters, r.weight, r.events, r.first_seen, r.last_seen, b.source
FROM ranked r JOIN busiest b USING (net)
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
    with transaction.atomic(), connection.cursor() as cur:
        # Its sorts group a million rows; in the default 4 MB they spill to disk.
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute(RANKING, params)
        rows = cur.fetchall()
    return [
        Ranked(f"{start}/{PREFIX}", reporters, int(weight), int(events), first, last, busiest)
        for start, reporters, weight, events, first, last, busiest in rows
    ]


def window(day: date) -> tuple[date, date]:
    """First and last whole UTC day counted by the list of ``day``."""
    return day - timedelta(days=WINDOW_DAYS), day - timedelta(days=1)
