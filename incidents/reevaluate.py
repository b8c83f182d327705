"""Re-evaluate a reporter's stored events after a rule change.

Filtered events are stored with their reason, so adding a rule can hide past
events and removing one can bring them back. Within one transaction, holding
the reporter's lock exclusively (ingest holds it shared): every event in the
retention window is read in key order, in batches, and run through the same
filter ingest uses; changed reasons are written back with one UPDATE; the
reporter's rollups are rebuilt from the events and the portal-wide port
rollup is corrected by the difference.
"""

from collections import namedtuple
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from portal.models import User

from .filter_loading import filter_for_user
from .ingest import REPORTER_LOCK
from .models import SourceDay

BATCH = 20_000

StoredEvent = namedtuple("StoredEvent", "time source_ip source_port target_ip target_port protocol")

READ_BATCH = """
SELECT time, fingerprint, host(source_ip), source_port, host(target_ip), target_port, protocol, filter_reason, count
FROM incidents_event
WHERE reporter_id = %(user)s AND (time, fingerprint) > (%(time)s, %(fingerprint)s)
ORDER BY time, fingerprint LIMIT %(batch)s
"""
CHANGES = """
CREATE TEMP TABLE reeval_changes (
    time timestamptz, fingerprint bigint, reason text, old text, count integer, protocol text, target_port integer
) ON COMMIT DROP
"""
APPLY = """
UPDATE incidents_event e SET filter_reason = c.reason FROM reeval_changes c
WHERE e.reporter_id = %(user)s AND e.time = c.time AND e.fingerprint = c.fingerprint
"""
# Events that moved between kept and filtered change the portal's port counts.
PORT_DELTA = """
INSERT INTO incidents_port_day AS p (day, protocol, target_port, events)
SELECT (time AT TIME ZONE 'UTC')::date, protocol, coalesce(target_port, -1),
       sum(CASE WHEN reason = '' THEN count ELSE -count END)
FROM reeval_changes WHERE (reason = '') <> (old = '')
GROUP BY 1, 2, 3
ON CONFLICT (day, protocol, target_port) DO UPDATE SET events = p.events + EXCLUDED.events
"""
REBUILD_SOURCES = """
INSERT INTO incidents_source_day
    (day, source_ip, reporter_id, protocol, target_port, events, target_ips, first_seen, last_seen)
SELECT (time AT TIME ZONE 'UTC')::date, source_ip, %(user)s, protocol, coalesce(target_port, -1), sum(count),
       (array_agg(DISTINCT target_ip))[1:%(targets_kept)s], min(time), max(time)
FROM incidents_event
WHERE reporter_id = %(user)s AND time >= %(since)s AND filter_reason = ''
GROUP BY 1, 2, 4, 5
"""
REBUILD_FILTERED = """
INSERT INTO incidents_filtered_day (reporter_id, day, reason, events)
SELECT %(user)s, (time AT TIME ZONE 'UTC')::date, filter_reason, sum(count)
FROM incidents_event
WHERE reporter_id = %(user)s AND time >= %(since)s AND filter_reason <> ''
GROUP BY 2, 3
"""


def reevaluate_reporter(user_id: int) -> int:
    """Apply the current rules to one reporter's events; return how many changed."""
    user = User.objects.get(pk=user_id)
    since = timezone.now() - timedelta(days=settings.EVENT_RETENTION_DAYS)
    with transaction.atomic(), connection.cursor() as django_cursor:
        cur = django_cursor.cursor
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [REPORTER_LOCK, user_id % 2**31])
        event_filter = filter_for_user(user)
        cur.execute(CHANGES)
        changed = 0
        position = {"user": user_id, "time": since, "fingerprint": -(2**63), "batch": BATCH}
        while True:
            cur.execute(READ_BATCH, position)
            rows = cur.fetchall()
            if not rows:
                break
            changes = []
            for time, fingerprint, source, sport, target, tport, protocol, old, count in rows:
                new = event_filter.reason(StoredEvent(time, source, sport, target, tport, protocol))
                if new != old:
                    changes.append((time, fingerprint, new, old, count, protocol, tport))
            if changes:
                with cur.copy(
                    "COPY reeval_changes (time, fingerprint, reason, old, count, protocol, target_port) FROM STDIN"
                ) as copy:
                    for change in changes:
                        copy.write_row(change)
                changed += len(changes)
            position["time"], position["fingerprint"] = rows[-1][0], rows[-1][1]
        if changed:
            params = {"user": user_id, "since": since, "targets_kept": SourceDay.TARGETS_KEPT}
            cur.execute(APPLY, params)
            cur.execute(PORT_DELTA)
            cur.execute(
                "DELETE FROM incidents_source_day WHERE reporter_id = %(user)s AND day >= %(since)s::date", params
            )
            cur.execute(REBUILD_SOURCES, params)
            cur.execute(
                "DELETE FROM incidents_filtered_day WHERE reporter_id = %(user)s AND day >= %(since)s::date", params
            )
            cur.execute(REBUILD_FILTERED, params)
        cur.execute("DROP TABLE reeval_changes")
    return changed


def reporters_with_events() -> list[int]:
    since = timezone.now().date() - timedelta(days=settings.EVENT_RETENTION_DAYS)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT reporter_id FROM incidents_source_day WHERE day >= %s "
            "UNION SELECT DISTINCT reporter_id FROM incidents_filtered_day WHERE day >= %s",
            [since, since],
        )
        return [row[0] for row in cur.fetchall()]
