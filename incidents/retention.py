"""Raw submitted files are kept for SUBMISSION_RAW_RETENTION_DAYS, then deleted.

The file is kept so a failed or interrupted ingest can run again from the
original; once a submission is finished and old enough, nothing needs it. The
Submission row, its counts and its rejected lines stay; ``raw_deleted_at``
tells the page (and anyone asking) that the original is gone. Events have
their own retention (partitions.drop_before).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Submission

BATCH = 500


def raw_cutoff(now=None):
    return (now or timezone.now()) - timedelta(days=settings.SUBMISSION_RAW_RETENTION_DAYS)


def purge_raw_files(now=None) -> int:
    """Delete the raw files of finished submissions past retention; return how many."""
    now = now or timezone.now()
    due = Submission.objects.filter(
        created_at__lt=raw_cutoff(now),
        status__in=[Submission.Status.DONE, Submission.Status.FAILED],
        raw_deleted_at__isnull=True,
    ).exclude(raw="")
    purged = 0
    while True:
        with transaction.atomic():
            # SKIP LOCKED: a second beat or a manual run never fights over a row.
            batch = list(due.select_for_update(skip_locked=True).order_by("pk")[:BATCH])
            if not batch:
                return purged
            for submission in batch:
                name = submission.raw.name
                storage = submission.raw.storage
                Submission.objects.filter(pk=submission.pk).update(raw="", raw_deleted_at=now)
                # The row says "deleted" only if the transaction commits; the file goes after that.
                transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
            purged += len(batch)
