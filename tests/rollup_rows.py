"""Rollup rows as ingest leaves them, written directly: the public selectors'
tests need weeks of known figures, which real logs of that age would be
rejected for (EVENT_MAX_AGE_DAYS)."""

from datetime import UTC, date, datetime, time

from django.db import connection

from incidents import port_counts
from incidents.models import SourceDay

# As bench/report.py and ingest give it: port figures are the sums of the source rows.
PORT_DAY_FROM_SOURCES = """
INSERT INTO incidents_port_day AS p (day, protocol, target_port, events)
SELECT day, protocol, target_port, sum(events) FROM incidents_source_day GROUP BY day, protocol, target_port
ON CONFLICT (day, protocol, target_port) DO UPDATE SET events = EXCLUDED.events
"""


def seen(day: date, source: str, reporter: int, port: int = 22, events: int = 1, protocol: str = "tcp", hour: int = 12):
    """``reporter`` (a user id; no user row is needed) saw ``source`` on ``port`` on ``day``."""
    at = datetime.combine(day, time(hour), tzinfo=UTC)
    return SourceDay(
        day=day,
        source_ip=source,
        reporter_id=reporter,
        protocol=protocol,
        target_port=port,
        events=events,
        target_ips=["198.51.100.1"],
        first_seen=at,
        last_seen=at,
    )


def store(rows) -> None:
    """Store source rows, bring the port rollup in line and count it, as the
    ingest and the scheduled recount would."""
    SourceDay.objects.bulk_create(rows)
    with connection.cursor() as cur:
        cur.execute(PORT_DAY_FROM_SOURCES)
    port_counts.refresh()


def sweep(day: date, port: int, sources: int, reporters: int, *, protocol: str = "tcp", net: str = "100.64"):
    """``sources`` distinct addresses on ``port``, spread over ``reporters`` reporters."""
    return [
        seen(day, f"{net}.{n // 250}.{n % 250 + 1}", 1000 + n % reporters, port, protocol=protocol)
        for n in range(sources)
    ]
