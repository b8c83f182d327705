"""What the submission and rule pages read, shared by the HTML views and the API."""

from django.core.cache import cache
from django.db import connection

from .ingest import progress_key


def submission_progress(submission) -> dict:
    """How far processing has come: the worker reports bytes and lines read to
    the cache while it parses; a finished submission is at 100%."""
    progress = cache.get(progress_key(submission.pk)) or {}
    total = progress.get("total") or submission.raw_size or 1
    percent = 100 if submission.is_finished else min(99, int(100 * progress.get("bytes", 0) / total))
    return {
        "percent": percent,
        "lines_read": progress.get("lines", submission.lines),
        "finished": submission.is_finished,
    }


def rule_catches(user, codes) -> dict[str, int]:
    """Events each rule caught for this user, from the filtered rollup."""
    if not codes:
        return {}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT reason, sum(events) FROM incidents_filtered_day WHERE reporter_id = %s AND reason = ANY(%s) "
            "GROUP BY reason",
            [user.pk, list(codes)],
        )
        return dict(cur.fetchall())
