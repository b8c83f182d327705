"""Distinct sources and reporters per port and day (PortDay.sources,
PortDay.reporters) and the events public pages show (PortDay.public_events),
recounted from SourceDay.

Ingest adds every reporter's events to PortDay batch by batch, but a
distinct count cannot be added to: whether a source is new to a port that
day depends on every other reporter's rows. So a scheduled task recounts,
from the SourceDay rows of one day at a time, the days that hold a row whose
events moved since its last count (``counted_events <> events``). The public
pages say how fresh the counts are: at most settings.PORT_COUNTS_REFRESH_SECONDS
behind the events.

What public pages show counts independent reporters only (incidents.trust):
``reporters`` is distinct independence groups of reporters who count, and
``sources`` and ``public_events`` come from those reporters' rows alone.
``events`` stays everyone's, as ingest adds it, so that staleness is seen
whoever sent the log. Standings change without new events; when they do,
the days public pages read are recounted whole.
"""

from datetime import timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from incidents.trust.selectors import counting_fingerprint, counting_join

REFRESH_LOCK = 7003  # advisory lock class (7001/7002 are ingest's)

# The days public pages read: 30 of history, and the anomaly baseline's 14
# before the oldest of them.
PUBLIC_DAYS = 45
STANDINGS_SEEN_KEY = "port-counts:standings"

STALE_DAYS = "SELECT DISTINCT day FROM incidents_port_day WHERE counted_events <> events ORDER BY day DESC"
PUBLIC_WINDOW_DAYS = """
SELECT DISTINCT day FROM incidents_port_day WHERE counted_events <> events OR day >= %(since)s ORDER BY day DESC
"""

# One day's counts. Rows an ingest holds locked are skipped, not waited for
# (they will be stale again once it commits, and counted next time), so a
# recount never slows an ingest nor deadlocks with it. ``counted_events`` is
# the events total of the SourceDay rows this statement saw, not PortDay's:
# if an ingest commits between the statement's snapshot and its update, the
# row stays stale and is counted again. With %(every_row)s the day's fresh
# rows are counted too (the standings changed).
RECOUNT_DAY = f"""
WITH counts AS (
    SELECT s.protocol, s.target_port, sum(s.events) AS events,
           count(DISTINCT s.source_ip) FILTER (WHERE t.reporter_id IS NOT NULL) AS sources,
           count(DISTINCT t.grp) AS reporters,
           sum(s.events) FILTER (WHERE t.reporter_id IS NOT NULL) AS public_events
    FROM incidents_source_day s LEFT {counting_join("s")}
    WHERE s.day = %(day)s
    GROUP BY s.protocol, s.target_port
), free AS (
    SELECT protocol, target_port FROM incidents_port_day
    WHERE day = %(day)s AND (counted_events <> events OR %(every_row)s)
    ORDER BY protocol, target_port
    FOR UPDATE SKIP LOCKED
)
UPDATE incidents_port_day p
SET sources = coalesce(c.sources, 0), reporters = coalesce(c.reporters, 0),
    public_events = coalesce(c.public_events, 0), counted_events = coalesce(c.events, 0)
FROM free f LEFT JOIN counts c USING (protocol, target_port)
WHERE p.day = %(day)s AND p.protocol = f.protocol AND p.target_port = f.target_port
"""  # noqa: S608 (table names, not input)


def stale_days() -> list:
    with connection.cursor() as cur:
        cur.execute(STALE_DAYS)
        return [row[0] for row in cur.fetchall()]


def recount_day(day, *, every_row: bool = False) -> int:
    """Recount one day's stale rows (or all of them); return how many were updated."""
    with connection.cursor() as cur:
        cur.execute(RECOUNT_DAY, {"day": day, "every_row": every_row})
        return cur.rowcount


def _public_rows(since) -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM incidents_port_day WHERE day >= %s", [since])
        return cur.fetchone()[0]


def _recount(days, *, every_row_since=None) -> tuple[int, int]:
    """Recount ``days``, every row of those from ``every_row_since`` on;
    return the rows updated in all and from ``every_row_since`` on."""
    updated = whole = 0
    for day in days:
        every_row = every_row_since is not None and day >= every_row_since
        # One transaction a day: row locks are held for one day's recount only.
        with transaction.atomic():
            rows = recount_day(day, every_row=every_row)
        updated += rows
        whole += rows if every_row else 0
    return updated, whole


def refresh() -> int:
    """Recount every day with a stale row, newest first (the front page reads
    the latest days), and every row of the last PUBLIC_DAYS when the
    standings changed since the last complete recount of them. Returns the
    rows updated; 0 when another refresh is running (a session lock, so it
    spans the per-day transactions)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, 0)", [REFRESH_LOCK])
        if not cur.fetchone()[0]:
            return 0
    try:
        standings = counting_fingerprint()
        if cache.get(STANDINGS_SEEN_KEY) == standings:
            return _recount(stale_days())[0]
        since = timezone.now().date() - timedelta(days=PUBLIC_DAYS)
        with connection.cursor() as cur:
            cur.execute(PUBLIC_WINDOW_DAYS, {"since": since})
            days = [row[0] for row in cur.fetchall()]
        updated, whole = _recount(days, every_row_since=since)
        # Rows an ingest held were skipped and may keep the old standings'
        # counts: until every row was recounted, the next refresh tries again.
        if whole >= _public_rows(since):
            cache.set(STANDINGS_SEEN_KEY, standings, None)
        return updated
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s, 0)", [REFRESH_LOCK])
