"""Ingest a stored submission: parse, normalise, filter and store, exactly once.

The whole submission is one database transaction, so a bad file never
half-lands and a killed worker leaves nothing behind; the event table's
primary key (reporter, time, fingerprint) makes a resent log or a retried
task find its events already there.

Fast path: rows stream from the parser by COPY straight into the partitioned
event table, so PostgreSQL stores them on one core while Python parses on the
other. If any row is already stored (a resend, a retry after a crash, an
overlapping log) the key refuses the COPY; we roll back to a savepoint and
take the merge path: COPY into a temporary table, then one INSERT ... ON
CONFLICT DO NOTHING. Either way the rollups then take exactly the rows this
submission added: by COPY when the reporter has no rollups on those days yet
(the usual daily upload; in COPY's binary format when the C rollup can write
it), else by one upsert.
"""

import gc
import itertools
import logging
from contextlib import ExitStack, closing, contextmanager
from datetime import UTC, timedelta

import psycopg
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from . import partitions
from .filter_loading import filter_for_user
from .filters import EventFilter
from .ingest_chunks import LogChunks, staged_in_order, staged_in_parallel
from .ingest_rows import Counts, _Rollup, _RowWriter
from .logfile import LogFileError, open_binary
from .models import SourceDay, Submission
from .normalise import too_long_rejections
from .parsers import ParseContext, UnknownFormat

log = logging.getLogger(__name__)

COPY_CHUNK = 4000
PROGRESS_EVERY = 50_000
LOCK_NAMESPACE = 7001  # PostgreSQL advisory lock classes: one submission,
REPORTER_LOCK = 7002  # and one reporter's events (see reevaluate.py)

# The fingerprint is a generated column (see the migration): never copied.
COLUMNS = (
    "reporter_id, time, submission_id, source_ip, source_port, target_ip, target_port, "
    "protocol, tcp_flags, count, filter_reason"
)
COPY_EVENTS = f"COPY incidents_event ({COLUMNS}) FROM STDIN"
STAGING = (
    "CREATE TEMP TABLE ingest_staging (LIKE incidents_event INCLUDING DEFAULTS INCLUDING GENERATED) ON COMMIT DROP"
)
COPY_STAGING = f"COPY ingest_staging ({COLUMNS}) FROM STDIN"
MERGE_STAGING = f"INSERT INTO incidents_event ({COLUMNS}) SELECT {COLUMNS} FROM ingest_staging ON CONFLICT DO NOTHING"  # noqa: S608

# Rollup rows of this submission gather in a temporary table (several rows
# per key when partial aggregates spilled), then one upsert merges them.
ROLLUP_STAGING = """
CREATE TEMP TABLE ingest_rollup (
    day date, source_ip inet, protocol text, target_port integer,
    events bigint, first_seen timestamptz, last_seen timestamptz, target_ips inet[]
) ON COMMIT DROP
"""
COPY_ROLLUP = (
    "COPY ingest_rollup (day, source_ip, protocol, target_port, events, first_seen, last_seen, target_ips) FROM STDIN"
)
# For the merge path: the rows this submission added, read back through the
# primary key (only new rows carry this submission's id).
ROLLUP_FROM_EVENTS = """
INSERT INTO ingest_rollup
SELECT (time AT TIME ZONE 'UTC')::date, source_ip, protocol, coalesce(target_port, -1), sum(count),
       min(time), max(time), (array_agg(DISTINCT target_ip))[1:%(targets_kept)s]
FROM incidents_event
WHERE reporter_id = %(reporter)s AND time >= %(first)s AND time <= %(last)s AND submission_id = %(submission)s
  AND filter_reason = ''
GROUP BY 1, 2, 3, 4
"""
UPSERT_FILTERED = """
INSERT INTO incidents_filtered_day AS f (reporter_id, day, reason, events)
SELECT %(reporter)s, day, reason, events FROM unnest(%(days)s::date[], %(reasons)s::text[], %(events)s::bigint[])
    AS t (day, reason, events)
ON CONFLICT (reporter_id, day, reason) DO UPDATE SET events = f.events + EXCLUDED.events
"""
FILTERED_FROM_EVENTS = """
SELECT (time AT TIME ZONE 'UTC')::date, filter_reason, sum(count) FROM incidents_event
WHERE reporter_id = %(reporter)s AND time >= %(first)s AND time <= %(last)s AND submission_id = %(submission)s
  AND filter_reason <> ''
GROUP BY 1, 2
"""
COUNT_ADDED = """
SELECT count(*), count(*) FILTER (WHERE filter_reason <> '') FROM incidents_event
WHERE reporter_id = %(reporter)s AND time >= %(first)s AND time <= %(last)s AND submission_id = %(submission)s
"""
# Rollup rows merged into the tables. SOURCE_ROWS comes in two forms: rows
# straight from ingest_rollup when each key is there once (nothing spilled
# mid-file), or regrouped when spills left several partial rows per key.
ROLLUP_ROWS_UNIQUE = """
SELECT day, source_ip, protocol, target_port, events, first_seen, last_seen, target_ips FROM ingest_rollup
"""
# Only keys with several partial rows have their targets unnested and merged
# (a DISTINCT aggregate per key cost seconds for a million lines when run
# for every key); a key staged once keeps its row's targets, already
# distinct and within TARGETS_KEPT, as the unique form does.
ROLLUP_ROWS_REGROUPED = """
WITH keyed AS MATERIALIZED (
    SELECT day, source_ip, protocol, target_port, sum(events) AS events, min(first_seen) AS first_seen,
           max(last_seen) AS last_seen, count(*) AS parts, min(target_ips) AS target_ips
    FROM ingest_rollup GROUP BY day, source_ip, protocol, target_port
), merged AS (
    SELECT day, source_ip, protocol, target_port, (array_agg(DISTINCT ip))[1:%(targets_kept)s] AS target_ips
    FROM ingest_rollup AS r JOIN keyed AS k USING (day, source_ip, protocol, target_port)
    CROSS JOIN LATERAL unnest(r.target_ips) AS ip
    WHERE k.parts > 1
    GROUP BY day, source_ip, protocol, target_port
)
SELECT day, source_ip, protocol, target_port, events, first_seen, last_seen,
       coalesce(merged.target_ips, keyed.target_ips) AS target_ips
FROM keyed LEFT JOIN merged USING (day, source_ip, protocol, target_port)
"""
# A reporter's first log of its days (the usual daily upload): no key can be
# there yet, so the rollups go straight into the table by COPY, which costs
# about half the upsert. A concurrent ingest of the same reporter may still
# hold one of the keys; the savepoint then falls back to the upsert.
REPORTER_HAS_DAYS = """
SELECT EXISTS (
    SELECT 1 FROM incidents_source_day WHERE reporter_id = %(reporter)s AND day BETWEEN %(first)s AND %(last)s
)
"""
COPY_SOURCE_DAY = (
    "COPY incidents_source_day "
    "(day, source_ip, protocol, target_port, events, first_seen, last_seen, target_ips, reporter_id) FROM STDIN"
)
# The C rollup writes the same rows in COPY's binary format: PostgreSQL then
# parses no inet arrays and time stamps, half its time for this COPY.
COPY_SOURCE_DAY_BINARY = f"{COPY_SOURCE_DAY} WITH (FORMAT binary)"
UPSERT_PORT_DAYS = """
INSERT INTO incidents_port_day AS p (day, protocol, target_port, events)
SELECT * FROM unnest(%(days)s::date[], %(protocols)s::text[], %(ports)s::integer[], %(events)s::bigint[])
ORDER BY 1, 2, 3
ON CONFLICT (day, protocol, target_port) DO UPDATE SET events = p.events + EXCLUDED.events
"""
UPSERT_ROLLUPS = """
WITH totals AS ({rows}), sources AS (
    INSERT INTO incidents_source_day AS r
        (day, source_ip, reporter_id, protocol, target_port, events, target_ips, first_seen, last_seen)
    SELECT day, source_ip, %(reporter)s, protocol, target_port, events, target_ips, first_seen, last_seen
    FROM totals
    ORDER BY day, source_ip, protocol, target_port
    ON CONFLICT (day, source_ip, reporter_id, protocol, target_port) DO UPDATE SET
        events = r.events + EXCLUDED.events,
        target_ips = CASE WHEN cardinality(r.target_ips) >= %(targets_kept)s THEN r.target_ips
                     ELSE (SELECT (array_agg(DISTINCT t))[1:%(targets_kept)s]
                           FROM unnest(r.target_ips || EXCLUDED.target_ips) AS t) END,
        first_seen = least(r.first_seen, EXCLUDED.first_seen),
        last_seen = greatest(r.last_seen, EXCLUDED.last_seen)
    RETURNING 1
)
INSERT INTO incidents_port_day AS p (day, protocol, target_port, events)
SELECT day, protocol, target_port, sum(events) FROM totals
GROUP BY day, protocol, target_port ORDER BY day, protocol, target_port
ON CONFLICT (day, protocol, target_port) DO UPDATE SET events = p.events + EXCLUDED.events
"""


def progress_key(submission_id: int) -> str:
    return f"submission-progress:{submission_id}"


def _spill(rollup: _Rollup, cursor) -> None:
    lines = rollup.lines()
    with cursor.copy(COPY_ROLLUP) as copy:
        while chunk := list(itertools.islice(lines, COPY_CHUNK)):
            copy.write("".join(chunk))
    rollup.clear()
    rollup.spills += 1


class _TextOnly(Exception):
    """A rollup row the binary COPY cannot hold: the text COPY takes them all."""


def _copy_source_days(rollup: _Rollup, cursor, reporter_id: int) -> None:
    binary = getattr(rollup, "source_day_binary", None)
    if binary is not None:
        try:
            with transaction.atomic(), cursor.copy(COPY_SOURCE_DAY_BINARY) as copy:
                for start in range(0, len(rollup), COPY_CHUNK):
                    if (chunk := binary(reporter_id, start, COPY_CHUNK)) is None:
                        raise _TextOnly
                    copy.write(chunk)
            return
        except _TextOnly:
            log.info("rollups of reporter %s go in by text COPY", reporter_id)
    suffix = f"\t{reporter_id}\n"
    lines = rollup.lines()
    with transaction.atomic(), cursor.copy(COPY_SOURCE_DAY) as copy:
        while chunk := list(itertools.islice(lines, COPY_CHUNK)):
            copy.write("".join(chunk).replace("\n", suffix))


def _insert_rollups(rollup: _Rollup, cursor, reporter_id: int) -> bool:
    """COPY rollups that were never spilled straight into the tables, when
    this reporter has none of their days yet; False (nothing written) when
    they must be merged by the upsert instead."""
    if not len(rollup):
        return True
    ports = rollup.port_totals()
    days = [day for day, _, _ in ports]
    cursor.execute(REPORTER_HAS_DAYS, {"reporter": reporter_id, "first": min(days), "last": max(days)})
    if cursor.fetchone()[0]:
        return False
    # In the table's key order, as the upsert goes: index pages are then
    # filled in turn rather than at random (a third less time), and two
    # ingests meeting on the same keys take them in the same order.
    rollup.sort()
    try:
        _copy_source_days(rollup, cursor, reporter_id)
    except (psycopg.errors.UniqueViolation, psycopg.errors.DeadlockDetected):
        log.info("rollup keys of reporter %s arrived meanwhile: merging", reporter_id)
        return False
    keys = sorted(ports)
    cursor.execute(
        UPSERT_PORT_DAYS,
        {
            "days": [k[0] for k in keys],
            "protocols": [k[1] for k in keys],
            "ports": [k[2] for k in keys],
            "events": [ports[k] for k in keys],
        },
    )
    return True


def _stage(cursor, copy_sql: str, submission: Submission, event_filter: EventFilter, rollup: _Rollup | None):
    """Parse the stored log and COPY its events with ``copy_sql``; return the
    parser's name and the counts."""
    counts = Counts()
    writer = _RowWriter(submission.user_id, submission.pk, event_filter.reason, rollup)
    ctx = ParseContext(tz=submission.tz, received_at=submission.created_at.astimezone(UTC))
    with (
        submission.raw.open("rb") as raw,
        open_binary(raw, settings.LOG_MAX_UNCOMPRESSED_BYTES) as binary,
        ExitStack() as copying,
        ExitStack() as parsing,
    ):
        log = LogChunks(binary, ctx, submission.declared_format)
        if log.parallel:
            data = staged_in_parallel(log, writer, counts, rollup, cursor.connection.fileno())
        else:
            data = staged_in_order(log, submission.declared_format, writer, counts, COPY_CHUNK)
        # Closed on the way out even when COPY fails (a repeat: the merge
        # path follows), so the parser processes are gone before it starts.
        parsing.enter_context(closing(data))
        copy = copying.enter_context(cursor.copy(copy_sql))
        progress_at = PROGRESS_EVERY
        for chunk in data:
            if chunk:
                copy.write(chunk)
            if counts.staged >= progress_at:
                _report_progress(submission, raw, counts)
                progress_at = counts.staged + PROGRESS_EVERY
            if rollup is not None and rollup.full():
                # One statement at a time per connection: end this COPY to spill.
                copying.close()
                _spill(rollup, cursor)
                copy = copying.enter_context(cursor.copy(copy_sql))
    for rejection in too_long_rejections(counts.too_long, settings.LOG_MAX_LINE_CHARS):
        counts.lines += 1
        counts.reject(rejection)
    counts.rejected_lines.sort(key=lambda r: r["line"])
    return log.parser.name, counts


def _report_progress(submission, raw, counts: Counts):
    try:
        position = raw.tell()
    except (OSError, ValueError):
        position = 0
    _cache_quietly(
        cache.set,
        progress_key(submission.pk),
        {"bytes": position, "total": submission.raw_size, "lines": counts.lines},
        timeout=3600,
    )


def _cache_quietly(operation, *args, **kwargs) -> None:
    """Progress is a courtesy to the submission page: a cache (Redis) that is
    down must not fail, or roll back, the ingest itself."""
    try:
        operation(*args, **kwargs)
    except Exception:  # the cache backend's connection errors have no common base
        log.warning("progress not recorded: cache unavailable", exc_info=True)


def _claim(submission_id: int) -> bool:
    """Mark the submission as being processed (visible to its page at once)."""
    updated = Submission.objects.filter(
        pk=submission_id, status__in=[Submission.Status.QUEUED, Submission.Status.PARSING]
    ).update(status=Submission.Status.PARSING, started_at=timezone.now())
    return bool(updated)


def ingest_submission(submission_id: int) -> Submission | None:
    """Process one submission; safe to call again for the same id at any time."""
    if not _claim(submission_id):
        return None
    created = Submission.objects.values_list("created_at", flat=True).get(pk=submission_id)
    # Outside the transaction: creating a partition locks the parent table.
    partitions.ensure(partitions.window_around(created))
    try:
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, submission_id % 2**31])
                if not cur.fetchone()[0]:
                    log.info("submission %s is being processed by another worker", submission_id)
                    return None
            submission = Submission.objects.select_for_update().get(pk=submission_id)
            if submission.is_finished:
                return submission
            with connection.cursor() as cur:
                # Shared with the reporter's other ingests; a rule re-evaluation
                # takes it alone, so no event is stored under superseded rules.
                cur.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", [REPORTER_LOCK, submission.user_id % 2**31])
            submission.attempts += 1
            _load(submission)
            submission.status = Submission.Status.DONE
            submission.finished_at = timezone.now()
            submission.save()
    except (LogFileError, UnknownFormat) as exc:
        _fail(submission_id, str(exc))
    finally:
        _cache_quietly(cache.delete, progress_key(submission_id))
    return Submission.objects.get(pk=submission_id)


@contextmanager
def _cycle_collector_paused():
    """A large log keeps millions of objects alive at once (rollups, repeat
    window, caches), and each full pass of the cycle collector walks them
    all: seven passes cost a second of a million-line ingest. Ingest makes
    no reference cycles of its own, so the collector rests until it ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load(submission: Submission) -> None:
    event_filter = filter_for_user(submission.user)
    with _cycle_collector_paused(), connection.cursor() as django_cursor:
        cur = django_cursor.cursor  # the psycopg cursor, for COPY
        cur.execute("SET LOCAL work_mem = '64MB'")
        cur.execute(ROLLUP_STAGING)
        try:
            with transaction.atomic():
                rollup = _Rollup()
                parser_name, counts = _stage(cur, COPY_EVENTS, submission, event_filter, rollup)
            # Every staged row was new, so the counts are the parser's.
            inserted, filtered = counts.staged, counts.filtered
            rollups_done = not rollup.spills and _insert_rollups(rollup, cur, submission.user_id)
            if not rollups_done:
                _spill(rollup, cur)
            unique_keys = rollup.spills <= 1
        except psycopg.errors.UniqueViolation:
            log.info("submission %s overlaps stored events: merging", submission.pk)
            cur.execute(STAGING)
            parser_name, counts = _stage(cur, COPY_STAGING, submission, event_filter, None)
            cur.execute(MERGE_STAGING)
            rollups_done = False
            inserted = filtered = 0
            unique_keys = True  # the read-back below groups by key
            if counts.staged:
                params = {
                    "reporter": submission.user_id,
                    "submission": submission.pk,
                    "first": counts.first_time,
                    "last": counts.last_time,
                    "targets_kept": SourceDay.TARGETS_KEPT,
                }
                cur.execute(ROLLUP_FROM_EVENTS, params)
                cur.execute(COUNT_ADDED, params)
                inserted, filtered = cur.fetchone()
                cur.execute(FILTERED_FROM_EVENTS, params)
                counts.filtered_by = {(day, reason): events for day, reason, events in cur.fetchall()}
        if counts.filtered_by:
            keys = list(counts.filtered_by)
            cur.execute(
                UPSERT_FILTERED,
                {
                    "reporter": submission.user_id,
                    "days": [day for day, _ in keys],
                    "reasons": [reason for _, reason in keys],
                    "events": [counts.filtered_by[key] for key in keys],
                },
            )
        if not rollups_done:
            rows = ROLLUP_ROWS_UNIQUE if unique_keys else ROLLUP_ROWS_REGROUPED
            cur.execute(
                UPSERT_ROLLUPS.format(rows=rows),
                {"reporter": submission.user_id, "targets_kept": SourceDay.TARGETS_KEPT},
            )
        # ON COMMIT DROP is not enough when this runs inside an outer transaction.
        cur.execute("DROP TABLE IF EXISTS ingest_staging, ingest_rollup")
    submission.detected_format = parser_name
    submission.lines = counts.lines
    submission.duplicate = counts.repeated + counts.staged - inserted
    submission.filtered = filtered
    submission.accepted = inserted - filtered
    submission.rejected = counts.rejected
    submission.allowed = counts.allowed
    submission.not_traffic = counts.not_traffic
    submission.skipped = submission.allowed + submission.not_traffic
    submission.skipped_reasons = counts.skipped_reasons(Submission.SKIPPED_REASONS_KEPT)
    submission.rejected_lines = counts.rejected_lines
    submission.error = ""


def _fail(submission_id: int, reason: str) -> None:
    Submission.objects.filter(pk=submission_id).update(
        status=Submission.Status.FAILED, error=reason, finished_at=timezone.now()
    )


def requeue_stalled(send, older_than_minutes: int = 10) -> int:
    """Send again submissions left queued or processing with no worker on them."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    stalled = Submission.objects.filter(
        status__in=[Submission.Status.QUEUED, Submission.Status.PARSING], created_at__lt=cutoff
    ).values_list("pk", flat=True)
    sent = 0
    for pk in stalled:
        with transaction.atomic(), connection.cursor() as cur:
            # Held by a worker that is alive: leave it be.
            cur.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, pk % 2**31])
            free = cur.fetchone()[0]
        if free:
            send(pk)
            sent += 1
    return sent
