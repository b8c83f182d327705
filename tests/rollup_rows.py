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


def seen(
    day: date,
    source: str,
    reporter: int,
    port: int = 22,
    events: int = 1,
    protocol: str = "tcp",
    hour: int = 12,
    minute: int = 0,
    until: time | None = None,
):
    """``reporter`` (a user id; ``store`` makes the user) saw ``source`` on
    ``port`` on ``day`` at ``hour``:``minute``, and last at ``until`` if given."""
    at = datetime.combine(day, time(hour, minute), tzinfo=UTC)
    return SourceDay(
        day=day,
        source_ip=source,
        reporter_id=reporter,
        protocol=protocol,
        target_port=port,
        events=events,
        target_ips=["198.51.100.1"],
        first_seen=at,
        last_seen=datetime.combine(day, until, tzinfo=UTC) if until else at,
    )


def reporters_count(ids, groups: dict | None = None) -> None:
    """The reporters ``ids`` (user ids, their users made where missing) count
    toward public figures, each its own independent reporter unless
    ``groups`` gives it a group."""
    from portal.models import User
    from tests.trust_helpers import vouch

    ids = sorted(set(ids))
    User.objects.bulk_create([User(pk=i, email=f"reporter-{i}@example.net") for i in ids], ignore_conflicts=True)
    table = User._meta.db_table
    with connection.cursor() as cur:  # users made later by a factory take the ids after these
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
    for user in User.objects.filter(pk__in=ids):
        vouch(user, group=(groups or {}).get(user.pk))


def store(rows, *, counting=None, groups: dict | None = None) -> None:
    """Store source rows, bring the port rollup in line and count it, as the
    ingest and the scheduled recount would. Every reporter of ``rows``
    counts, each on its own, unless ``counting`` names those who do (and
    ``groups`` ties some of them)."""
    rows = list(rows)
    reporters_count({r.reporter_id for r in rows} if counting is None else counting, groups)
    SourceDay.objects.bulk_create(rows)
    with connection.cursor() as cur:
        cur.execute(PORT_DAY_FROM_SOURCES)
    port_counts.refresh()


def sweep(
    day: date, port: int, sources: int, reporters: int, *, protocol: str = "tcp", net: str = "100.64", first: int = 1000
):
    """``sources`` distinct addresses on ``port``, spread over ``reporters`` reporters (ids from ``first``)."""
    return [
        seen(day, f"{net}.{n // 250}.{n % 250 + 1}", first + n % reporters, port, protocol=protocol)
        for n in range(sources)
    ]
