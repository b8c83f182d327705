"""Distinct sources and reporters per port and day (PortDay.sources,
PortDay.reporters), recounted from SourceDay.

Ingest adds events to PortDay batch by batch, but a distinct count cannot be
added to: whether a source is new to a port that day depends on every other
reporter's rows. So a scheduled task recounts, from the SourceDay rows of one
day at a time, the days that hold a row whose events moved since its last
count (``counted_events <> events``). The public pages say how fresh the
counts are: at most settings.PORT_COUNTS_REFRESH_SECONDS behind the events.
"""

from django.db import connection, transaction

REFRESH_LOCK = 7003  # advisory lock class (7001/7002 are ingest's)

STALE_DAYS = "SELECT DISTINCT day FROM incidents_port_day WHERE counted_events <> events ORDER BY day DESC"

# One day's counts. Rows an ingest holds locked are skipped, not waited for
# (they will be stale again once it commits, and counted next time), so a
# recount never slows an ingest nor deadlocks with it. ``counted_events`` is
# the events total of the SourceDay rows this statement saw, not PortDay's:
# if an ingest commits between the statement's snapshot and its update, the
# row stays stale and is counted again.
RECOUNT_DAY = """
WITH counts AS (
    SELECT protocol, target_port, count(DISTINCT source_ip) AS sources,
           count(DISTINCT reporter_id) AS reporters, sum(events) AS events
    FROM incidents_source_day WHERE day = %(day)s
    GROUP BY protocol, target_port
), free AS (
    SELECT protocol, target_port FROM incidents_port_day
    WHERE day = %(day)s AND counted_events <> events
    ORDER BY protocol, target_port
    FOR UPDATE SKIP LOCKED
)
UPDATE incidents_port_day p
SET sources = coalesce(c.sources, 0), reporters = coalesce(c.reporters, 0), counted_events = coalesce(c.events, 0)
FROM free f LEFT JOIN counts c USING (protocol, target_port)
WHERE p.day = %(day)s AND p.protocol = f.protocol AND p.target_port = f.target_port
"""


def stale_days() -> list:
    with connection.cursor() as cur:
        cur.execute(STALE_DAYS)
        return [row[0] for row in cur.fetchall()]


def recount_day(day) -> int:
    """Recount one day's stale rows; return how many were updated."""
    with connection.cursor() as cur:
        cur.execute(RECOUNT_DAY, {"day": day})
        return cur.rowcount


def refresh() -> int:
    """Recount every day with a stale row, newest first (the front page reads
    the latest days). Returns the rows updated; 0 when another refresh is
    running (a session lock, so it spans the per-day transactions)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, 0)", [REFRESH_LOCK])
        if not cur.fetchone()[0]:
            return 0
    updated = 0
    try:
        for day in stale_days():
            # One transaction a day: row locks are held for one day's recount only.
            with transaction.atomic():
                updated += recount_day(day)
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s, 0)", [REFRESH_LOCK])
    return updated
