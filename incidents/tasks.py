from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import ingest, partitions


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=None,
    acks_late=True,
)
def ingest_submission(submission_id: int) -> None:
    ingest.ingest_submission(submission_id)


@shared_task
def requeue_stalled_submissions() -> int:
    """Send again any submission that is queued or stuck "processing" with no
    worker holding it (a lost message, a killed worker): ingest is idempotent,
    so an extra run of one still queued costs a lock check."""
    return ingest.requeue_stalled(ingest_submission.delay)


@shared_task
def maintain_partitions() -> None:
    partitions.ensure(partitions.accepted_window())
