"""Daily partitions of the event table: created ahead, dropped past retention.

Creating a partition locks the parent table, so it never happens inside an
ingest transaction: ``ensure`` uses its own autocommit connection, and the
scheduled task creates the coming week's partitions so ingests rarely need to.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone

PARENT = "incidents_event"


def name_for(day: date) -> str:
    return f"{PARENT}_p{day:%Y%m%d}"


def existing() -> set[date]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [PARENT],
        )
        return {date(int(n[-8:-4]), int(n[-4:-2]), int(n[-2:])) for (n,) in cur.fetchall()}


def _autocommit():
    return psycopg.connect(**connection.get_connection_params(), autocommit=True)


def ensure(days: Iterable[date]) -> list[date]:
    """Create the partitions for these days that do not exist yet."""
    missing = sorted(set(days) - existing())
    if not missing:
        return []
    with _autocommit() as conn:
        for day in missing:
            nxt = day + timedelta(days=1)
            # Names and bounds come from dates, never from user input.
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {name_for(day)} PARTITION OF {PARENT} "
                f"FOR VALUES FROM ('{day.isoformat()} 00:00:00+00') TO ('{nxt.isoformat()} 00:00:00+00')"
            )
    return missing


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def window_around(moment: datetime) -> list[date]:
    """The days an event of a submission received at ``moment`` may fall on."""
    day = moment.astimezone(UTC).date()
    return days_between(day - timedelta(days=settings.EVENT_MAX_AGE_DAYS + 1), day + timedelta(days=1))


def accepted_window(today: date | None = None) -> list[date]:
    """Every day an event may fall on and be accepted: from the oldest
    accepted age to tomorrow (events up to an hour ahead are accepted)."""
    today = today or timezone.now().date()
    first = today - timedelta(days=settings.EVENT_MAX_AGE_DAYS + 1)
    return [first + timedelta(days=n) for n in range((today + timedelta(days=7) - first).days + 1)]


def drop_before(day: date) -> list[date]:
    """Drop whole partitions older than ``day`` (retention); fast, no vacuum.
    The rollups of those days go too, so no report counts events that are gone."""
    old = sorted(d for d in existing() if d < day)
    with _autocommit() as conn:
        for d in old:
            conn.execute(f"DROP TABLE IF EXISTS {name_for(d)}")
        for table in ("incidents_source_day", "incidents_port_day", "incidents_filtered_day"):
            conn.execute(f"DELETE FROM {table} WHERE day < %s", [day])  # noqa: S608 - fixed table names
    return old


def retention_start(today: date | None = None) -> date:
    today = today or timezone.now().date()
    return today - timedelta(days=settings.EVENT_RETENTION_DAYS)
